"""Supervision over HTTP: scan → alerts and watch list → case → fraud confirmed → appeal →
reinstatement, and the public untrustworthy list — each act by the role that does it, with
district scoping (another district's records read as 404, acting on them is 403)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from tests.functional.api.conftest import ApiWorld
from tests.integration.supervision.conftest import plant_visit
from timebank.catalog.models import ServiceItem
from timebank.clock import LOCAL_TZ
from timebank.config import Settings
from timebank.ledger.audit import verify_ledger
from timebank.people.models import Person


def _night_visits(api: ApiWorld, n: int) -> None:
    """``n`` credited late-night visits of the 东城 volunteer at the 东城 elder's."""
    with api.session() as s:
        base = api.clock.now().astimezone(LOCAL_TZ).replace(hour=23, minute=0)
        world = SimpleNamespace(
            session=s,
            volunteer=s.get(Person, api.ids["volunteer"]),
            elder=s.get(Person, api.ids["elder"]),
            city=SimpleNamespace(station=SimpleNamespace(org_id=api.ids["station"])),
            item=lambda: s.execute(
                select(ServiceItem.id).where(ServiceItem.code == "chat_visit")
            ).scalar_one(),
        )
        for day in range(n):
            plant_visit(world, start=base - timedelta(days=2 + day), minutes=60)  # type: ignore[arg-type]
        s.commit()


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def test_from_scan_to_reinstatement(api: ApiWorld) -> None:
    _night_visits(api, 2)
    volunteer, station = api.ids["volunteer"], api.ids["station"]
    scan = _ok(api.call("POST", "/supervision/scans", "city", json={}), 201)
    assert scan["counts"]["late_night"] == 2 and scan["new_alerts"] >= 2
    assert api.call("POST", "/supervision/scans", "district", json={}).status_code == 403

    mine = _ok(api.call("GET", "/supervision/alerts?rule=late_night", "district"))["items"]
    assert len(mine) == 2 and all(a["district_code"] == "110101" for a in mine)
    assert _ok(api.call("GET", "/supervision/alerts", "district_other"))["items"] == []
    alert_id = mine[0]["id"]
    assert _ok(api.call("GET", f"/supervision/alerts/{alert_id}", "auditor"))["rule"] == (
        "late_night"
    )
    assert api.call("GET", f"/supervision/alerts/{alert_id}", "district_other").status_code == 404
    watched = _ok(api.call("GET", "/supervision/watch", "district"))["items"]
    assert volunteer in [w["person_id"] for w in watched]
    assert _ok(api.call("GET", "/supervision/watch", "district_other"))["items"] == []

    body = {"alert_ids": [a["id"] for a in mine], "note": "夜间服务"}
    refused = api.call("POST", "/supervision/cases", "district_other", json=body, key=True)
    assert refused.status_code == 403
    case = _ok(api.call("POST", "/supervision/cases", "district", json=body, key="case-1"), 201)
    again = api.call("POST", "/supervision/cases", "district", json=body, key="case-1")
    assert again.json() == case and again.headers["Idempotent-Replayed"] == "true"
    assert case["people"] == [volunteer] and case["status"] == "open"
    path = f"/supervision/cases/{case['id']}"
    assert api.call("GET", path, "district_other").status_code == 404
    assign = {"assignee_user_id": api.ids["user:district"]}
    assert api.call("POST", f"{path}/assignment", "district_other", json=assign).status_code == 403
    assigned = _ok(api.call("POST", f"{path}/assignment", "district", json=assign))
    assert assigned["status"] == "assigned"

    decision = {"outcome": "confirm_fraud", "reason": "夜间虚报", "organisation_ids": [station]}
    unkeyed = api.call("POST", f"{path}/decision", "district", json=decision)
    assert unkeyed.status_code == 422 and "Idempotency-Key" in unkeyed.text
    assert api.call("POST", f"{path}/decision", "auditor", json=decision, key=True).json()[
        "rule"
    ] == ("api_role")
    decided = _ok(api.call("POST", f"{path}/decision", "district", json=decision, key="d-1"))
    assert decided["status"] == "confirmed" and decided["decision"]["outcome"] == "confirm_fraud"
    kinds = sorted(x["kind"] for x in decided["sanctions"])
    assert kinds == ["disqualification", "reversal", "reversal"]
    public = _ok(api.call("GET", "/untrustworthy"))["items"]
    assert [(e["organisation_id"], e["reason"]) for e in public] == [(station, "夜间虚报")]

    # The volunteer appeals; the city upholds: credits restored, status back, listing lifted.
    appeal = _ok(
        api.call("POST", f"{path}/appeals", "volunteer", json={"reason": "有医院陪护证明"}), 201
    )
    assert api.call("POST", f"{path}/appeals", "elder", json={"reason": "x"}).status_code == 403
    pending = _ok(api.call("GET", "/supervision/appeals?status=pending", "district"))["items"]
    assert [a["id"] for a in pending] == [appeal["id"]]
    verdict = {"uphold": True, "reason": "证明属实"}
    where = f"/supervision/appeals/{appeal['id']}/decision"
    assert api.call("POST", where, "district", json=verdict, key=True).status_code == 403
    upheld = _ok(api.call("POST", where, "city", json=verdict, key="a-1"))
    assert upheld["status"] == "upheld"
    overturned = _ok(api.call("GET", path, "auditor"))
    assert overturned["status"] == "overturned"
    assert all(x["lifted_at"] for x in overturned["sanctions"])
    assert all(x["restore_id"] for x in overturned["sanctions"] if x["kind"] == "reversal")
    person = _ok(api.call("GET", f"/people/{volunteer}", "city"))
    assert (person["status"], person["volunteer_status"]) == ("active", "pending")
    assert _ok(api.call("GET", "/untrustworthy"))["items"] == []
    lifted = _ok(api.call("GET", "/untrustworthy?lifted=true"))["items"]
    assert lifted[0]["lifted_at"] is not None
    with api.session() as s:
        report = verify_ledger(s, settings=Settings(env="test"))
    assert [p for p in report.problems if p.rule != "unsealed_in_sealed_range"] == []


