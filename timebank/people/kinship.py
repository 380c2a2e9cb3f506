"""Kinship (直系亲属 + spouse): declared by a person, verified by a station, needed for gifts
and for naming the relative who receives the coins on death.

A row says ``relative`` is the ``relation`` of ``person``; it is stored once, in the direction
it was declared, and read from either side through ``rules.inverse``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.clock import local_date
from timebank.errors import Conflict, InvalidInput, NotFound, RuleViolation
from timebank.people import rules
from timebank.people.models import Kinship, Person
from timebank.people.repository import get_person, kinship_between, kinships_of, relation_of
from timebank.people.scope import require_living, require_self_proxy_or_station, require_station_in

# How many verified relatives of one kind a person can have (one spouse at a time).
MAX_VERIFIED = {"spouse": 1, "parent": 2, "grandparent": 4}


def _facts(person: Person) -> rules.KinFacts:
    return rules.KinFacts(birth_date=person.birth_date, sex=person.sex)


def _check_plausible(row_relation: str, person: Person, relative: Person, at: datetime) -> None:
    broken = rules.kinship_implausibility(
        row_relation, _facts(person), _facts(relative), local_date(at)
    )
    if broken:
        raise RuleViolation(
            f"person {relative.id} cannot be the {row_relation} of person {person.id}",
            rule=broken,
        )


def declare_kinship(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    relative_id: int,
    relation: str,
    at: datetime,
    evidence: str | None = None,
) -> Kinship:
    """``relative_id`` is the ``relation`` of ``person_id`` — pending until a station verifies."""
    if relation not in rules.RELATIONS:
        raise InvalidInput(
            f"relation must be one of {', '.join(rules.RELATIONS)}", field="relation"
        )
    if relative_id == person_id:
        raise InvalidInput("a person is not their own relative", field="relative_id")
    person = get_person(session, person_id)
    require_living(person)
    require_self_proxy_or_station(actor, person)
    relative = get_person(session, relative_id, field="relative_id")
    _check_plausible(relation, person, relative, at)
    proof = rules.optional_text(evidence, field="evidence", max_len=128)
    row = kinship_between(session, person.id, relative.id)
    if row is not None and row.status != "rejected":
        raise Conflict(
            f"kinship between {person.id} and {relative.id} is already {row.status}",
            rule="kinship_exists",
        )
    if row is None:
        row = Kinship(created_at=at)
        session.add(row)
    # A rejected declaration may be made again, with better evidence; it starts afresh.
    row.person_id, row.relative_id, row.relation = person.id, relative.id, relation
    row.evidence, row.status, row.declared_by = proof, "pending", actor.label
    row.verified_by_org_id = row.verified_at = row.note = None
    session.flush()
    return row


def _pending(session: Session, kinship_id: int) -> Kinship:
    row = session.get(Kinship, kinship_id)
    if row is None:
        raise NotFound(f"no kinship {kinship_id}", field="kinship_id")
    if row.status != "pending":
        raise Conflict(f"kinship {kinship_id} is {row.status}, not pending", rule="kinship_pending")
    return row


def _check_limits(session: Session, row: Kinship) -> None:
    # Express the link as "elder/partner X of Y" and count Y's verified X's.
    for subject, relation in ((row.person_id, row.relation), (row.relative_id, None)):
        kind = relation or rules.inverse(row.relation)
        limit = MAX_VERIFIED.get(kind)
        if limit is None:
            continue
        held = sum(1 for _, r in verified_relatives(session, subject) if r == kind)
        if held >= limit:
            raise RuleViolation(
                f"person {subject} already has {held} verified {kind}(s)", rule=f"max_{kind}"
            )


def verify_kinship(session: Session, *, actor: Actor, kinship_id: int, at: datetime) -> Kinship:
    """A station of either person's district has seen the proof (户口簿, marriage certificate)."""
    row = _pending(session, kinship_id)
    person = get_person(session, row.person_id)
    relative = get_person(session, row.relative_id, field="relative_id")
    org_id = require_station_in(actor, person.district_code, relative.district_code)
    _check_plausible(row.relation, person, relative, at)
    _check_limits(session, row)
    row.status, row.verified_by_org_id, row.verified_at = "verified", org_id, at
    session.flush()
    return row


def reject_kinship(
    session: Session, *, actor: Actor, kinship_id: int, reason: str, at: datetime
) -> Kinship:
    row = _pending(session, kinship_id)
    person = get_person(session, row.person_id)
    relative = get_person(session, row.relative_id, field="relative_id")
    org_id = require_station_in(actor, person.district_code, relative.district_code)
    row.note = rules.required_text(reason, field="reason", max_len=500)
    row.status, row.verified_by_org_id, row.verified_at = "rejected", org_id, at
    session.flush()
    return row


def verified_relation(session: Session, a: int, b: int) -> str | None:
    """What ``b`` is to ``a`` ('parent' when b is a's parent), if a station verified it."""
    row = (
        session.execute(
            select(Kinship)
            .where(
                Kinship.status == "verified",
                or_(
                    (Kinship.person_id == a) & (Kinship.relative_id == b),
                    (Kinship.person_id == b) & (Kinship.relative_id == a),
                ),
            )
            .order_by(Kinship.id)
        )
        .scalars()
        .first()
    )
    return None if row is None else relation_of(row, a)[1]


def verified_relatives(session: Session, person_id: int) -> list[tuple[int, str]]:
    """(relative id, what they are to ``person_id``) for every verified kinship."""
    return [
        relation_of(row, person_id) for row in kinships_of(session, person_id, status="verified")
    ]


def name_beneficiary(
    session: Session, *, actor: Actor, person_id: int, beneficiary_id: int | None
) -> Person:
    """Name (or, with None, clear) the verified relative who receives the coins on death [L2]."""
    person = get_person(session, person_id)
    require_living(person)
    require_self_proxy_or_station(actor, person)
    if beneficiary_id is not None:
        beneficiary = get_person(session, beneficiary_id, field="beneficiary_id")
        if not rules.is_direct_relative(verified_relation(session, person.id, beneficiary.id)):
            raise RuleViolation(
                f"person {beneficiary.id} is not a verified relative of person {person.id}",
                rule="beneficiary_relative",
            )
        if beneficiary.status == "deceased":
            raise RuleViolation(f"person {beneficiary.id} is deceased", rule="beneficiary_living")
    person.beneficiary_id = beneficiary_id
    session.flush()
    return person
