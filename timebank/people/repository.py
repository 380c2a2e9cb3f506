"""Reading people back: by id, by resident ID (through the keyed hash), and the facts rules need."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.errors import NotFound
from timebank.people import idcard, rules
from timebank.people.crypto import PiiVault, default_vault
from timebank.people.models import Kinship, Person, TrainingRecord


def get_person(session: Session, person_id: int, *, field: str = "person_id") -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field=field)
    return person


def find_by_id_number(
    session: Session, id_number: str, *, vault: PiiVault | None = None
) -> Person | None:
    """The person holding a resident ID; the number is validated, then looked up by hash."""
    number = idcard.parse(id_number).number
    digest = (vault or default_vault()).lookup_hash(number)
    return session.execute(select(Person).where(Person.id_hash == digest)).scalar_one_or_none()


def is_trained(session: Session, person_id: int, on: date) -> bool:
    found = session.execute(
        select(TrainingRecord.id)
        .where(TrainingRecord.person_id == person_id, TrainingRecord.completed_on <= on)
        .limit(1)
    ).first()
    return found is not None


def volunteer_facts(session: Session, person: Person, on: date) -> rules.VolunteerFacts:
    return rules.VolunteerFacts(
        birth_date=person.birth_date,
        status=person.status,
        volunteer_status=person.volunteer_status,
        residency_kind=person.residency_kind,
        residency_valid_until=person.residency_valid_until,
        health_fit=person.health_fit if person.health_declared_at else None,
        trained=is_trained(session, person.id, on),
        is_student=person.is_student,
        has_guardian=person.guardian_id is not None,
        guardian_consent=person.guardian_consent_at is not None,
    )


def kinships_of(session: Session, person_id: int, *, status: str | None = None) -> list[Kinship]:
    """Kinship rows naming the person on either side."""
    query = select(Kinship).where(
        or_(Kinship.person_id == person_id, Kinship.relative_id == person_id)
    )
    if status is not None:
        query = query.where(Kinship.status == status)
    return list(session.execute(query.order_by(Kinship.id)).scalars())


def kinship_between(session: Session, a: int, b: int) -> Kinship | None:
    """The row linking two people, stored in either direction (the oldest, should a race
    between A declaring B and B declaring A have stored both)."""
    return (
        session.execute(
            select(Kinship)
            .where(
                or_(
                    (Kinship.person_id == a) & (Kinship.relative_id == b),
                    (Kinship.person_id == b) & (Kinship.relative_id == a),
                )
            )
            .order_by(Kinship.id)
        )
        .scalars()
        .first()
    )


def relation_of(row: Kinship, viewer_id: int) -> tuple[int, str]:
    """The other person in ``row`` and what they are to ``viewer_id``."""
    if row.person_id == viewer_id:
        return row.relative_id, row.relation
    return row.person_id, rules.inverse(row.relation)
