"""Cases: alerts grouped by district, assigned within it, decided once; scope is enforced."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.care.conftest import World
from tests.integration.people.factories import CHAOYANG
from tests.integration.supervision.conftest import night, plant_visit, staff_user
from timebank.actors import Actor, Role
from timebank.audit.models import AuditEntry
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.supervision import services as sv
from timebank.supervision.models import Alert, Watch

OTHER_ADMIN = Actor(role=Role.DISTRICT_ADMIN, user_id=9, district_code=CHAOYANG)


def alerts_of(w: World, nights: int = 2) -> list[int]:
    for day in range(nights):
        plant_visit(w, start=night(w, -2 - day), minutes=60)
    sv.scan_and_record(w.session, at=w.clock.now())
    return list(w.session.execute(select(Alert.id).order_by(Alert.id)).scalars())


def test_a_case_goes_open_assigned_dismissed(world: World) -> None:
    w = world
    ids = alerts_of(w)
    case = sv.open_case(w.session, actor=w.city.admin, alert_ids=ids, at=w.clock.now())
    assert (case.status, case.district_code) == ("open", w.volunteer.district_code)
    assert {a.status for a in w.session.execute(select(Alert)).scalars()} == {"in_case"}
    reviewer = staff_user(w.session, role="district_admin", district="110101", at=w.clock.now())
    sv.assign_case(
        w.session,
        actor=w.city.admin,
        case_id=case.id,
        assignee_user_id=reviewer.id,
        at=w.clock.now(),
    )
    assert (case.status, case.assignee_user_id) == ("assigned", reviewer.id)
    decision = sv.decide_case(
        w.session,
        actor=w.city.admin,
        case_id=case.id,
        outcome="dismiss",
        reason="夜间陪护经家属同意",
        at=w.clock.now(),
    )
    assert (decision.outcome, case.status) == ("dismiss", "dismissed")
    assert {a.status for a in w.session.execute(select(Alert)).scalars()} == {"closed"}
    watch = w.session.get(Watch, w.volunteer.id)
    assert watch is not None and watch.lifted_at == w.clock.now()
    acts = w.session.execute(select(AuditEntry.act)).scalars().all()
    assert {"supervision.case_open", "supervision.case_assign", "supervision.case_dismiss"} <= set(
        acts
    )


def test_refused_transitions(world: World) -> None:
    w = world
    ids = alerts_of(w)
    case = sv.open_case(w.session, actor=w.city.admin, alert_ids=ids[:1], at=w.clock.now())
    with pytest.raises(Conflict) as err:
        sv.open_case(w.session, actor=w.city.admin, alert_ids=ids, at=w.clock.now())
    assert err.value.rule == "alert_open"
    with pytest.raises(Conflict) as err:
        sv.appeal(w.session, actor=w.city.city_admin, case_id=case.id, reason="x", at=w.clock.now())
    assert err.value.rule == "appeal_state"
    sv.decide_case(
        w.session,
        actor=w.city.admin,
        case_id=case.id,
        outcome="warn",
        reason="提醒",
        at=w.clock.now(),
    )
    assert case.status == "warned"
    for outcome in ("dismiss", "confirm_fraud"):
        with pytest.raises(Conflict) as err:
            sv.decide_case(
                w.session,
                actor=w.city.admin,
                case_id=case.id,
                outcome=outcome,
                reason="改判",
                at=w.clock.now(),
            )
        assert err.value.rule == "case_decided"
    # Warning again is a retry: no second warning, no second notice.
    sv.decide_case(
        w.session,
        actor=w.city.admin,
        case_id=case.id,
        outcome="warn",
        reason="提醒",
        at=w.clock.now(),
    )
    reviewer = staff_user(w.session, role="district_admin", district="110101", at=w.clock.now())
    with pytest.raises(Conflict) as err:
        sv.assign_case(
            w.session,
            actor=w.city.admin,
            case_id=case.id,
            assignee_user_id=reviewer.id,
            at=w.clock.now(),
        )
    assert err.value.rule == "case_transition"
    with pytest.raises(InvalidInput):
        sv.decide_case(
            w.session,
            actor=w.city.admin,
            case_id=case.id,
            outcome="fine",
            reason="x",
            at=w.clock.now(),
        )
    with pytest.raises(InvalidInput):
        sv.open_case(w.session, actor=w.city.admin, alert_ids=[], at=w.clock.now())
    with pytest.raises(NotFound):
        sv.open_case(w.session, actor=w.city.admin, alert_ids=[10**9], at=w.clock.now())


def test_district_scope(world: World) -> None:
    w = world
    ids = alerts_of(w, nights=1)
    with pytest.raises(PermissionDenied):
        sv.open_case(w.session, actor=OTHER_ADMIN, alert_ids=ids, at=w.clock.now())
    with pytest.raises(PermissionDenied):
        sv.open_case(w.session, actor=w.city.station, alert_ids=ids, at=w.clock.now())
    case = sv.open_case(w.session, actor=w.city.admin, alert_ids=ids, at=w.clock.now())
    outsider = staff_user(w.session, role="district_admin", district=CHAOYANG, at=w.clock.now())
    with pytest.raises(PermissionDenied):
        sv.assign_case(
            w.session,
            actor=OTHER_ADMIN,
            case_id=case.id,
            assignee_user_id=outsider.id,
            at=w.clock.now(),
        )
    with pytest.raises(RuleViolation) as err:
        sv.assign_case(
            w.session,
            actor=w.city.admin,
            case_id=case.id,
            assignee_user_id=outsider.id,
            at=w.clock.now(),
        )
    assert err.value.rule == "assignee_district"
    for outcome in ("dismiss", "warn", "confirm_fraud"):
        with pytest.raises(PermissionDenied):
            sv.decide_case(
                w.session,
                actor=OTHER_ADMIN,
                case_id=case.id,
                outcome=outcome,
                reason="越权",
                at=w.clock.now(),
            )
    # The city admin acts anywhere, and may assign the city's own reviewer.
    city_reviewer = staff_user(w.session, role="city_admin", district=None, at=w.clock.now())
    sv.assign_case(
        w.session,
        actor=w.city.city_admin,
        case_id=case.id,
        assignee_user_id=city_reviewer.id,
        at=w.clock.now() + timedelta(minutes=1),
    )
    assert case.status == "assigned"


def test_a_warning_notifies_the_person(world: World) -> None:
    from timebank.notices.models import Notice
    from timebank.supervision.models import Sanction

    w = world
    ids = alerts_of(w, nights=1)
    case = sv.open_case(w.session, actor=w.city.admin, alert_ids=ids, at=w.clock.now())
    sv.decide_case(
        w.session,
        actor=w.city.admin,
        case_id=case.id,
        outcome="warn",
        reason="提醒",
        at=w.clock.now(),
    )
    [warning] = w.session.execute(select(Sanction)).scalars().all()
    assert (warning.kind, warning.person_id) == ("warning", w.volunteer.id)
    bodies = w.session.execute(select(Notice.text_zh)).scalars().all()
    assert any("警告" in b for b in bodies)
