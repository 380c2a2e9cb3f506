"""Appeals against a warning or a confirmed fraud, decided by the city; reinstatement.

An upheld appeal overturns the case: warnings are lifted, each reversed credit is restored by a
new transfer (``ledger.restore_reversed``, keyed ``case:{id}:restore:{transfer}``, never by
undoing the reversal), listed institutions come off the untrustworthy list
(``sanctions.lift_untrustworthy`` → ``care.stations.clear_untrustworthy``), the people come off
the watch list, and each person the case disqualified is reinstated
(``people.status.reinstate``: active again, to re-activate as a volunteer; cancelled
qualifications stay cancelled).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_act
from timebank.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.people import status as people_status
from timebank.people.models import Person
from timebank.people.rules import required_text
from timebank.supervision import lifecycle
from timebank.supervision.cases import get_case
from timebank.supervision.models import Appeal, Case, Sanction, UntrustworthyEntry
from timebank.supervision.queries import case_people
from timebank.supervision.records import audit_target
from timebank.supervision.sanctions import lift_untrustworthy, lift_watch

# Kept for callers of the first version, when the people rules had no way back.
STATUS_STAYS = "stays disqualified: the people rules allow no disqualified → active move yet"
HELD_ELSEWHERE = "stays disqualified: another case's disqualification is in force"


def _pending(session: Session, case_id: int) -> Appeal | None:
    return session.execute(
        select(Appeal).where(Appeal.case_id == case_id, Appeal.status == "pending")
    ).scalar_one_or_none()


def _may_appeal(session: Session, actor: Actor, case: Case) -> None:
    if actor.role in (Role.CITY_ADMIN, Role.SYSTEM):
        return  # an appeal received on paper, entered by the city
    people = set(
        session.execute(select(Sanction.person_id).where(Sanction.case_id == case.id)).scalars()
    )
    if any(actor.acts_as(p) for p in people):
        return
    listed = set(
        session.execute(
            select(UntrustworthyEntry.organisation_id).where(UntrustworthyEntry.case_id == case.id)
        ).scalars()
    )
    if actor.role is Role.STATION and actor.org_id in listed:
        return
    raise PermissionDenied(
        "only a sanctioned person, their proxy, or a listed institution may appeal",
        rule="appeal_party",
    )


def appeal(session: Session, *, actor: Actor, case_id: int, reason: str, at: datetime) -> Appeal:
    case = get_case(session, case_id, lock=True)
    _may_appeal(session, actor, case)
    why = required_text(reason, field="reason", max_len=2000)
    lifecycle.require_appealable(case.id, case.status, _pending(session, case.id) is not None)
    row = Appeal(case_id=case.id, filed_by=actor.label[:80], filed_at=at, reason=why)
    session.add(row)
    session.flush()
    _audit(session, actor, "supervision.appeal", case, at, appeal=row.id)
    return row


def _decidable(session: Session, actor: Actor, appeal_id: int) -> tuple[Appeal, Case]:
    actor.require(Role.CITY_ADMIN, rule="appeal_decider")
    row = session.get(Appeal, appeal_id)
    if row is None:
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
    if row.status != "pending":
        raise Conflict(f"appeal {row.id} was already {row.status}", rule="appeal_decided")
    return row, get_case(session, row.case_id, lock=True)


def reject_appeal(
    session: Session, *, actor: Actor, appeal_id: int, reason: str, at: datetime
) -> Appeal:
    row, case = _decidable(session, actor, appeal_id)
    row.decision_reason = required_text(reason, field="reason", max_len=2000)
    row.status, row.decided_by, row.decided_at = "rejected", actor.label[:80], at
    _audit(session, actor, "supervision.appeal_reject", case, at, appeal=row.id)
    session.flush()
    return row


def reinstate(
    session: Session, *, actor: Actor, appeal_id: int, reason: str, at: datetime
) -> Appeal:
    """Uphold the appeal and undo the case's sanctions, each by a new recorded act."""
    row, case = _decidable(session, actor, appeal_id)
    why = required_text(reason, field="reason", max_len=2000)
    lifecycle.require_case_move(case.id, case.status, "overturned")
    # Upheld first: the people rules reinstate only against an upheld appeal.
    row.status, row.decided_by, row.decided_at, row.decision_reason = (
        "upheld",
        actor.label[:80],
        at,
        why,
    )
    session.flush()
    overturned = f"case {case.id} overturned: {why}"[:500]
    sanctions = (
        session.execute(
            select(Sanction)
            .where(Sanction.case_id == case.id, Sanction.lifted_at.is_(None))
            .order_by(Sanction.id)
        )
        .scalars()
        .all()
    )
    for sanction in sanctions:
        if sanction.kind == "reversal":
            _restore_credit(session, actor, case, sanction, overturned, at)
        elif sanction.kind == "disqualification":
            _restore_status(session, actor, case, row, sanction, overturned, at)
        sanction.lifted_at, sanction.lifted_by = at, actor.label[:80]
    listed = (
        session.execute(
            select(UntrustworthyEntry.organisation_id)
            .where(UntrustworthyEntry.case_id == case.id, UntrustworthyEntry.lifted_at.is_(None))
            .distinct()
        )
        .scalars()
        .all()
    )
    for org_id in sorted(listed):
        lift_untrustworthy(
            session, actor=actor, org_id=org_id, reason=overturned, at=at, case_id=case.id
        )
    lift_watch(session, actor=actor, people=case_people(session, case.id), at=at, except_case=-1)
    case.status, case.updated_at = "overturned", at
    _audit(session, actor, "supervision.reinstate", case, at, appeal=row.id)
    session.flush()
    return row