def test_listing_an_institution_directly_and_lifting_it(api: ApiWorld) -> None:
    station = api.ids["station"]
    where = f"/organisations/{station}/untrustworthy"
    assert api.call("POST", where, "district_other", json={"reason": "x"}).status_code == 403
    assert api.call("POST", where, "station", json={"reason": "x"}).status_code == 403
    listed = _ok(api.call("POST", where, "district", json={"reason": "伪造服务记录"}))
    assert [(e["reason"], e["case_id"], e["lifted_at"]) for e in listed] == [
        ("伪造服务记录", None, None)
    ]
    # A listed station may no longer review needs.
    r = api.call("POST", "/needs/1/review", "station", json={"approve": False, "reason": "x"})
    assert r.status_code in (404, 409)
    lifted = _ok(api.call("POST", where, "district", json={"listed": False, "reason": "已整改"}))
    assert lifted[0]["lift_reason"] == "已整改"
    assert _ok(api.call("GET", "/untrustworthy"))["items"] == []


def test_bad_input_names_the_field(api: ApiWorld) -> None:
    r = api.call("GET", "/supervision/alerts?status=bogus", "city")
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = api.call("GET", "/supervision/alerts?rule=made_up", "city")
    assert r.status_code == 422 and r.json()["field"] == "rule"
    r = api.call("POST", "/supervision/cases", "city", json={"alert_ids": []})
    assert r.status_code == 422 and "alert_ids" in r.text
    r = api.call("POST", "/supervision/cases", "city", json={"alert_ids": [10**6]})
    assert r.status_code == 404 and r.json()["field"] == "alert_ids"
    r = api.call(
        "POST",
        "/supervision/cases/1/decision",
        "city",
        json={"outcome": "nope", "reason": "x"},
        key=True,
    )
    assert r.status_code == 422 and "outcome" in r.text
    r = api.call("POST", "/organisations/1/untrustworthy", "city", json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    r = api.call("POST", "/supervision/scans", "city", json={"since": "2999-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "since"
