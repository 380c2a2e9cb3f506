"""Professional qualifications: declared by the holder, verified by a station, cancelled by
sanction. Professional service items need one that is verified and valid on the day [C4]."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.clock import local_date
from timebank.errors import Conflict, InvalidInput, NotFound, RuleViolation
from timebank.people import rules
from timebank.people.models import Qualification
from timebank.people.repository import get_person
from timebank.people.scope import (
    require_admin_in,
    require_living,
    require_self_proxy_or_station,
    require_station_in,
)
from timebank.policy import Policy
from timebank.policy_store import load_policy


def add_qualification(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    qualification_type: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_until: date | None,
    at: datetime,
    policy: Policy | None = None,
) -> Qualification:
    """Declare a qualification; it counts only once a station has verified it."""
    person = get_person(session, person_id)
    require_living(person)
    require_self_proxy_or_station(actor, person)
    types = (policy or load_policy(session)).qualification_types
    if qualification_type not in types:
        raise InvalidInput(
            f"qualification type must be one of {', '.join(types)}", field="qualification_type"
        )
    ref = rules.required_text(number, field="number", max_len=64)
    by = rules.required_text(issuer, field="issuer", max_len=128)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("valid_until is before valid_from", field="valid_until")
    if valid_from > local_date(at):
        raise InvalidInput("valid_from is in the future", field="valid_from")
    exists = session.execute(
        select(Qualification.id).where(
            Qualification.person_id == person.id,
            Qualification.type == qualification_type,
            Qualification.number == ref,
        )
    ).first()
    if exists is not None:
        raise Conflict(
            f"qualification {qualification_type} {ref} is already recorded",
            field="number",
            rule="unique_qualification",
        )
    qualification = Qualification(
        person_id=person.id,
        type=qualification_type,
        number=ref,
        issuer=by,
        valid_from=valid_from,
        valid_until=valid_until,
        status="pending",
        created_at=at,
    )
    session.add(qualification)
    session.flush()
    return qualification


def _pending(session: Session, qualification_id: int) -> Qualification:
    qualification = session.get(Qualification, qualification_id)
    if qualification is None:
        raise NotFound(f"no qualification {qualification_id}", field="qualification_id")
    if qualification.status != "pending":
        raise Conflict(
            f"qualification {qualification_id} is {qualification.status}, not pending",
            rule="qualification_pending",
        )
    return qualification


def verify_qualification(
    session: Session, *, actor: Actor, qualification_id: int, at: datetime
) -> Qualification:
    """A station of the holder's district has checked the certificate with its issuer."""
    qualification = _pending(session, qualification_id)
    person = get_person(session, qualification.person_id)
    org_id = require_station_in(actor, person.district_code)
    if qualification.valid_until is not None and qualification.valid_until < local_date(at):
        raise RuleViolation(
            f"qualification {qualification.id} expired on {qualification.valid_until}",
            rule="qualification_expired",
        )
    qualification.status = "verified"
    qualification.verified_by_org_id = org_id
    qualification.verified_at = at
    session.flush()
    return qualification


def reject_qualification(
    session: Session, *, actor: Actor, qualification_id: int, reason: str, at: datetime
) -> Qualification:
    qualification = _pending(session, qualification_id)
    person = get_person(session, qualification.person_id)
    org_id = require_station_in(actor, person.district_code)
    qualification.status = "rejected"
    qualification.note = rules.required_text(reason, field="reason", max_len=500)
    qualification.verified_by_org_id = org_id
    qualification.verified_at = at
    session.flush()
    return qualification


def cancel_qualifications(
    session: Session, *, actor: Actor, person_id: int, reason: str, at: datetime
) -> int:
    """Cancel every pending or verified qualification (取消资格, a sanction); returns how many."""
    person = get_person(session, person_id)
    require_admin_in(actor, person.district_code)
    why = rules.required_text(reason, field="reason", max_len=500)
    live = session.execute(
        select(Qualification).where(
            Qualification.person_id == person.id,
            Qualification.status.in_(("pending", "verified")),
        )
    ).scalars()
    count = 0
    for qualification in live:
        qualification.status, qualification.cancelled_at = "cancelled", at
        qualification.note = why
        count += 1
    session.flush()
    return count


def valid_qualifications(session: Session, person_id: int, on: date) -> list[Qualification]:
    """Verified qualifications in force on ``on`` (a local date), by type then id."""
    rows = session.execute(
        select(Qualification)
        .where(Qualification.person_id == person_id, Qualification.status == "verified")
        .order_by(Qualification.type, Qualification.id)
    ).scalars()
    return [
        q
        for q in rows
        if rules.qualification_valid_on(
            status=q.status, valid_from=q.valid_from, valid_until=q.valid_until, on=on
        )
    ]


def has_valid_qualification(
    session: Session, person_id: int, qualification_type: str, on: date
) -> bool:
    return any(q.type == qualification_type for q in valid_qualifications(session, person_id, on))
