"""The city's geography comes in from a file: checked whole, upserted by code, idempotent."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.errors import InvalidInput, PermissionDenied
from timebank.people import divisions
from timebank.people.geography_import import import_geography, parse_csv, parse_json
from timebank.people.models import Community, District, Organisation, Street

CITY = Actor(role=Role.CITY_ADMIN)
HEADER = "level,code,parent_code,name_zh,name_en,lat,lon\n"
# A made-up city far from the demo city the fixtures import (codes 99…).
FILE = HEADER + (
    "district,990101,,甲区,Jia,30.10,120.10\n"
    "street,990101001,990101,甲一街道,,30.11,120.11\n"
    "community,990101001001,990101001,甲一社区,,30.111,120.111\n"
    "station,JIA-1,990101001001,甲一社区服务站,,,\n"
    "station,JIA-2,990101001,甲街道服务站,,,\n"
)


def _import(session: Session, text: str, at: datetime) -> dict[str, dict[str, int]]:
    result = import_geography(session, actor=CITY, rows=parse_csv(text), at=at)
    return {"added": result.added, "updated": result.updated, "unchanged": result.unchanged}


def test_a_file_imports_every_level_once(session: Session, clock: FixedClock) -> None:
    first = _import(session, FILE, clock.now())
    assert first["added"] == {"district": 1, "street": 1, "community": 1, "station": 2}
    again = _import(session, FILE, clock.now())
    assert sum(again["added"].values()) + sum(again["updated"].values()) == 0
    assert again["unchanged"] == {"district": 1, "street": 1, "community": 1, "station": 2}
    street = session.get(Street, "990101001")
    assert street is not None and street.district_code == "990101"
    community = session.get(Community, "990101001001")
    assert community is not None and community.street_code == "990101001"
    stations = session.scalars(
        select(Organisation).where(Organisation.code.in_(["JIA-1", "JIA-2"]))
    ).all()
    assert {(o.kind, o.district_code, o.street_code) for o in stations} == {
        ("station", "990101", "990101001")
    }
    assert all(o.confirmed_by_street_at == clock.now() for o in stations)


def test_a_changed_name_is_updated(session: Session, clock: FixedClock) -> None:
    _import(session, FILE, clock.now())
    renamed = FILE.replace("甲一街道", "甲一新街道").replace("甲街道服务站", "甲街道驿站")
    result = _import(session, renamed, clock.now())
    assert result["updated"] == {"district": 0, "street": 1, "community": 0, "station": 1}
    assert session.get(Street, "990101001").name_zh == "甲一新街道"  # type: ignore[union-attr]
    station = session.scalars(select(Organisation).where(Organisation.code == "JIA-2")).one()
    assert station.name == "甲街道驿站"


def test_json_reads_like_csv() -> None:
    text = '[{"level": "district", "code": "990101", "name_zh": "甲区", "lat": 30.1, "lon": 120.1}]'
    assert parse_json(text) == parse_csv(HEADER + "district,990101,,甲区,,30.1,120.1\n")


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("town,990102,,乙区,,30,120", "level", "not one of"),
        ("district,99010,,乙区,,30,120", "code", "6 digits"),
        ("district,990102,,,,30,120", "name_zh", "required"),
        ("district,990102,,乙区,,north,120", "lat", "not a number"),
        ("district,990102,,乙区,,30,", "lon", "lon is required"),
        ("street,990102001,,乙街道,,30,120", "parent_code", "needs a parent_code"),
        ("district,990102,990101,乙区,,30,120", "parent_code", "has no parent_code"),
        ("district,990102,,乙区,,95,120", "lat", "outside"),
    ],
)
def test_a_bad_row_is_named_with_its_field(line: str, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_csv(HEADER + "district,990101,,甲区,,30,120\n" + line + "\n")
    assert info.value.field == field
    assert info.value.message.startswith("row 2:") and words in info.value.message


def test_nothing_is_written_when_a_parent_is_missing(session: Session, clock: FixedClock) -> None:
    bad = FILE + "street,990109001,990109,无区街道,,30.2,120.2\n"
    with pytest.raises(InvalidInput) as info:
        _import(session, bad, clock.now())
    assert info.value.field == "parent_code" and "row 6" in info.value.message
    assert session.get(District, "990101") is None


def test_a_parent_of_the_wrong_level_and_a_repeated_code_are_refused(
    session: Session, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput, match="must be a district; it is a street"):
        _import(session, FILE + "street,990101002,990101001,街中街,,30.1,120.1\n", clock.now())
    with pytest.raises(InvalidInput, match="already given in row 1") as info:
        _import(session, FILE + "district,990101,,甲区,,30.1,120.1\n", clock.now())
    assert info.value.field == "code"


def test_an_import_does_not_move_a_street(session: Session, clock: FixedClock) -> None:
    _import(session, FILE, clock.now())
    moved = FILE + "district,990102,,乙区,,30.2,120.2\n"
    moved = moved.replace("street,990101001,990101,", "street,990101001,990102,")
    with pytest.raises(InvalidInput, match="does not move it"):
        _import(session, moved, clock.now())


def test_only_the_city_imports(session: Session, clock: FixedClock) -> None:
    district_admin = Actor(role=Role.DISTRICT_ADMIN, user_id=1, district_code="110101")
    with pytest.raises(PermissionDenied):
        import_geography(session, actor=district_admin, rows=parse_csv(FILE), at=clock.now())


def test_the_city_reaches_as_far_as_its_imported_places(
    session: Session, clock: FixedClock
) -> None:
    # The fixtures import the demo city (Beijing): Tianjin and Shanghai lie outside it.
    assert divisions.in_city(session, 39.93, 116.42)
    assert not divisions.in_city(session, 39.13, 117.20)
    assert not divisions.in_city(session, 30.11, 120.11)
    _import(session, FILE, clock.now())  # a second city far south widens the reach
    assert divisions.in_city(session, 30.11, 120.11)