def _restore_credit(
    session: Session, actor: Actor, case: Case, sanction: Sanction, why: str, at: datetime
) -> None:
    assert sanction.reversal_id is not None and sanction.transfer_id is not None
    posted = ledger.restore_reversed(
        session,
        actor=actor,
        key=f"case:{case.id}:restore:{sanction.transfer_id}",
        reversal_id=sanction.reversal_id,
        reason=why,
        at=at,
    )
    sanction.restore_id = posted.id
    _audit(session, actor, "supervision.restore_credit", case, at, transfer=posted.id)


def _restore_status(
    session: Session,
    actor: Actor,
    case: Case,
    appeal: Appeal,
    sanction: Sanction,
    why: str,
    at: datetime,
) -> None:
    """Reinstate a person this case disqualified, unless another case's disqualification is in
    force. One already disqualified when this case was decided comes back only if that earlier
    disqualification was a case's, overturned while this one held it."""
    person = session.get(Person, sanction.person_id)
    if person is None or person.status != "disqualified":
        return
    others = session.execute(
        select(Sanction.lifted_at, Sanction.note).where(
            Sanction.person_id == person.id,
            Sanction.kind == "disqualification",
            Sanction.case_id != case.id,
        )
    ).all()
    if any(lifted is None for lifted, _ in others):
        sanction.note = HELD_ELSEWHERE
        return
    if sanction.note is not None and not any(note == HELD_ELSEWHERE for _, note in others):
        return  # disqualified before this case, and not by an overturned case
    reinstate_person(
        session, actor=actor, person_id=person.id, appeal_id=appeal.id, reason=why, at=at
    )
    _audit(session, actor, "supervision.reinstate_person", case, at, person=person.id)


def reinstate_person(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    appeal_id: int,
    reason: str,
    at: datetime,
) -> Person:
    """Reinstate one person, but only against an upheld appeal of a case that disqualified
    them (the one way out of ``disqualified``: ``people.status.reinstate``)."""
    actor.require(Role.CITY_ADMIN, rule="reinstate_city")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
    disqualified_by_case = session.execute(
        select(Sanction.id).where(
            Sanction.case_id == appeal.case_id,
            Sanction.kind == "disqualification",
            Sanction.person_id == person_id,
        )
    ).first()
    if appeal.status != "upheld" or disqualified_by_case is None:
        raise RuleViolation(
            f"appeal {appeal.id} is not an upheld appeal against person {person_id}'s "
            "disqualification",
            rule="reinstate_upheld_appeal",
            field="appeal_id",
        )
    return people_status.reinstate(
        session,
        actor=actor,
        person_id=person_id,
        upheld_appeal_id=appeal.id,
        reason=reason,
        at=at,
    )


def _audit(
    session: Session, actor: Actor, act: str, case: Case, at: datetime, **target: object
) -> None:
    record_act(
        session,
        actor=actor,
        act=act,
        target=audit_target(case=case.id, **target),
        status=200,
        at=at,
        moves_coins=act == "supervision.restore_credit",
    )
