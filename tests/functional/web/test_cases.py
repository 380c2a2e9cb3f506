"""Supervision pages over HTTP: the permission table's rows decide who sees them, a district
admin sees only their district (404 elsewhere), a case is opened from alerts, assigned and
decided with the consequences shown before anything is written; appeals; the write-time check
of a visit confirmed on the web."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from tests.functional.web.conftest import csrf_of
from tests.functional.web.world import decide, late_night_alert, local, open_case, served_visit
from timebank.ledger.models import Transfer
from timebank.people.models import Organisation, Person
from timebank.supervision.models import Alert, Appeal, Case, Decision

PAGES = ("/a", "/a/alerts", "/a/cases", "/a/watch", "/a/appeals")


def _count(api: Any, model: Any) -> int:
    with api.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_supervision_pages_follow_the_permission_table(web: Any) -> None:
    for who in ("district", "city", "auditor"):
        b = web().sign_in(who)
        for path in PAGES:
            assert b.get(path).status_code == 200, (who, path)
    for who in ("station", "volunteer", "elder", "proxy"):
        b = web().sign_in(who)
        for path in PAGES:
            r = b.get(path)
            assert r.status_code == 403, (who, path)
            assert "您的身份不能做这件事" in r.text
    auditor = web().sign_in("auditor")
    assert "把选中的预警立为一个案件" not in auditor.get("/a/alerts").text  # reads only


def test_alerts_filter_by_rule_and_status(web: Any, api: Any) -> None:
    alert_id = late_night_alert(api)
    b = web().sign_in("district")
    page = b.get("/a/alerts?rule=late_night&status=open")
    assert page.status_code == 200 and f"/a/alerts/{alert_id}" in page.text
    assert "深夜服务" in page.text
    other = b.get("/a/alerts?rule=overlap")
    assert f"/a/alerts/{alert_id}" not in other.text
    bad = b.get("/a/alerts?rule=nonsense")
    assert bad.status_code == 422
    assert re.search(r'id="e-rule">请从列表里选一条规则', bad.text)
    detail = b.get(f"/a/alerts/{alert_id}")
    assert detail.status_code == 200 and "王芳" in detail.text and "night_minutes" in detail.text


def test_a_case_is_opened_assigned_and_decided_with_the_consequences_first(
    web: Any, api: Any
) -> None:
    alert_id = late_night_alert(api)
    b = web().sign_in("district")
    token = csrf_of(b.get("/a/alerts").text)

    r = b.post("/a/cases", {"alert_ids": [str(alert_id)], "note": "深夜服务", "csrf_token": token})
    assert r.status_code == 303
    case_id = int(r.headers["location"].split("/")[3].split("?")[0])
    with api.session() as s:
        assert s.get(Alert, alert_id).status == "in_case"
    page = b.get(f"/a/cases/{case_id}")
    assert page.status_code == 200 and "王芳" in page.text and "待分配" in page.text

    bad = b.post(f"/a/cases/{case_id}/assign", {"assignee_user_id": "x", "csrf_token": token})
    assert bad.status_code == 422 and 'id="e-assignee_user_id"' in bad.text
    other = api.ids["user:district_other"]  # a district admin of 朝阳: not a reviewer here
    wrong = b.post(f"/a/cases/{case_id}/assign", {"assignee_user_id": other, "csrf_token": token})
    assert wrong.status_code == 409
    assert re.search(r'id="e-assignee_user_id"[^>]*>只能分配给本区', wrong.text)
    me = api.ids["user:district"]
    assert b.get(f"/a/cases/{case_id}/assign").status_code == 200
    ok = b.post(f"/a/cases/{case_id}/assign", {"assignee_user_id": me, "csrf_token": token})
    assert ok.status_code == 303
    with api.session() as s:
        assert s.get(Case, case_id).assignee_user_id == me

    assert b.get(f"/a/cases/{case_id}/decide").status_code == 200
    no_reason = b.post(
        f"/a/cases/{case_id}/decide", {"outcome": "confirm_fraud", "csrf_token": token}
    )
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    station = str(api.ids["station"])
    preview = b.post(
        f"/a/cases/{case_id}/decide",
        {
            "outcome": "confirm_fraud",
            "reason": "深夜虚报",
            "organisation_ids": [station],
            "csrf_token": token,
        },
    )
    assert preview.status_code == 200
    assert "取消 王芳 的志愿者资格" in preview.text
    assert "冲正 1 笔服务存入，共 1 小时" in preview.text
    assert "110101 服务站" in preview.text  # goes on the untrustworthy list
    with api.session() as s:  # nothing is written before the confirmation
        assert s.get(Case, case_id).status == "assigned"
        assert s.execute(select(Decision)).first() is None
    done = b.post(
        f"/a/cases/{case_id}/decide",
        {
            "outcome": "confirm_fraud",
            "reason": "深夜虚报",
            "organisation_ids": [station],
            "confirmed": "1",
            "csrf_token": csrf_of(preview.text),
        },
    )
    assert done.status_code == 303
    with api.session() as s:
        assert s.get(Case, case_id).status == "confirmed"
        assert s.get(Person, api.ids["volunteer"]).status == "disqualified"
        assert s.execute(select(Transfer).where(Transfer.kind == "reversal")).first()
        assert s.get(Organisation, int(station)).untrustworthy is True
    shown = b.get(f"/a/cases/{case_id}?done=decided")
    assert "已认定作弊" in shown.text and "冲正时间币" in shown.text
    assert f'href="/a/cases/{case_id}/decide"' not in shown.text  # decided: no second decision


def test_a_district_admin_sees_nothing_of_another_district(web: Any, api: Any) -> None:
    alert_id = late_night_alert(api, tag="_other")
    case_id = open_case(api, [late_night_alert(api, tag="_other", days=2)], tag="_other")
    b = web().sign_in("district")
    assert f"/a/alerts/{alert_id}" not in b.get("/a/alerts").text
    assert b.get(f"/a/alerts/{alert_id}").status_code == 404
    assert b.get(f"/a/cases/{case_id}").status_code == 404
    assert b.get(f"/a/cases/{case_id}/decide").status_code == 404
    token = csrf_of(b.get("/a/alerts").text)
    assert b.post("/a/cases", {"alert_ids": str(alert_id), "csrf_token": token}).status_code == 404
    r = b.post(
        f"/a/cases/{case_id}/decide",
        {"outcome": "dismiss", "reason": "x", "confirmed": "1", "csrf_token": token},
    )
    assert r.status_code == 404
    with api.session() as s:
        assert s.get(Alert, alert_id).status == "open"
        assert s.get(Case, case_id).status == "open"
    city = web().sign_in("city")
    assert city.get(f"/a/alerts/{alert_id}").status_code == 200
    assert city.get(f"/a/cases/{case_id}").status_code == 200


def test_case_forms_refuse_bad_input_and_a_missing_token(web: Any, api: Any) -> None:
    alert_id = late_night_alert(api)
    b = web().sign_in("district")
    before = _count(api, Case)
    assert b.post("/a/cases", {"alert_ids": str(alert_id)}).status_code == 403  # no CSRF
    token = csrf_of(b.get("/a/alerts").text)
    none = b.post("/a/cases", {"note": "x", "csrf_token": token})
    assert none.status_code == 422
    assert 'id="e-alert_ids"' in none.text and "请至少选一条未处理的预警" in none.text
    assert _count(api, Case) == before
    case_id = open_case(api, [alert_id])
    bad = b.post(
        f"/a/cases/{case_id}/decide", {"outcome": "jail", "reason": "x", "csrf_token": token}
    )
    assert bad.status_code == 422 and 'id="e-outcome"' in bad.text
    assert (
        b.post(f"/a/cases/{case_id}/decide", {"outcome": "warn", "reason": "x"}).status_code == 403
    )
    with api.session() as s:
        assert s.get(Case, case_id).status == "open"


def test_the_watch_list_and_the_public_untrustworthy_list(web: Any, api: Any) -> None:
    late_night_alert(api)
    page = web().sign_in("district").get("/a/watch")
    assert page.status_code == 200 and "王芳" in page.text
    assert "王芳" not in web().sign_in("district_other").get("/a/watch").text
    assert web().get("/a/untrustworthy").status_code == 200  # public, signed out


def test_a_sanctioned_volunteer_appeals_and_the_city_reinstates(web: Any, api: Any) -> None:
    case_id = open_case(api, [late_night_alert(api)])
    decide(api, case_id, "confirm_fraud")
    vol = web().sign_in("volunteer")
    assert "/appeals" in vol.get("/v").text
    page = vol.get("/appeals")
    assert page.status_code == 200 and "已认定作弊" in page.text
    token = csrf_of(page.text)
    empty = vol.post(f"/appeals/{case_id}", {"reason": " ", "csrf_token": token})
    assert empty.status_code == 422 and f'id="e-reason-{case_id}"' in empty.text
    assert _count(api, Appeal) == 0
    stranger = web().sign_in("volunteer_other")
    r = stranger.post(
        f"/appeals/{case_id}", {"reason": "不是我", "csrf_token": csrf_of(stranger.get("/v").text)}
    )
    assert r.status_code == 404
    assert vol.post(f"/appeals/{case_id}", {"reason": "那天是夜班护理"}).status_code == 403
    filed = vol.post(f"/appeals/{case_id}", {"reason": "那天是夜班护理", "csrf_token": token})
    assert filed.status_code == 303
    with api.session() as s:
        appeal = s.execute(select(Appeal)).scalar_one()
        appeal_id = appeal.id

    district = web().sign_in("district")
    assert f"/a/appeals/{appeal_id}" in district.get("/a/appeals").text
    shown = district.get(f"/a/appeals/{appeal_id}")
    assert shown.status_code == 200 and "申诉由市级管理员决定" in shown.text
    r = district.post(
        f"/a/appeals/{appeal_id}",
        {"decision": "reinstate", "reason": "x", "csrf_token": csrf_of(shown.text)},
    )
    assert r.status_code == 403  # the city decides appeals
    assert web().sign_in("district_other").get(f"/a/appeals/{appeal_id}").status_code == 404

    city = web().sign_in("city")
    token = csrf_of(city.get(f"/a/appeals/{appeal_id}").text)
    no = city.post(f"/a/appeals/{appeal_id}", {"decision": "reinstate", "csrf_token": token})
    assert no.status_code == 422 and 'id="e-reason"' in no.text
    preview = city.post(
        f"/a/appeals/{appeal_id}",
        {"decision": "reinstate", "reason": "有排班记录", "csrf_token": token},
    )
    assert preview.status_code == 200 and "补回 1 笔被冲正的时间币" in preview.text
    assert "恢复 王芳 的账户" in preview.text
    with api.session() as s:
        assert s.get(Appeal, appeal_id).status == "pending"
    done = city.post(
        f"/a/appeals/{appeal_id}",
        {"decision": "reinstate", "reason": "有排班记录", "confirmed": "1", "csrf_token": token},
    )
    assert done.status_code == 303
    with api.session() as s:
        assert s.get(Appeal, appeal_id).status == "upheld"
        assert s.get(Case, case_id).status == "overturned"
        assert s.get(Person, api.ids["volunteer"]).status == "active"


def test_confirming_a_late_night_visit_on_the_web_records_an_alert(web: Any, api: Any) -> None:
    night = served_visit(api, local(api, 1, 22, 30), 60)
    day = served_visit(api, local(api, 2, 10, 0), 60)
    api.clock.set(local(api, 2, 12, 0))
    elder = web().sign_in("elder")
    for visit_id in (night, day):
        page = elder.get(f"/e/visits/{visit_id}")
        assert page.status_code == 200
        r = elder.post(
            f"/e/visits/{visit_id}/confirm", {"rating": "5", "csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 303, r.text
    with api.session() as s:
        found = {
            (a.rule, a.subject_id, a.source)
            for a in s.execute(select(Alert).where(Alert.subject_kind == "visit")).scalars()
        }
    assert ("late_night", str(night), "live") in found
    assert not any(subject == str(day) for _rule, subject, _src in found)


def test_an_admin_lists_and_lifts_an_institution(web: Any, api: Any) -> None:
    station = api.ids["station"]  # the 东城 station
    district = web().sign_in("district")
    page = district.get("/a/untrustworthy")
    assert page.status_code == 200 and f'value="{station}"' in page.text
    token = csrf_of(page.text)
    for form, field in (
        ({"reason": "x"}, "org_id"),
        ({"org_id": station, "reason": " "}, "reason"),
    ):
        bad = district.post("/a/untrustworthy", {**form, "csrf_token": token})
        assert bad.status_code == 422 and f'id="e-{field}"' in bad.text, field
    assert district.post("/a/untrustworthy", {"org_id": station, "reason": "x"}).status_code == 403
    other = web().sign_in("district_other")
    assert f'value="{station}"' not in other.get("/a/untrustworthy").text
    r = other.post(
        "/a/untrustworthy",
        {"org_id": station, "reason": "x", "csrf_token": csrf_of(other.get("/a").text)},
    )
    assert r.status_code == 404
    station_user = web().sign_in("station")
    assert station_user.get("/a/untrustworthy").status_code == 200  # the list is public
    r = station_user.post(
        "/a/untrustworthy",
        {"org_id": station, "reason": "x", "csrf_token": csrf_of(station_user.get("/s").text)},
    )
    assert r.status_code == 403
    with api.session() as s:
        assert s.get(Organisation, station).untrustworthy is False

    ok = district.post(
        "/a/untrustworthy", {"org_id": station, "reason": "虚报服务时长", "csrf_token": token}
    )
    assert ok.status_code == 303
    with api.session() as s:
        assert s.get(Organisation, station).untrustworthy is True
    public = web().get("/a/untrustworthy")
    assert public.status_code == 200 and "虚报服务时长" in public.text
    lifted = district.post(
        f"/a/untrustworthy/{station}/lift", {"reason": "已整改", "csrf_token": token}
    )
    assert lifted.status_code == 303
    with api.session() as s:
        assert s.get(Organisation, station).untrustworthy is False


def test_the_city_rejects_an_appeal_and_the_warning_stands(web: Any, api: Any) -> None:
    case_id = open_case(api, [late_night_alert(api)])
    decide(api, case_id, "warn")
    vol = web().sign_in("volunteer")
    token = csrf_of(vol.get("/appeals").text)
    assert "已警告" in vol.get("/appeals").text
    assert (
        vol.post(f"/appeals/{case_id}", {"reason": "误会", "csrf_token": token}).status_code == 303
    )
    again = vol.get("/appeals")
    assert "等市里决定" in again.text and f'action="/appeals/{case_id}"' not in again.text
    with api.session() as s:
        appeal_id = s.execute(select(Appeal.id)).scalar_one()
    city = web().sign_in("city")
    token = csrf_of(city.get(f"/a/appeals/{appeal_id}").text)
    form = {"decision": "reject", "reason": "证据充分", "csrf_token": token}
    preview = city.post(f"/a/appeals/{appeal_id}", form)
    assert preview.status_code == 200 and f"维持案件 {case_id} 的处理" in preview.text
    assert city.post(f"/a/appeals/{appeal_id}", {**form, "confirmed": "1"}).status_code == 303
    with api.session() as s:
        assert s.get(Appeal, appeal_id).status == "rejected"
        assert s.get(Case, case_id).status == "warned"
    assert "已驳回" in vol.get("/appeals").text
