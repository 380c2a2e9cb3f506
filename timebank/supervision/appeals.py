"""Appeals against a warning or a confirmed fraud, decided by the city; reinstatement.

An upheld appeal overturns the case: warnings are lifted, each reversed credit is restored by a
new transfer (keyed ``case:{id}:restore:{transfer}``, never by undoing the reversal), listed
institutions come off the untrustworthy list, and the people come off the watch list. A
disqualification is lifted only where the people rules allow ``disqualified → active``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_act
from timebank.errors import Conflict, NotFound, PermissionDenied
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import Transfer
from timebank.people.models import Organisation, Person
from timebank.people.rules import required_text, status_transition_allowed
from timebank.people.status import set_status
from timebank.supervision import lifecycle
from timebank.supervision.cases import case_people, get_case
from timebank.supervision.models import Appeal, Case, Sanction, UntrustworthyEntry
from timebank.supervision.sanctions import lift_watch

STATUS_STAYS = "stays disqualified: the people rules allow no disqualified → active move yet"


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
    sanctions = session.execute(
        select(Sanction).where(Sanction.case_id == case.id, Sanction.lifted_at.is_(None))
    ).scalars()
    for sanction in sanctions:
        if sanction.kind == "reversal":
            _restore_credit(session, actor, case, sanction, at)
        elif sanction.kind == "disqualification":
            _restore_status(session, actor, sanction, f"case {case.id} overturned: {why}", at)
        if sanction.kind != "disqualification" or sanction.note is None:
            sanction.lifted_at, sanction.lifted_by = at, actor.label[:80]
    for entry in session.execute(
        select(UntrustworthyEntry).where(
            UntrustworthyEntry.case_id == case.id, UntrustworthyEntry.lifted_at.is_(None)
        )
    ).scalars():
        entry.lifted_at, entry.lifted_by, entry.lift_reason = at, actor.label[:80], why
        session.flush()
        _relist(session, entry.organisation_id)
    lift_watch(session, actor=actor, people=case_people(session, case.id), at=at, except_case=-1)
    row.status, row.decided_by, row.decided_at, row.decision_reason = (
        "upheld",
        actor.label[:80],
        at,
        why,
    )
    case.status, case.updated_at = "overturned", at
    _audit(session, actor, "supervision.reinstate", case, at, appeal=row.id)
    session.flush()
    return row


def _restore_credit(
    session: Session, actor: Actor, case: Case, sanction: Sanction, at: datetime
) -> None:
    original = session.get(Transfer, sanction.transfer_id)
    assert original is not None
    spec = TransferSpec(
        key=f"case:{case.id}:restore:{original.id}",
        kind=original.kind,
        debit_account_id=original.debit_account_id,
        credit_account_id=original.credit_account_id,
        amount=original.amount,
        reference=original.reference,
        value_date=original.value_date,
        memo=f"case {case.id} overturned: restores transfer {original.id}",
    )
    [posted] = post_transfers(session, [spec], actor=actor.label, at=at)
    sanction.restore_id = posted.id
    _audit(session, actor, "supervision.restore_credit", case, at, transfer=posted.id)


def _restore_status(
    session: Session, actor: Actor, sanction: Sanction, why: str, at: datetime
) -> None:
    person = session.get(Person, sanction.person_id)
    if sanction.note is not None or person is None or person.status != "disqualified":
        return
    if not status_transition_allowed("disqualified", "active"):
        sanction.note = STATUS_STAYS
        return
    set_status(session, actor=actor, person_id=person.id, status="active", reason=why, at=at)


def _relist(session: Session, org_id: int) -> None:
    """An institution stays flagged while any other listing of it is in force."""
    org = session.get(Organisation, org_id)
    if org is None:
        return
    org.untrustworthy = (
        session.execute(
            select(UntrustworthyEntry.id).where(
                UntrustworthyEntry.organisation_id == org_id,
                UntrustworthyEntry.lifted_at.is_(None),
            )
        ).first()
        is not None
    )


def _audit(
    session: Session, actor: Actor, act: str, case: Case, at: datetime, **target: object
) -> None:
    record_act(
        session,
        actor=actor,
        act=act,
        target={"case": case.id, **target},
        status=200,
        at=at,
        moves_coins=act == "supervision.restore_credit",
    )
