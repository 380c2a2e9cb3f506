"""Reads of people, scoped for the actor (``auth.scope``): the web pages and the API share them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.auth.scope import sees_district
from timebank.errors import NotFound
from timebank.people.models import Organisation, Person


def person(session: Session, actor: Actor, person_id: int) -> Person:
    found = session.get(Person, person_id)
    if found is None or not (actor.acts_as(found.id) or sees_district(actor, found.district_code)):
        raise NotFound(f"no person {person_id}", field="person_id")
    return found


def people_by_id(session: Session, ids: Iterable[int]) -> list[Person]:
    """The people of ``ids`` (those that exist), by id. Callers have checked scope."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    query = select(Person).where(Person.id.in_(wanted)).order_by(Person.id)
    return list(session.execute(query).scalars())


def names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Person.id, Person.full_name).where(Person.id.in_(wanted)))
    return dict(rows.tuples().all())


def organisation_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
    return dict(session.execute(query).tuples().all())


def stations_of(session: Session, district_code: str) -> list[tuple[int, str]]:
    """(id, name) of the district's stations, by name."""
    query = (
        select(Organisation.id, Organisation.name)
        .where(Organisation.district_code == district_code, Organisation.kind == "station")
        .order_by(Organisation.name)
    )
    return list(session.execute(query).tuples().all())


def listable_organisations(
    session: Session, district_code: str | None
) -> list[tuple[int, str, str]]:
    """(id, name, kind) of institutions not on the untrustworthy list (of one district)."""
    query = select(Organisation.id, Organisation.name, Organisation.kind).where(
        Organisation.untrustworthy.is_(False)
    )
    if district_code:
        query = query.where(Organisation.district_code == district_code)
    query = query.order_by(Organisation.district_code, Organisation.name)
    return list(session.execute(query).tuples().all())
