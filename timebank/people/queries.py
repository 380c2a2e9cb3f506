"""Reads of people, scoped for the actor (``auth.scope``): the web pages and the API share them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.auth.scope import sees_district
from timebank.errors import NotFound
from timebank.people.models import Person


def person(session: Session, actor: Actor, person_id: int) -> Person:
    found = session.get(Person, person_id)
    if found is None or not (actor.acts_as(found.id) or sees_district(actor, found.district_code)):
        raise NotFound(f"no person {person_id}", field="person_id")
    return found
