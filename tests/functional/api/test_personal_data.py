"""PIPL: resident IDs masked except to their owner, staff reads logged (who, whom, why),
a person's own export, consent records, and the audit log of staff acts."""

from __future__ import annotations

from urllib.parse import quote

from tests.functional.api.conftest import ApiWorld
from tests.integration.people.factories import DONGCHENG, born, fresh_id_number
from timebank.clock import local_date


def test_ids_are_masked_except_to_their_owner(api: ApiWorld) -> None:
    v = api.ids["volunteer"]
    own = api.call("GET", f"/people/{v}", "volunteer").json()["id_number"]
    assert "*" not in own and len(own) == 18
    for who in ("station", "district", "city", "auditor"):
        seen = api.call("GET", f"/people/{v}", who, **{"X-Purpose": quote("核对资料")}).json()
        assert seen["id_number"] == own[:6] + "********" + own[-4:], who
        assert seen["phone"] is None or "****" in seen["phone"]
    elder = api.ids["elder"]
    proxied = api.call("GET", f"/people/{elder}", "proxy", **{"X-Act-For": str(elder)}).json()
    assert "*" in proxied["id_number"]  # a proxy is not the owner


def test_staff_reads_are_logged_and_visible_to_the_person(api: ApiWorld) -> None:
    v = api.ids["volunteer"]
    api.call("GET", f"/people/{v}", "station", **{"X-Purpose": quote("安排服务")})
    api.call("GET", f"/people/{v}/statement", "auditor", **{"X-Purpose": quote("年度审计")})
    api.call("GET", f"/people/{v}/id-number", "city", **{"X-Purpose": quote("身份核验")})
    api.call("GET", f"/people/{v}", "volunteer")  # own reads are not logged
    log = api.call("GET", f"/people/{v}/data-access", "volunteer").json()
    assert [(e["scope"], e["purpose"]) for e in log] == [
        ("person", "安排服务"),
        ("statement", "年度审计"),
        ("id_number", "身份核验"),
    ]
    assert log[0]["actor"].startswith("station:")
    everything = api.call("GET", f"/audit/data-access?person_id={v}", "auditor").json()
    assert len(everything["items"]) == 3
    assert api.call("GET", f"/people/{v}/data-access", "station").status_code == 403


def test_a_person_exports_their_own_data(api: ApiWorld) -> None:
    v = api.ids["volunteer"]
    r = api.call("GET", f"/people/{v}/export", "volunteer")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["person"]["id"] == v and "*" not in data["person"]["id_number"]
    assert "id_cipher" not in data["person"] and "id_hash" not in data["person"]
    assert {"accounts", "statement", "training", "consents", "reads_of_my_data"} <= set(data)
    assert all("password_hash" not in u for u in data["accounts_to_sign_in"])
    assert api.call("GET", f"/people/{v}/export", "station").status_code == 403


def test_guardian_consent_for_a_minor_is_recorded(api: ApiWorld) -> None:
    today = local_date(api.clock.now())
    body = {
        "full_name": "小明",
        "id_number": fresh_id_number(born(12, today), sex="M"),
        "district_code": DONGCHENG,
        "guardian_id": api.ids["family"],
    }
    refused = api.call("POST", "/people", "station", json=body)
    assert refused.status_code == 409 and refused.json()["rule"] == "pipl_under_14_consent"
    r = api.call("POST", "/people", "station", json={**body, "guardian_consent": True})
    assert r.status_code == 201, r.text
    child = r.json()["id"]
    consents = api.call("GET", f"/people/{child}/consents", "station").json()
    assert [(c["kind"], c["given"], c["guardian_id"]) for c in consents] == [
        ("guardian", True, api.ids["family"])
    ]
    r = api.call(
        "POST",
        f"/people/{child}/guardian-consent",
        "station",
        json={"consent": False, "evidence": "监护人撤回"},
    )
    assert r.status_code == 200 and r.json()["guardian_consent_at"] is None
    consents = api.call("GET", f"/people/{child}/consents", "station").json()
    assert [c["given"] for c in consents] == [True, False]


def test_admin_acts_are_audited_with_who_for_whom(api: ApiWorld) -> None:
    elder = api.ids["elder"]
    api.call(
        "POST",
        f"/people/{elder}/health",
        "station",
        json={"fit": True},
        **{"X-Act-For": str(elder)},
    )
    api.call("POST", "/policy", "city", json={"values": {"daily_credit_cap_minutes": 240}})
    entries = api.call("GET", "/audit/entries", "auditor").json()["items"]
    acts = {(e["act"], e["role"]) for e in entries}
    assert ("declare_health", "station") in acts and ("set_policy", "city_admin") in acts
    station_act = next(e for e in entries if e["act"] == "declare_health")
    assert station_act["on_behalf_of"] == elder and f"for person:{elder}" in station_act["actor"]
    district = api.call("GET", "/audit/entries", "district").json()["items"]
    assert {e["district_code"] for e in district} <= {DONGCHENG}
    assert (
        api.call("GET", "/policy", "volunteer").json()["values"]["daily_credit_cap_minutes"] == 240
    )
