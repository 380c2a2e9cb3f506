"""Qualifications (declared by the volunteer, checked by the station), disputed visits settled
by the station, and the 10,000-rule admission (apply, station review, district decision,
withdraw) over HTTP: roles, district scope (404 elsewhere), errors beside the field with
nothing written, CSRF."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.functional.web.conftest import csrf_of
from tests.functional.web.world import local, served_visit
from tests.integration.people.factories import CHAOYANG, DONGCHENG
from timebank.actors import Actor, Role
from timebank.care.admission import AdmissionApplication
from timebank.care.models import Visit
from timebank.care.stations import register_organisation
from timebank.ledger import services as ledger
from timebank.people.models import Qualification
from timebank.policy import Policy
from timebank.policy_store import set_policy

GOOD = {
    "qualification_type": "lawyer",
    "number": "11101200010001",
    "issuer": "北京市司法局",
    "valid_from": "2020-01-01",
    "valid_until": "2030-12-31",
}


def _count(api: Any, model: Any) -> int:
    with api.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _held(api: Any, person: str) -> int:
    with api.session() as s:
        return ledger.balances(s, person_id=api.ids[person], policy=Policy()).held


def test_a_volunteer_declares_a_qualification_and_the_station_checks_it(web: Any, api: Any) -> None:
    vol = web().sign_in("volunteer")
    page = vol.get("/v/qualifications")
    assert page.status_code == 200 and "律师执业证" in page.text
    token = csrf_of(page.text)
    for field, value in (
        ("number", " "),
        ("valid_from", "yesterday"),
        ("qualification_type", "astrologer"),
        ("valid_until", "2019-01-01"),
    ):
        r = vol.post("/v/qualifications", {**GOOD, field: value, "csrf_token": token})
        assert 400 <= r.status_code < 500, field
        assert f'id="e-{field}"' in r.text, field
    assert vol.post("/v/qualifications", GOOD).status_code == 403  # no CSRF token
    assert _count(api, Qualification) == 0
    assert vol.post("/v/qualifications", {**GOOD, "csrf_token": token}).status_code == 303
    with api.session() as s:
        q = s.execute(select(Qualification)).scalar_one()
        assert q.status == "pending"
    for who in ("elder", "station"):
        assert web().sign_in(who).get("/v/qualifications").status_code == 403

    station = web().sign_in("station")
    queue = station.get("/s/qualifications")
    assert queue.status_code == 200 and "11101200010001" in queue.text
    other = web().sign_in("station_other")
    assert "11101200010001" not in other.get("/s/qualifications").text
    r = other.post(
        f"/s/qualifications/{q.id}",
        {"decision": "verify", "csrf_token": csrf_of(other.get("/s").text)},
    )
    assert r.status_code == 404
    token = csrf_of(queue.text)
    empty = station.post(
        f"/s/qualifications/{q.id}", {"decision": "reject", "reason": "", "csrf_token": token}
    )
    assert empty.status_code == 422 and f'id="e-r-{q.id}"' in empty.text
    ok = station.post(f"/s/qualifications/{q.id}", {"decision": "verify", "csrf_token": token})
    assert ok.status_code == 303
    with api.session() as s:
        assert s.get(Qualification, q.id).status == "verified"
    assert web().sign_in("volunteer").get("/s/qualifications").status_code == 403


def _disputed(web: Any, api: Any, day: int) -> int:
    visit_id = served_visit(api, local(api, day, 10), 60)
    api.clock.set(local(api, day, 12))
    elder = web().sign_in("elder")
    page = elder.get(f"/e/visits/{visit_id}/problem")
    r = elder.post(
        f"/e/visits/{visit_id}/problem",
        {"reason": "没有来", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303
    return visit_id


def test_the_station_settles_a_dispute_with_the_hold_kept_until_then(web: Any, api: Any) -> None:
    visit_id = _disputed(web, api, 1)
    held = _held(api, "elder")
    assert held == 60
    station = web().sign_in("station")
    listed = station.get("/s/disputes")
    assert listed.status_code == 200 and f"/s/disputes/{visit_id}" in listed.text
    other = web().sign_in("station_other")
    assert other.get(f"/s/disputes/{visit_id}").status_code == 404
    r = other.post(
        f"/s/disputes/{visit_id}",
        {"decision": "no_credit", "resolution": "x", "csrf_token": csrf_of(other.get("/s").text)},
    )
    assert r.status_code == 404
    page = station.get(f"/s/disputes/{visit_id}")
    assert page.status_code == 200 and "没有来" in page.text
    token = csrf_of(page.text)
    for form, field in (
        ({"resolution": "x"}, "decision"),
        ({"decision": "credit", "minutes": "999", "resolution": "x"}, "minutes"),
        ({"decision": "credit", "minutes": "ten", "resolution": "x"}, "minutes"),
        ({"decision": "credit", "minutes": "30", "resolution": " "}, "resolution"),
    ):
        bad = station.post(f"/s/disputes/{visit_id}", {**form, "csrf_token": token})
        assert bad.status_code == 422, form
        assert f'id="e-{field}"' in bad.text, form
    assert station.post(f"/s/disputes/{visit_id}", {"decision": "credit"}).status_code == 403
    with api.session() as s:
        assert s.get(Visit, visit_id).status == "disputed"
    assert _held(api, "elder") == held

    ok = station.post(
        f"/s/disputes/{visit_id}",
        {
            "decision": "credit",
            "minutes": "30",
            "resolution": "双方核对，服务半小时",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 303
    with api.session() as s:
        visit = s.get(Visit, visit_id)
        assert visit.status == "confirmed" and visit.credited_minutes == 30
    assert _held(api, "elder") == 0
    assert web().sign_in("volunteer").get("/s/disputes").status_code == 403


def test_a_dispute_found_untrue_releases_the_hold(web: Any, api: Any) -> None:
    visit_id = _disputed(web, api, 1)
    station = web().sign_in("station")
    token = csrf_of(station.get(f"/s/disputes/{visit_id}").text)
    r = station.post(
        f"/s/disputes/{visit_id}",
        {"decision": "no_credit", "resolution": "志愿者没有到", "csrf_token": token},
    )
    assert r.status_code == 303
    with api.session() as s:
        assert s.get(Visit, visit_id).status == "rejected"
    assert _held(api, "elder") == 0


def _small_rule(api: Any) -> None:
    """The 10,000 rule at one hour (the city's policy parameters), so a test can meet it."""
    with api.session() as s:
        set_policy(
            s,
            actor_label="test",
            at=api.clock.now(),
            values={"admission_service_minutes": 60, "admission_balance_minutes": 60},
        )
        s.commit()


def _care_home(api: Any, district: str) -> int:
    name = {DONGCHENG: "东城", CHAOYANG: "朝阳"}[district] + " 养老院"
    with api.session() as s:
        org = register_organisation(
            s,
            actor=Actor(role=Role.CITY_ADMIN),
            kind="care_home",
            name=name,
            district_code=district,
            street_code=None,
            at=api.clock.now(),
        )
        s.commit()
        return int(org.id)


def _application(api: Any) -> AdmissionApplication:
    with api.session() as s:
        return (
            s.execute(select(AdmissionApplication).order_by(AdmissionApplication.id.desc()))
            .scalars()
            .first()
        )


def test_admission_apply_review_decide(web: Any, api: Any) -> None:
    served_visit(api, local(api, 1, 10), 60, confirm=True)
    api.clock.set(local(api, 1, 12))
    vol = web().sign_in("volunteer")
    page = vol.get("/admission")
    assert page.status_code == 200 and "还没有达到条件" in page.text
    refused = vol.post("/admission", {"key": "k1", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409 and "还没有达到一万小时的条件" in refused.text
    assert _count(api, AdmissionApplication) == 0

    _small_rule(api)
    home, far = _care_home(api, DONGCHENG), _care_home(api, CHAOYANG)
    page = vol.get("/admission")
    assert "提交申请" in page.text and "东城 养老院" in page.text
    assert "朝阳 养老院" not in page.text  # only the home district's care homes
    token = csrf_of(page.text)
    for value, status in (("x", 422), (str(far), 409)):
        bad = vol.post("/admission", {"key": "k2", "care_home_id": value, "csrf_token": token})
        assert bad.status_code == status and 'id="e-care_home_id"' in bad.text
    assert vol.post("/admission", {"key": "k2"}).status_code == 403
    assert _count(api, AdmissionApplication) == 0
    r = vol.post("/admission", {"key": "k2", "care_home_id": str(home), "csrf_token": token})
    assert r.status_code == 303
    app = _application(api)
    assert app.status == "submitted" and app.care_home_id == home
    assert _held(api, "volunteer") == 60
    assert "等服务站审核" in vol.get("/admission").text
    for who in ("elder", "station"):
        assert web().sign_in(who).get("/admission").status_code == 403

    other = web().sign_in("station_other")
    assert "王芳" not in other.get("/s/admissions").text
    r = other.post(
        f"/s/admissions/{app.id}",
        {"decision": "approve", "csrf_token": csrf_of(other.get("/s").text)},
    )
    assert r.status_code == 404
    station = web().sign_in("station")
    queue = station.get("/s/admissions")
    assert queue.status_code == 200 and "王芳" in queue.text
    token = csrf_of(queue.text)
    no = station.post(f"/s/admissions/{app.id}", {"decision": "reject", "csrf_token": token})
    assert no.status_code == 422 and f'id="e-r-{app.id}"' in no.text
    ok = station.post(f"/s/admissions/{app.id}", {"decision": "approve", "csrf_token": token})
    assert ok.status_code == 303 and _application(api).status == "station_approved"

    d_other = web().sign_in("district_other")
    r = d_other.post(
        f"/a/admissions/{app.id}",
        {"decision": "approve", "csrf_token": csrf_of(d_other.get("/a").text)},
    )
    assert r.status_code == 404
    district = web().sign_in("district")
    queue = district.get("/a/admissions")
    assert queue.status_code == 200 and "王芳" in queue.text
    r = district.post(
        f"/a/admissions/{app.id}", {"decision": "approve", "csrf_token": csrf_of(queue.text)}
    )
    assert r.status_code == 303
    assert _application(api).status == "approved" and _held(api, "volunteer") == 0


def test_an_applicant_withdraws_and_a_proxy_applies_for_the_elder(web: Any, api: Any) -> None:
    served_visit(api, local(api, 1, 10), 60, confirm=True)
    api.clock.set(local(api, 1, 12))
    _small_rule(api)
    vol = web().sign_in("volunteer")
    token = csrf_of(vol.get("/admission").text)
    assert vol.post("/admission", {"key": "k3", "csrf_token": token}).status_code == 303
    app = _application(api)
    assert vol.post(f"/admission/{app.id}/withdraw", {"csrf_token": token}).status_code == 303
    assert _application(api).status == "withdrawn" and _held(api, "volunteer") == 0

    proxy = web().sign_in("proxy")
    page = proxy.get("/admission")
    assert page.status_code == 200
    assert "proxy 正在为 李奶奶 代办" in page.text  # "X for Y" at the top
    r = proxy.post("/admission", {"key": "k4", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    app = _application(api)
    assert app.person_id == api.ids["elder"] and app.status == "submitted"
