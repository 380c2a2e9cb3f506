"""People use cases: the road to volunteering (residency, health, training, guardians,
activation), and the one import for every people use case.

Every use case takes the session, an explicit ``actor`` and ``at`` (aware UTC), flushes, and
never commits: the caller owns the transaction. Registration, kinship, qualification and
status use cases live in their own modules and are re-exported here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.clock import age_on, local_date
from timebank.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from timebank.people import rules
from timebank.people.crypto import PiiVault, default_vault
from timebank.people.kinship import (
    declare_kinship,
    name_beneficiary,
    reject_kinship,
    verified_relation,
    verified_relatives,
    verify_kinship,
)
from timebank.people.models import Person, TrainingRecord
from timebank.people.qualifications import (
    add_qualification,
    cancel_qualifications,
    has_valid_qualification,
    reject_qualification,
    valid_qualifications,
    verify_qualification,
)
from timebank.people.registration import check_guardian, register_person
from timebank.people.repository import find_by_id_number, get_person, volunteer_facts
from timebank.people.scope import (
    require_living,
    require_self_proxy_or_station,
    require_station_in,
)
from timebank.people.status import record_death, set_status
from timebank.policy import Policy
from timebank.policy_store import load_policy

__all__ = [
    "activate_volunteer",
    "add_qualification",
    "cancel_qualifications",
    "declare_health",
    "declare_kinship",
    "find_by_id_number",
    "get_person",
    "has_valid_qualification",
    "link_guardian",
    "name_beneficiary",
    "record_death",
    "record_guardian_consent",
    "record_residency_proof",
    "record_training",
    "register_person",
    "reject_kinship",
    "reject_qualification",
    "require_station_in",
    "reveal_id_number",
    "serving_refusals",
    "set_status",
    "valid_qualifications",
    "verified_relation",
    "verified_relatives",
    "verify_kinship",
    "verify_qualification",
]


def record_residency_proof(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    kind: str,
    reference: str,
    at: datetime,
    valid_until: date | None = None,
) -> Person:
    """A station has seen the hukou or residence permit (常住居民 proof) and records it."""
    person = get_person(session, person_id)
    require_living(person)
    org_id = require_station_in(actor, person.district_code)
    if kind not in rules.RESIDENCY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(rules.RESIDENCY_KINDS)}", field="kind")
    ref = rules.required_text(reference, field="reference", max_len=64)
    if kind == "residence_permit":
        if valid_until is None:
            raise InvalidInput("a residence permit has an end date", field="valid_until")
        if valid_until < local_date(at):
            raise RuleViolation("the residence permit has expired", rule="residency_expired")
    person.residency_kind = kind
    person.residency_ref = ref
    person.residency_valid_until = valid_until if kind == "residence_permit" else None
    person.residency_verified_at = at
    person.residency_verified_by_org_id = org_id
    session.flush()
    return person


def declare_health(
    session: Session, *, actor: Actor, person_id: int, fit: bool, at: datetime
) -> Person:
    """The person (or proxy, or a station from a paper form) declares fitness to serve."""
    person = get_person(session, person_id)
    require_living(person)
    require_self_proxy_or_station(actor, person)
    person.health_declared_at = at
    person.health_fit = fit
    if not fit and person.volunteer_status == "active":
        # No longer "身心健康": stop serving until a new declaration and re-activation.
        person.volunteer_status = "pending"
    session.flush()
    return person


def record_training(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    course: str,
    completed_on: date,
    at: datetime,
) -> TrainingRecord:
    """A station confirms a completed course; training comes before activation [V3]."""
    person = get_person(session, person_id)
    require_living(person)
    org_id = require_station_in(actor, person.district_code)
    if org_id is None:
        raise PermissionDenied("training is confirmed by a named station", rule="station_org")
    name = rules.required_text(course, field="course", max_len=64)
    if completed_on > local_date(at) or completed_on < person.birth_date:
        raise InvalidInput("completed_on must be between birth and today", field="completed_on")
    record = TrainingRecord(
        person_id=person.id,
        course=name,
        completed_on=completed_on,
        confirmed_by_org_id=org_id,
        created_at=at,
    )
    session.add(record)
    session.flush()
    return record


def link_guardian(
    session: Session, *, actor: Actor, minor_id: int, guardian_id: int, at: datetime
) -> Person:
    """A station, having seen the papers, links a minor to a guardian; consent starts afresh."""
    minor = get_person(session, minor_id, field="minor_id")
    require_living(minor)
    require_station_in(actor, minor.district_code)
    today = local_date(at)
    if age_on(minor.birth_date, today) >= rules.ADULT_AGE:
        raise RuleViolation(f"person {minor.id} is not a minor", rule="guardian_minor")
    if guardian_id == minor.id:
        raise InvalidInput("a minor cannot be their own guardian", field="guardian_id")
    guardian = get_person(session, guardian_id, field="guardian_id")
    check_guardian(guardian, minor.birth_date, today)
    if minor.guardian_id != guardian.id:
        minor.guardian_id = guardian.id
        minor.guardian_consent_at = None
        if minor.volunteer_status == "active":
            minor.volunteer_status = "pending"
    session.flush()
    return minor


def record_guardian_consent(
    session: Session, *, actor: Actor, minor_id: int, at: datetime, consent: bool = True
) -> Person:
    """The guardian (or a station, from a signed form) gives or withdraws consent (PIPL)."""
    minor = get_person(session, minor_id, field="minor_id")
    # Authorise before saying anything about the minor's guardian to the caller.
    if actor.role is Role.STATION:
        require_station_in(actor, minor.district_code)
    elif minor.guardian_id is None or not (
        actor.role is Role.SYSTEM or actor.acts_as(minor.guardian_id)
    ):
        actor.require_self_or_proxy(minor.guardian_id or -1)
    if minor.guardian_id is None:
        raise RuleViolation(f"person {minor.id} has no guardian", rule="minor_guardian")
    if consent:
        require_living(minor)
        minor.guardian_consent_at = at
    else:
        minor.guardian_consent_at = None
        if minor.volunteer_status == "active":
            minor.volunteer_status = "pending"
    session.flush()
    return minor


def serving_refusals(
    session: Session, *, person_id: int, on: date, policy: Policy | None = None
) -> list[str]:
    """Why this person may not serve on ``on`` (empty: they may) — for assignment and check-in."""
    person = get_person(session, person_id)
    refusals = rules.volunteer_refusals(
        volunteer_facts(session, person, on), policy or load_policy(session), on
    )
    if person.volunteer_status != "active":
        refusals.insert(0, "volunteer_active")
    return refusals


def activate_volunteer(
    session: Session, *, actor: Actor, person_id: int, at: datetime, policy: Policy | None = None
) -> Person:
    """Make a person a volunteer once every eligibility rule holds; else name each unmet one."""
    person = get_person(session, person_id)
    require_self_proxy_or_station(actor, person)
    if person.volunteer_status == "active":
        raise Conflict(f"person {person.id} is already a volunteer", rule="volunteer_active")
    today = local_date(at)
    refusals = rules.volunteer_refusals(
        volunteer_facts(session, person, today), policy or load_policy(session), today
    )
    if refusals:
        raise RuleViolation(
            f"person {person.id} cannot volunteer yet: {', '.join(refusals)}",
            rule=refusals[0],
            details={"rules": refusals},
        )
    person.volunteer_status = "active"
    person.activated_at = at
    session.flush()
    return person


def reveal_id_number(
    session: Session, *, actor: Actor, person_id: int, vault: PiiVault | None = None
) -> str:
    """The full resident ID, for the person themselves, their proxy or the city admin only."""
    person = get_person(session, person_id)
    if actor.role is not Role.CITY_ADMIN:
        actor.require_self_or_proxy(person.id)
    return (vault or default_vault()).decrypt(person.id_cipher)
