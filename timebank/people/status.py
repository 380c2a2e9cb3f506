"""A person's lifecycle: suspend, reinstate, disqualify, exit, death.

Coins are the ledger's business: a status change here only records the fact (and, for a
disqualification, cancels qualifications as the sanction requires [S2]); moving a deceased
person's balance to the named beneficiary or the pool is done by the ledger.

A disqualified person comes back only through ``reinstate``: the city upheld their appeal
against the case that disqualified them (docs/policy.md, "Reinstatement"). ``set_status``
refuses ``disqualified → active``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.clock import local_date
from timebank.errors import Conflict, InvalidInput
from timebank.people import rules
from timebank.people.models import Person
from timebank.people.qualifications import cancel_qualifications
from timebank.people.repository import get_person
from timebank.people.scope import require_admin_in, require_staff_in


def _require_may_set(actor: Actor, person: Person, status: str) -> None:
    if status == "exited" and actor.role not in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        # Leaving is the person's own choice (or their proxy's); admins may record it too.
        actor.require_self_or_proxy(person.id)
    elif status == "deceased":
        # The street station usually learns of a death first; admins may record it too.
        require_staff_in(actor, person.district_code)
    else:
        require_admin_in(actor, person.district_code)


def set_status(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    status: str,
    reason: str,
    at: datetime,
    died_on: date | None = None,
) -> Person:
    """Move a person to ``status`` along an allowed transition, recording who, when and why."""
    if status not in rules.STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(rules.STATUSES)}", field="status")
    person = get_person(session, person_id)
    _require_may_set(actor, person, status)
    why = rules.required_text(reason, field="reason", max_len=500)
    if not rules.status_transition_allowed(person.status, status):
        raise Conflict(
            f"person {person.id} cannot go from {person.status} to {status}",
            rule="status_transition",
            details={"from": person.status, "to": status},
        )
    if status == "deceased":
        if died_on is None:
            raise InvalidInput("the date of death is required", field="died_on")
        if not person.birth_date <= died_on <= local_date(at):
            raise InvalidInput("died_on must be between birth and today", field="died_on")
        person.died_on = died_on
    elif died_on is not None:
        raise InvalidInput("died_on is only for a death", field="died_on")
    if status == "disqualified":
        person.volunteer_status = "disqualified"
        cancel_qualifications(
            session, actor=actor, person_id=person.id, reason=f"disqualified: {why}", at=at
        )
    person.status = status
    person.status_reason = why
    person.status_changed_at = at
    session.flush()
    return person


def record_death(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    died_on: date,
    at: datetime,
    reason: str = "death recorded",
) -> Person:
    return set_status(
        session,
        actor=actor,
        person_id=person_id,
        status="deceased",
        reason=reason,
        at=at,
        died_on=died_on,
    )


def reinstate(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    upheld_appeal_id: int,
    reason: str,
    at: datetime,
) -> Person:
    """Lift a disqualification after the city upheld the person's appeal.

    Only ``supervision.appeals.reinstate_person`` calls this, once it has checked that
    ``upheld_appeal_id`` is an upheld appeal against this person's disqualification (the
    appeal is supervision's record; people keep no import of it).

    The person is ``active`` again; as a volunteer they are ``pending`` (they re-activate once
    every eligibility rule holds) — or ``none`` if they never volunteered. Qualifications
    cancelled with the disqualification stay cancelled: a station verifies them anew."""
    actor.require(Role.CITY_ADMIN, rule="reinstate_city")
    person = get_person(session, person_id)
    why = rules.required_text(reason, field="reason", max_len=500)
    if not rules.status_transition_allowed(person.status, "active", upheld_appeal=True):
        raise Conflict(
            f"person {person.id} is {person.status}, not disqualified",
            rule="status_transition",
            details={"from": person.status, "to": "active", "appeal": upheld_appeal_id},
        )
    person.status = "active"
    person.status_reason = why
    person.status_changed_at = at
    if person.volunteer_status == "disqualified":
        person.volunteer_status = "pending" if person.activated_at is not None else "none"
    session.flush()
    return person
