"""Facts for the web tests, made through the same use cases the app runs (no rows written by
hand): served visits, supervision alerts found by the write-time checks, cases and sanctions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from tests.functional.api.conftest import ApiWorld
from tests.integration.people.factories import CHAOYANG, DONGCHENG
from timebank.actors import Actor, Role
from timebank.care import assign, codes, needs, visits
from timebank.care.profiles import set_volunteer_profile
from timebank.clock import LOCAL_TZ, local_date
from timebank.policy_store import load_policy
from timebank.supervision import services as supervision
from timebank.supervision.models import Alert


def actors(api: ApiWorld, tag: str = "") -> dict[str, Actor]:
    district = CHAOYANG if tag else DONGCHENG
    return {
        "station": Actor(
            role=Role.STATION, org_id=api.ids["station" + tag], district_code=district
        ),
        "elder": Actor(role=Role.ELDER, person_id=api.ids["elder" + tag]),
        "volunteer": Actor(role=Role.VOLUNTEER, person_id=api.ids["volunteer" + tag]),
        "district": Actor(role=Role.DISTRICT_ADMIN, district_code=district),
        "city": Actor(role=Role.CITY_ADMIN),
    }


def local(api: ApiWorld, days: int, hour: int, minute: int = 0) -> datetime:
    """A local time ``days`` after the world's clock."""
    day = local_date(api.clock.now()) + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


def assigned_visit(api: ApiWorld, start: datetime, *, tag: str = "") -> int:
    """A visit of the world's volunteer to the elder (of 东城, or 朝阳 with ``tag="_other"``)
    due at ``start``: published, reviewed and taken a day ahead."""
    a = actors(api, tag)
    elder, volunteer = api.ids["elder" + tag], api.ids["volunteer" + tag]
    published = start - timedelta(days=1)
    item_id = api.item_id()
    with api.session() as s:
        pol = load_policy(s)
        [need] = needs.publish_need(
            s,
            actor=a["elder"],
            request=needs.NeedRequest(
                elder_id=elder,
                item_id=item_id,
                description="陪老人聊天",
                window_start=start,
                window_end=start + timedelta(hours=3),
                expected_minutes=60,
            ),
            policy=pol,
            at=published,
        )
        needs.review_need(
            s, actor=a["station"], need_id=need.id, approve=True, policy=pol, at=published
        )
        set_volunteer_profile(  # available around the clock, so a late-night visit is possible
            s,
            actor=a["volunteer"],
            person_id=volunteer,
            categories=[],
            radius_m=3000,
            availability=[[d, "00:00", "23:59"] for d in range(7)],
            at=published,
        )
        visit = assign.assign_need(
            s,
            actor=a["volunteer"],
            need_id=need.id,
            volunteer_id=volunteer,
            policy=pol,
            at=published,
        )
        s.commit()
        return int(visit.id)


def served_visit(
    api: ApiWorld, start: datetime, minutes: int = 60, *, tag: str = "", confirm: bool = False
) -> int:
    """An assigned visit, checked in at ``start`` and out ``minutes`` later with the elder's
    code; confirmed by the elder (and the supervision checks run, as after any commit) when
    ``confirm``."""
    visit_id = assigned_visit(api, start, tag=tag)
    a = actors(api, tag)
    elder = api.ids["elder" + tag]
    end = start + timedelta(minutes=minutes)
    with api.session() as s:
        pol = load_policy(s)
        for step, at in ((visits.check_in, start), (visits.check_out, end)):
            code = codes.current_code(s, elder_id=elder, at=at)
            kwargs: dict[str, Any] = {"policy": pol} if step is visits.check_in else {}
            step(s, actor=a["volunteer"], visit_id=visit_id, code=code, at=at, **kwargs)
        if confirm:
            visits.confirm_visit(
                s, actor=a["elder"], visit_id=visit_id, rating=5, at=end, policy=pol
            )
        s.commit()
    if confirm:
        supervision.after_commit(api.client.app.state.services.factory, "visit", visit_id, at=end)
    return visit_id


def late_night_alert(api: ApiWorld, *, tag: str = "", days: int = 1) -> int:
    """A confirmed 22:30–23:30 visit, and the late-night alert the write-time check stored."""
    visit_id = served_visit(api, local(api, days, 22, 30), 60, tag=tag, confirm=True)
    with api.session() as s:
        alert = s.execute(
            select(Alert).where(Alert.rule == "late_night", Alert.subject_id == str(visit_id))
        ).scalar_one()
        return int(alert.id)


def open_case(api: ApiWorld, alert_ids: list[int], tag: str = "") -> int:
    with api.session() as s:
        case = supervision.open_case(
            s, actor=actors(api, tag)["district"], alert_ids=alert_ids, at=api.clock.now()
        )
        s.commit()
        return int(case.id)


def decide(api: ApiWorld, case_id: int, outcome: str, tag: str = "") -> None:
    with api.session() as s:
        supervision.decide_case(
            s,
            actor=actors(api, tag)["district"],
            case_id=case_id,
            outcome=outcome,
            reason="核实属实",
            at=api.clock.now(),
        )
        s.commit()
