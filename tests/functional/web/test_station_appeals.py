"""A station whose organisation a confirmed case put on the untrustworthy list appeals the
listing from its own pages (``/s/appeals``); other stations and other roles cannot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.functional.web.conftest import csrf_of
from tests.functional.web.world import actors, late_night_alert, open_case
from timebank.supervision import services as supervision
from timebank.supervision.models import Appeal


def _listed_case(api: Any) -> int:
    case_id = open_case(api, [late_night_alert(api)])
    with api.session() as s:
        supervision.decide_case(
            s,
            actor=actors(api)["district"],
            case_id=case_id,
            outcome="confirm_fraud",
            reason="核实属实",
            at=api.clock.now(),
            organisation_ids=[api.ids["station"]],
        )
        s.commit()
    return case_id


def _appeals(api: Any) -> int:
    with api.session() as s:
        return int(s.execute(select(func.count()).select_from(Appeal)).scalar_one())


def test_a_listed_station_appeals_its_listing(web: Any, api: Any) -> None:
    station = web().sign_in("station")
    assert "本站不在失信名单上" in station.get("/s/appeals").text
    case_id = _listed_case(api)
    page = station.get("/s/appeals")
    assert page.status_code == 200 and f"案件 {case_id}" in page.text
    token = csrf_of(page.text)

    empty = station.post(f"/s/appeals/{case_id}", {"reason": " ", "csrf_token": token})
    assert empty.status_code == 422 and f'id="e-reason-{case_id}"' in empty.text
    assert station.post(f"/s/appeals/{case_id}", {"reason": "不是本站"}).status_code == 403
    assert _appeals(api) == 0

    other = web().sign_in("station_other")
    r = other.post(
        f"/s/appeals/{case_id}",
        {"reason": "不是本站", "csrf_token": csrf_of(other.get("/s/appeals").text)},
    )
    assert r.status_code == 404
    assert f"案件 {case_id}" not in other.get("/s/appeals").text

    filed = station.post(f"/s/appeals/{case_id}", {"reason": "记录是纸质补录", "csrf_token": token})
    assert filed.status_code == 303 and filed.headers["location"] == "/s/appeals?done=1"
    with api.session() as s:
        appeal = s.execute(select(Appeal)).scalar_one()
        assert appeal.case_id == case_id and appeal.status == "pending"
    again = station.get("/s/appeals?done=1")
    assert "申诉已提交" in again.text and "提出申诉" not in again.text  # one pending at a time


def test_only_stations_reach_the_page(web: Any) -> None:
    for who in ("volunteer", "district", "city"):
        assert web().sign_in(who).get("/s/appeals").status_code == 403, who
    assert web().get("/s/appeals").status_code in (302, 303)  # signed out: to the sign-in page
