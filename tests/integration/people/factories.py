"""Test data for the people use cases: a seeded city, stations, and persons of a given age."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.clock import local_date
from timebank.demo.geography import seed_geography
from timebank.people import services
from timebank.people.crypto import PiiVault
from timebank.people.idcard import make_id_number
from timebank.people.models import Organisation, Person

VAULT = PiiVault("integration-test-secret-0123456789")
DONGCHENG, CHAOYANG = "110101", "110105"
_serial = itertools.count()


def born(years_ago: int, today: date, *, days_later: int = 0) -> date:
    """The birth date of someone who turns ``years_ago`` today (28 Feb for a 29 Feb today)."""
    try:
        birth = today.replace(year=today.year - years_ago)
    except ValueError:
        birth = today.replace(year=today.year - years_ago, day=28)
    return date.fromordinal(birth.toordinal() + days_later)


def fresh_id_number(birth: date, *, sex: str = "F", region: str = DONGCHENG) -> str:
    """A fresh valid ID; the serial keeps numbers distinct within a test run."""
    n = next(_serial) % 500
    return make_id_number(region, birth, 2 * n + (1 if sex == "M" else 0))


@dataclass
class City:
    at: datetime
    station: Actor  # a station of 东城
    other_station: Actor  # a station of 朝阳
    admin: Actor  # 东城 district admin
    city_admin: Actor

    @property
    def today(self) -> date:
        return local_date(self.at)


def make_station(session: Session, district_code: str, at: datetime) -> Actor:
    org = Organisation(kind="station", name=f"{district_code} 服务站", district_code=district_code)
    org.created_at = at
    org.confirmed_by_street_at = at
    session.add(org)
    session.flush()
    return Actor(role=Role.STATION, org_id=org.id, district_code=district_code)


def make_city(session: Session, at: datetime) -> City:
    seed_geography(session)
    return City(
        at=at,
        station=make_station(session, DONGCHENG, at),
        other_station=make_station(session, CHAOYANG, at),
        admin=Actor(role=Role.DISTRICT_ADMIN, user_id=1, district_code=DONGCHENG),
        city_admin=Actor(role=Role.CITY_ADMIN, user_id=2),
    )


def register(
    session: Session,
    city: City,
    *,
    age: int = 30,
    sex: str = "F",
    district_code: str = DONGCHENG,
    name: str = "王芳",
    actor: Actor | None = None,
    id_number: str | None = None,
    **kwargs: Any,
) -> Person:
    if actor is None:
        actor = city.station if district_code == DONGCHENG else city.other_station
    return services.register_person(
        session,
        actor=actor,
        full_name=name,
        id_number=id_number or fresh_id_number(born(age, city.today), sex=sex),
        phone="13800138000",
        district_code=district_code,
        at=city.at,
        vault=VAULT,
        **kwargs,
    )


def make_ready(session: Session, city: City, person: Person) -> Person:
    """Everything activation needs: residency proof, a health declaration, training."""
    station = city.station if person.district_code == DONGCHENG else city.other_station
    services.record_residency_proof(
        session, actor=station, person_id=person.id, kind="hukou", reference="户口簿", at=city.at
    )
    services.declare_health(session, actor=station, person_id=person.id, fit=True, at=city.at)
    services.record_training(
        session,
        actor=station,
        person_id=person.id,
        course="志愿服务基础",
        completed_on=city.today,
        at=city.at,
    )
    return person
