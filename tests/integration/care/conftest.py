"""A small world for care tests: a seeded city, a funded elder, an active volunteer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.people.factories import City, make_city, make_ready, register
from timebank.actors import SYSTEM, Actor, Role
from timebank.care.needs import NeedRequest
from timebank.catalog.models import ServiceItem
from timebank.clock import FixedClock
from timebank.ledger import services as ledger
from timebank.people import services as people
from timebank.people.models import Person
from timebank.policy import Policy

POLICY = Policy()


@dataclass
class World:
    session: Session
    clock: FixedClock
    city: City
    elder: Person
    volunteer: Person

    @property
    def elder_actor(self) -> Actor:
        return Actor(role=Role.ELDER, person_id=self.elder.id)

    @property
    def volunteer_actor(self) -> Actor:
        return Actor(role=Role.VOLUNTEER, person_id=self.volunteer.id)

    def item(self, code: str = "chat_visit") -> int:
        return self.session.execute(
            select(ServiceItem.id).where(ServiceItem.code == code)
        ).scalar_one()

    def request(self, *, hours_ahead: int = 24, minutes: int = 90, **kw: object) -> NeedRequest:
        start = self.clock.now() + timedelta(hours=hours_ahead)
        base: dict[str, object] = {
            "elder_id": self.elder.id,
            "item_id": self.item(),
            "description": "陪老人聊天",
            "window_start": start,
            "window_end": start + timedelta(hours=3),
            "expected_minutes": minutes,
        }
        base.update(kw)
        return NeedRequest(**base)  # type: ignore[arg-type]

    def volunteer_person(
        self, *, age: int = 30, lat: float = 39.93, lon: float = 116.42, **kw: object
    ) -> Person:
        person = register(self.session, self.city, age=age, lat=lat, lon=lon, **kw)
        ledger.open_accounts(self.session, person_id=person.id, at=self.clock.now())
        make_ready(self.session, self.city, person)
        people.activate_volunteer(
            self.session, actor=self.city.station, person_id=person.id, at=self.clock.now()
        )
        return person

    def fund(self, person: Person, minutes: int, tag: str) -> None:
        day = self.clock.now() - timedelta(days=400)
        while minutes > 0:
            chunk = min(minutes, POLICY.daily_credit_cap_minutes)
            ledger.credit_service(
                self.session,
                actor=SYSTEM,
                key=f"fund:{tag}:{day}",
                volunteer_id=person.id,
                duration_minutes=chunk,
                started_at=day,
                reference="fund",
                policy=POLICY,
                at=self.clock.now(),
            )
            minutes -= chunk
            day += timedelta(days=1)


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    city = make_city(session, clock.now())
    elder = register(
        session,
        city,
        age=82,
        name="李奶奶",
        address="东城区交道口南大街1号",
        lat=39.935,
        lon=116.41,
    )
    ledger.open_accounts(session, person_id=elder.id, at=clock.now())
    w = World(session, clock, city, elder, elder)
    w.volunteer = w.volunteer_person()
    w.fund(elder, 600, "elder")
    return w


def at(world: World, **delta: float) -> datetime:
    return world.clock.now() + timedelta(**delta)
