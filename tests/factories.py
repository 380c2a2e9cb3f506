"""Test data factories: persons with accounts, stations, verified kinship."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from timebank.ledger.services import open_accounts
from timebank.people.models import District, Kinship, Organisation, Person

_seq = itertools.count(1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ensure_district(session: Session, code: str = "110105") -> str:
    if session.get(District, code) is None:
        session.add(
            District(code=code, name_zh="朝阳区", name_en="Chaoyang", lat=39.95, lon=116.49)
        )
        session.flush()
    return code


def make_person(
    session: Session,
    *,
    birth: date = date(1970, 5, 1),
    district: str = "110105",
    status: str = "active",
    name: str | None = None,
) -> Person:
    n = next(_seq)
    ensure_district(session, district)
    person = Person(
        full_name=name or f"测试{n}",
        id_hash=f"{n:064x}",
        id_cipher="test",
        id_masked=f"{district}********{n % 10000:04d}",
        birth_date=birth,
        sex="F" if n % 2 else "M",
        phone=f"139{n:08d}"[-11:],
        district_code=district,
        status=status,
        volunteer_status="active",
        created_at=T0,
    )
    session.add(person)
    session.flush()
    open_accounts(session, person_id=person.id, at=T0)
    return person


def make_station(session: Session, *, district: str = "110105") -> Organisation:
    ensure_district(session, district)
    org = Organisation(kind="station", name="测试服务网点", district_code=district, created_at=T0)
    session.add(org)
    session.flush()
    return org


def make_kin(session: Session, person: Person, relative: Person, relation: str) -> Kinship:
    """``relative`` is ``person``'s ``relation``, verified by a station."""
    station = make_station(session, district=person.district_code)
    kin = Kinship(
        person_id=person.id,
        relative_id=relative.id,
        relation=relation,
        status="verified",
        declared_by="test",
        verified_by_org_id=station.id,
        verified_at=T0,
        created_at=T0,
    )
    session.add(kin)
    session.flush()
    return kin
