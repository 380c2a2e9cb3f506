"""Sanctions of a confirmed fraud: disqualification, reversals, the untrustworthy list.

Confirmed fraud: each person is disqualified (which freezes the account and cancels their
qualifications), may now carry a debt, and loses the named credits through reversal transfers
keyed ``case:{id}:reverse:{transfer}``; each institution goes on the public untrustworthy list.
Every step first looks for what an earlier attempt did, so a retried decision repeats nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.audit.services import record_act
from timebank.care import stations
from timebank.errors import Conflict, NotFound
from timebank.ledger import services as ledger
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Organisation, Person
from timebank.people.rules import required_text
from timebank.people.scope import require_admin_in
from timebank.people.status import set_status
from timebank.supervision.models import (
    Alert,
    AlertPerson,
    Case,
    CaseAlert,
    Sanction,
    UntrustworthyEntry,
    Watch,
)
from timebank.supervision.plans import DecisionPlan, reversal_key
from timebank.supervision.records import audit_target


def apply_fraud(
    session: Session,
    *,
    actor: Actor,
    case: Case,
    plan: DecisionPlan,
    reason: str,
    at: datetime,
) -> None:
    """Carry out a confirmed-fraud plan (``plans.plan_decision``): exactly what it names."""
    why = f"case {case.id}: {reason}"[:500]
    for person_id in plan.people:
        _disqualify(session, actor, case, person_id, why, at)
    for transfer_id in plan.reversals:
        _reverse(session, actor, case, transfer_id, set(plan.people), why, at)
    for org_id in plan.organisations:
        _list_untrustworthy(session, actor, case, org_id, reason, at)


def _sanction(session: Session, case: Case, kind: str, **match: object) -> Sanction | None:
    query = select(Sanction).where(Sanction.case_id == case.id, Sanction.kind == kind)
    for name, value in match.items():
        query = query.where(getattr(Sanction, name) == value)
    return session.execute(query).scalar_one_or_none()


def _disqualify(
    session: Session, actor: Actor, case: Case, person_id: int, why: str, at: datetime
) -> None:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field="person_ids")
    if _sanction(session, case, "disqualification", person_id=person_id) is not None:
        return
    note = None
    if person.status == "disqualified":
        note = "already disqualified"
    else:
        set_status(
            session,
            actor=actor,
            person_id=person_id,
            status="disqualified",
            reason=why,
            at=at,
        )
    ledger.allow_debt(session, person_id=person_id)
    session.add(
        Sanction(
            case_id=case.id,
            kind="disqualification",
            person_id=person_id,
            at=at,
            by=actor.label[:80],
            note=note,
        )
    )
    _audit(session, actor, "supervision.disqualify", case, at, person=person_id)


def _reverse(
    session: Session,
    actor: Actor,
    case: Case,
    transfer_id: int,
    sanctioned: set[int],
    why: str,
    at: datetime,
) -> None:
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"no transfer {transfer_id}", field="transfer_ids")
    key = reversal_key(case.id, transfer_id)
    earlier = session.execute(
        select(Transfer).where(Transfer.reverses_id == transfer_id)
    ).scalar_one_or_none()
    if earlier is not None and earlier.key != key:
        return  # reversed before, by another case or a correction: nothing left to take back
    owners = dict(
        session.execute(
            select(Account.id, Account.person_id).where(
                Account.id.in_([original.credit_account_id, original.debit_account_id])
            )
        )
        .tuples()
        .all()
    )
    owner = owners.get(original.credit_account_id)
    if owner is not None and owner in sanctioned:
        ledger.allow_debt(session, person_id=owner)
    posted = ledger.reverse(
        session, actor=actor, key=key, transfer_id=transfer_id, reason=why, at=at
    )
    if _sanction(session, case, "reversal", transfer_id=transfer_id) is None:
        session.add(
            Sanction(
                case_id=case.id,
                kind="reversal",
                person_id=owner if owner is not None else owners[original.debit_account_id],
                transfer_id=transfer_id,
                reversal_id=posted.id,
                minutes=posted.amount,
                at=at,
                by=actor.label[:80],
            )
        )
        _audit(
            session,
            actor,
            "supervision.reverse",
            case,
            at,
            transfer=transfer_id,
            reversal=posted.id,
        )


def _list_untrustworthy(
    session: Session, actor: Actor, case: Case, org_id: int, reason: str, at: datetime
) -> None:
    _, created = _listing(session, actor, org_id, reason, at, case.id, "organisation_ids")
    if created:
        _audit(session, actor, "supervision.untrustworthy", case, at, organisation=org_id)


def list_untrustworthy(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    reason: str,
    at: datetime,
    case_id: int | None = None,
) -> UntrustworthyEntry:
    """Put an institution on the public untrustworthy list (失信名单) with the reason and the
    date, and flag it (``care.stations.mark_untrustworthy``), so it can no longer publish,
    review or confirm. A listing already in force is returned as it is (a retry adds nothing).
    A district admin lists institutions of their own district; the city admin any."""
    return _listing(session, actor, org_id, reason, at, case_id, "org_id")[0]


def _listing(
    session: Session,
    actor: Actor,
    org_id: int,
    reason: str,
    at: datetime,
    case_id: int | None,
    field: str,
) -> tuple[UntrustworthyEntry, bool]:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id}", field=field)
    require_admin_in(actor, org.district_code)
    why = required_text(reason, field="reason", max_len=2000)
    listed = session.execute(
        select(UntrustworthyEntry)
        .where(UntrustworthyEntry.organisation_id == org.id, UntrustworthyEntry.lifted_at.is_(None))
        .order_by(UntrustworthyEntry.id)
    ).scalar()
    if not org.untrustworthy:
        stations.mark_untrustworthy(session, actor=actor, org_id=org.id, reason=why, at=at)
    if listed is not None:
        return listed, False
    entry = UntrustworthyEntry(
        organisation_id=org.id,
        case_id=case_id,
        reason=why,
        listed_at=at,
        listed_by=actor.label[:80],
    )
    session.add(entry)
    session.flush()
    return entry, True


def lift_untrustworthy(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    reason: str,
    at: datetime,
    case_id: int | None = None,
) -> list[UntrustworthyEntry]:
    """Lift an institution's listings in force: those made outside a case, or (``case_id``,
    an upheld appeal) that case's. A case's listing comes off only by an upheld appeal. The
    flag is cleared (``care.stations.clear_untrustworthy``) once no listing is left in force.
    Entries are never deleted: each keeps who lifted it, when and why."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id}", field="org_id")
    require_admin_in(actor, org.district_code)
    why = required_text(reason, field="reason", max_len=2000)
    in_force = list(
        session.execute(
            select(UntrustworthyEntry)
            .where(
                UntrustworthyEntry.organisation_id == org_id,
                UntrustworthyEntry.lifted_at.is_(None),
            )
            .order_by(UntrustworthyEntry.id)
        ).scalars()
    )
    lifted = [e for e in in_force if e.case_id == case_id]
    held = [e for e in in_force if e.case_id != case_id]
    if case_id is None and not lifted and held:
        raise Conflict(
            f"{org.name} is listed by case {held[0].case_id}: only an upheld appeal lifts it",
            rule="listing_by_case",
        )
    for entry in lifted:
        entry.lifted_at, entry.lifted_by, entry.lift_reason = at, actor.label[:80], why
    session.flush()
    if not held and org.untrustworthy:
        stations.clear_untrustworthy(session, actor=actor, org_id=org_id, reason=why, at=at)
    return lifted


def lift_watch(
    session: Session, *, actor: Actor, people: Sequence[int], at: datetime, except_case: int
) -> list[int]:
    """Take people off the watch list unless another alert of theirs is still open."""
    busy = set(
        session.execute(
            select(AlertPerson.person_id)
            .join(Alert, Alert.id == AlertPerson.alert_id)
            .outerjoin(CaseAlert, CaseAlert.alert_id == Alert.id)
            .where(
                AlertPerson.person_id.in_(list(people)),
                Alert.status.in_(("open", "in_case")),
                (CaseAlert.case_id.is_(None)) | (CaseAlert.case_id != except_case),
            )
        ).scalars()
    )
    lifted = []
    for watch in session.execute(
        select(Watch).where(Watch.person_id.in_(list(people)), Watch.lifted_at.is_(None))
    ).scalars():
        if watch.person_id not in busy:
            watch.lifted_at, watch.lifted_by = at, actor.label[:80]
            lifted.append(watch.person_id)
    return lifted


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
        moves_coins=act == "supervision.reverse",
    )
