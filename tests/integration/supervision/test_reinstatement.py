"""Reinstatement after an upheld appeal: the people, ledger and care use cases it goes through.

Policy (docs/policy.md): ``disqualified → active`` only through an upheld appeal, decided by
the city; the volunteer re-activates; cancelled qualifications stay cancelled. Restoring a
reversed credit is a new ledger transfer, at most once per reversal; the untrustworthy flag
is set and cleared by the care use cases, each in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.care.conftest import POLICY, World
from tests.integration.supervision.conftest import night, plant_visit
from tests.integration.supervision.test_sanctions import fraud_case, ledger_ok, reversals
from timebank.actors import Actor, Role
from timebank.audit.models import AuditEntry
from timebank.care import stations
from timebank.care.stations import require_trusted_station
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.core import Posted
from timebank.ledger.models import Transfer
from timebank.people import services as people
from timebank.people.models import Organisation
from timebank.supervision import appeals
from timebank.supervision import services as sv
from timebank.supervision.appeals import HELD_ELSEWHERE
from timebank.supervision.models import Alert, Appeal, Sanction, UntrustworthyEntry
from timebank.supervision.sanctions import lift_untrustworthy, list_untrustworthy


def confirmed(w: World) -> int:
    case_id, _ = fraud_case(w)
    sv.confirm_fraud(
        w.session,
        actor=w.city.admin,
        case_id=case_id,
        reason="夜间虚报",
        at=w.clock.now(),
        organisation_ids=[w.city.station.org_id or 0],
    )
    return case_id


def filed(w: World, case_id: int) -> Appeal:
    return sv.appeal(
        w.session, actor=w.volunteer_actor, case_id=case_id, reason="有证明", at=w.clock.now()
    )


def test_the_plain_status_path_never_reinstates(world: World) -> None:
    w = world
    confirmed(w)
    with pytest.raises(Conflict) as info:
        people.set_status(
            w.session,
            actor=w.city.city_admin,
            person_id=w.volunteer.id,
            status="active",
            reason="申诉成功",
            at=w.clock.now(),
        )
    assert info.value.rule == "status_transition"


def test_reinstating_needs_the_city_and_an_upheld_appeal_against_that_person(
    world: World,
) -> None:
    w = world
    case_id = confirmed(w)
    appeal = filed(w, case_id)
    later = w.clock.now() + timedelta(days=3)

    def reinstate(actor: Actor, appeal_id: int, person_id: int) -> object:
        return appeals.reinstate_person(
            w.session,
            actor=actor,
            person_id=person_id,
            appeal_id=appeal_id,
            reason="申诉成立",
            at=later,
        )

    with pytest.raises(PermissionDenied):
        reinstate(w.city.admin, appeal.id, w.volunteer.id)  # a district admin
    with pytest.raises(RuleViolation) as pending:
        reinstate(w.city.city_admin, appeal.id, w.volunteer.id)  # not decided yet
    assert (pending.value.rule, pending.value.field) == ("reinstate_upheld_appeal", "appeal_id")
    with pytest.raises(NotFound):
        reinstate(w.city.city_admin, 10**9, w.volunteer.id)
    sv.reinstate(w.session, actor=w.city.city_admin, appeal_id=appeal.id, reason="属实", at=later)
    assert w.volunteer.status == "active"
    # The case never disqualified the elder: the appeal cannot serve to reinstate them.
    with pytest.raises(RuleViolation):
        reinstate(w.city.city_admin, appeal.id, w.elder.id)
    # Already active: nothing to reinstate.
    with pytest.raises(Conflict):
        reinstate(w.city.city_admin, appeal.id, w.volunteer.id)


def test_the_volunteer_reactivates_and_qualifications_need_a_new_verification(
    world: World,
) -> None:
    w = world
    case_id = confirmed(w)
    appeal = filed(w, case_id)
    later = w.clock.now() + timedelta(days=3)
    sv.reinstate(w.session, actor=w.city.city_admin, appeal_id=appeal.id, reason="属实", at=later)
    assert people.serving_refusals(
        w.session, person_id=w.volunteer.id, on=w.city.today, policy=POLICY
    ) == ["volunteer_active"]
    people.activate_volunteer(w.session, actor=w.city.station, person_id=w.volunteer.id, at=later)
    assert w.volunteer.volunteer_status == "active"
    assert people.valid_qualifications(w.session, w.volunteer.id, w.city.today) == []


def test_a_second_confirmed_case_keeps_the_person_disqualified_until_it_too_falls(
    world: World,
) -> None:
    w = world
    first, _ = fraud_case(w)
    # Another night visit found after the first case opened: a second case of its own.
    plant_visit(w, start=night(w, -8), minutes=60)
    sv.scan_and_record(w.session, at=w.clock.now())
    fresh = list(w.session.execute(select(Alert.id).where(Alert.status == "open")).scalars())
    second = sv.open_case(w.session, actor=w.city.admin, alert_ids=fresh, at=w.clock.now())
    for case_id in (first, second.id):
        sv.confirm_fraud(
            w.session,
            actor=w.city.admin,
            case_id=case_id,
            reason="虚报",
            at=w.clock.now(),
            person_ids=[w.volunteer.id],
        )
    later = w.clock.now() + timedelta(days=5)
    sv.reinstate(
        w.session, actor=w.city.city_admin, appeal_id=filed(w, first).id, reason="一", at=later
    )
    held = w.session.execute(
        select(Sanction).where(Sanction.case_id == first, Sanction.kind == "disqualification")
    ).scalar_one()
    assert held.note == HELD_ELSEWHERE and w.volunteer.status == "disqualified"
    sv.reinstate(
        w.session, actor=w.city.city_admin, appeal_id=filed(w, second.id).id, reason="二", at=later
    )
    assert w.volunteer.status == "active"
    ledger_ok(w)


def test_restoring_a_reversal_is_a_new_transfer_at_most_once(world: World) -> None:
    w = world
    confirmed(w)
    reversal = reversals(w)[0]
    original = w.session.get(Transfer, reversal.reverses_id)
    assert original is not None
    at = w.clock.now() + timedelta(days=1)

    def restore(actor: Actor, key: str, reversal_id: int, reason: str = "申诉成立") -> Posted:
        return ledger.restore_reversed(
            w.session, actor=actor, key=key, reversal_id=reversal_id, reason=reason, at=at
        )

    with pytest.raises(PermissionDenied):
        restore(w.volunteer_actor, "r1", reversal.id)
    chaoyang = Actor(role=Role.DISTRICT_ADMIN, user_id=9, district_code="110105")
    with pytest.raises(PermissionDenied):
        restore(chaoyang, "r1", reversal.id)
    with pytest.raises(InvalidInput) as blank:
        restore(w.city.admin, "r1", reversal.id, reason="  ")
    assert blank.value.field == "reason"
    with pytest.raises(InvalidInput) as not_reversal:
        restore(w.city.admin, "r1", original.id)
    assert not_reversal.value.field == "reversal_id"
    with pytest.raises(NotFound):
        restore(w.city.admin, "r1", 10**9)
    posted = restore(w.city.admin, "r1", reversal.id)
    again = restore(w.city.admin, "r1", reversal.id)  # a retry replays, moves nothing
    assert again.replayed and again.id == posted.id
    row = w.session.get(Transfer, posted.id)
    assert row is not None
    assert (row.kind, row.debit_account_id, row.credit_account_id, row.amount) == (
        original.kind,
        original.debit_account_id,
        original.credit_account_id,
        original.amount,
    )
    assert (row.reference, row.value_date, row.reverses_id) == (
        original.reference,
        original.value_date,
        None,
    )
    assert row.memo == f"{ledger.restore_memo(reversal.id)}: 申诉成立"
    with pytest.raises(Conflict) as twice:
        restore(w.city.city_admin, "r2", reversal.id)
    assert twice.value.rule == "restore_once"
    # The restoring transfer is a posted transfer, so it could itself be reversed once more.
    ledger_ok(w)


def test_the_untrustworthy_flag_is_a_care_use_case(world: World) -> None:
    w = world
    org_id = w.city.station.org_id or 0
    chaoyang = Actor(role=Role.DISTRICT_ADMIN, user_id=9, district_code="110105")
    with pytest.raises(PermissionDenied):
        stations.mark_untrustworthy(
            w.session, actor=chaoyang, org_id=org_id, reason="x", at=w.clock.now()
        )
    with pytest.raises(InvalidInput) as blank:
        stations.mark_untrustworthy(
            w.session, actor=w.city.admin, org_id=org_id, reason=" ", at=w.clock.now()
        )
    assert blank.value.field == "reason"
    with pytest.raises(NotFound):
        stations.mark_untrustworthy(
            w.session, actor=w.city.admin, org_id=10**9, reason="x", at=w.clock.now()
        )
    stations.mark_untrustworthy(
        w.session, actor=w.city.admin, org_id=org_id, reason="伪造记录", at=w.clock.now()
    )
    with pytest.raises(RuleViolation) as blocked:
        require_trusted_station(w.session, w.city.station)
    assert blocked.value.rule == "untrustworthy"
    stations.clear_untrustworthy(
        w.session, actor=w.city.city_admin, org_id=org_id, reason="整改完成", at=w.clock.now()
    )
    assert require_trusted_station(w.session, w.city.station) is not None
    entries = w.session.execute(
        select(AuditEntry.act, AuditEntry.target).order_by(AuditEntry.id)
    ).all()
    assert [(a, t["reason"]) for a, t in entries] == [
        ("care.untrustworthy_mark", "伪造记录"),
        ("care.untrustworthy_clear", "整改完成"),
    ]


def test_the_public_list_keeps_every_entry_and_the_flag_follows_it(world: World) -> None:
    w = world
    org_id = w.city.station.org_id or 0
    first = list_untrustworthy(
        w.session, actor=w.city.admin, org_id=org_id, reason="伪造记录", at=w.clock.now()
    )
    again = list_untrustworthy(
        w.session, actor=w.city.admin, org_id=org_id, reason="再次", at=w.clock.now()
    )
    assert again.id == first.id  # one listing in force at a time
    org = w.session.get(Organisation, org_id)
    assert org is not None and org.untrustworthy
    later = w.clock.now() + timedelta(days=30)
    [lifted] = lift_untrustworthy(
        w.session, actor=w.city.city_admin, org_id=org_id, reason="整改完成", at=later
    )
    assert (lifted.id, lifted.lifted_at, lifted.lift_reason) == (first.id, later, "整改完成")
    assert not org.untrustworthy
    assert len(w.session.execute(select(UntrustworthyEntry)).all()) == 1
