"""Import the city's geography from a file: districts, streets, communities and stations.

One row per place: ``level`` (district | street | community | station), ``code``,
``parent_code``, ``name_zh``, optional ``name_en``, ``lat``, ``lon``. Districts have no
parent; a street's parent is a district, a community's a street, a station's a street or a
community. Coordinates (the centre, WGS-84 degrees) are required but for stations, which are
placed by their street. Codes: district 6 digits (GB/T 2260), street 9, community 12
(the statistical division codes); a station's code is the city's own (letters, digits, - _).

Everything is checked before anything is written, and the caller commits once: a bad row
writes nothing. Importing the same file again changes nothing; a changed name or centre is
updated. A place never moves to another parent through an import.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.errors import InvalidInput
from timebank.people.models import Community, District, Organisation, Street

LEVELS = ("district", "street", "community", "station")
COLUMNS = ("level", "code", "parent_code", "name_zh", "name_en", "lat", "lon")
REQUIRED = ("level", "code", "name_zh")
PARENT_LEVELS = {
    "district": (),
    "street": ("district",),
    "community": ("street",),
    "station": ("street", "community"),
}
CODE_PATTERNS = {
    "district": re.compile(r"\d{6}"),
    "street": re.compile(r"\d{9}"),
    "community": re.compile(r"\d{12}"),
    "station": re.compile(r"[A-Za-z0-9_-]{1,32}"),
}
CODE_RULES = {
    "district": "6 digits",
    "street": "9 digits",
    "community": "12 digits",
    "station": "1–32 letters, digits, - or _",
}
NAME_LENGTHS = {"district": 32, "street": 64, "community": 64, "station": 128}


@dataclass(frozen=True)
class GeoRow:
    row: int  # 1-based data row (CSV: the header is row 0); JSON: the list index + 1
    level: str
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str | None
    lat: float | None
    lon: float | None

    def where(self) -> str:
        return f"row {self.row} ({self.level} {self.code})"


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    @property
    def changed(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values())


def _bad(row: int, column: str, message: str) -> InvalidInput:
    return InvalidInput(f"row {row}: {message}", field=column)


def _text(raw: Mapping[str, Any], row: int, column: str) -> str | None:
    value = raw.get(column)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _bad(row, column, f"{column} must be text")
    text = str(value).strip()
    return text or None


def _degrees(raw: Mapping[str, Any], row: int, column: str, limit: float) -> float | None:
    text = _text(raw, row, column)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _bad(row, column, f"{column} {text!r} is not a number") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise _bad(row, column, f"{column} {text} is outside ±{limit:g}°")
    return value


def parse_row(raw: Mapping[str, Any], row: int) -> GeoRow:
    """One row, checked on its own (parents are checked against the whole file later)."""
    unknown = sorted(set(raw) - set(COLUMNS))
    if unknown:
        raise _bad(row, unknown[0], f"unknown column {unknown[0]!r}")
    for column in REQUIRED:
        if _text(raw, row, column) is None:
            raise _bad(row, column, f"{column} is required")
    level = str(_text(raw, row, "level"))
    if level not in LEVELS:
        raise _bad(row, "level", f"level {level!r} is not one of {', '.join(LEVELS)}")
    code = str(_text(raw, row, "code"))
    if not CODE_PATTERNS[level].fullmatch(code):
        raise _bad(row, "code", f"a {level} code is {CODE_RULES[level]}, not {code!r}")
    name_zh = str(_text(raw, row, "name_zh"))
    if len(name_zh) > NAME_LENGTHS[level]:
        raise _bad(row, "name_zh", f"name_zh is longer than {NAME_LENGTHS[level]} characters")
    name_en = _text(raw, row, "name_en")
    if name_en is not None and len(name_en) > 64:
        raise _bad(row, "name_en", "name_en is longer than 64 characters")
    parent = _text(raw, row, "parent_code")
    if level == "district" and parent is not None:
        raise _bad(row, "parent_code", "a district has no parent_code")
    if level != "district" and parent is None:
        raise _bad(row, "parent_code", f"a {level} needs a parent_code")
    lat = _degrees(raw, row, "lat", 90)
    lon = _degrees(raw, row, "lon", 180)
    if level != "station":
        for column, value in (("lat", lat), ("lon", lon)):
            if value is None:
                raise _bad(row, column, f"a {level} needs its centre: {column} is required")
    elif (lat is None) != (lon is None):
        raise _bad(row, "lat" if lat is None else "lon", "give both lat and lon, or neither")
    return GeoRow(row, level, code, parent, name_zh, name_en, lat, lon)


def parse_csv(text: str) -> list[GeoRow]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    if reader.fieldnames is None:
        raise InvalidInput("the file is empty: expected a header row", field="level")
    missing = [c for c in REQUIRED if c not in reader.fieldnames]
    if missing:
        raise InvalidInput(f"row 0 (header): no {missing[0]!r} column", field=missing[0])
    rows = []
    for n, raw in enumerate(reader, start=1):
        if None in raw:
            raise _bad(n, "level", "more values than columns")
        rows.append(parse_row(raw, n))
    return rows


def parse_json(text: str) -> list[GeoRow]:
    """A list of objects with the CSV's columns as keys."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}", field="file") from None
    if not isinstance(data, list):
        raise InvalidInput("expected a JSON list of places", field="file")
    rows = []
    for n, raw in enumerate(data, start=1):
        if not isinstance(raw, dict):
            raise _bad(n, "file", "each place is a JSON object")
        rows.append(parse_row(raw, n))
    return rows


def read_geography_file(path: Path) -> list[GeoRow]:
    """Parse ``path`` by its suffix: ``.csv`` or ``.json`` (UTF-8)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InvalidInput(f"{path.name}: give a .csv or .json file", field="FILE")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="FILE") from None
    return parse_csv(text) if suffix == ".csv" else parse_json(text)


def _check_file(rows: Iterable[GeoRow]) -> dict[str, GeoRow]:
    by_code: dict[str, GeoRow] = {}
    for r in rows:
        seen = by_code.get(r.code)
        if seen is not None:
            raise _bad(r.row, "code", f"code {r.code} is already given in row {seen.row}")
        by_code[r.code] = r
    return by_code


def _parent_level(session: Session, code: str, in_file: Mapping[str, GeoRow]) -> str | None:
    if code in in_file:
        return in_file[code].level
    for level, model in (("district", District), ("street", Street), ("community", Community)):
        if session.get(model, code) is not None:
            return level
    return None


def import_geography(
    session: Session, *, actor: Actor, rows: list[GeoRow], at: datetime
) -> ImportResult:
    """Upsert the places by code, parents first. Flushes; the caller commits once."""
    actor.require(Role.CITY_ADMIN, rule="import_geography_role")
    in_file = _check_file(rows)
    for r in rows:
        assert r.parent_code is not None or r.level == "district"
        if r.parent_code is None:
            continue
        level = _parent_level(session, r.parent_code, in_file)
        if level not in PARENT_LEVELS[r.level]:
            wanted = " or ".join(PARENT_LEVELS[r.level])
            found = "no such place" if level is None else f"a {level}"
            raise _bad(
                r.row, "parent_code", f"parent {r.parent_code} must be a {wanted}; it is {found}"
            )
    result = ImportResult()
    for level in LEVELS:  # parents reach the database before their children
        for r in rows:
            if r.level == level:
                outcome = _UPSERT[level](session, r, in_file, at)
                getattr(result, outcome)[level] += 1
        session.flush()
    return result


def _apply(obj: object, values: Mapping[str, object]) -> str:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return "updated" if changed else "unchanged"


def _not_moved(r: GeoRow, current: str | None, given: str | None) -> None:
    if current != given:
        raise _bad(
            r.row,
            "parent_code",
            f"{r.level} {r.code} belongs to {current}; an import does not move it to {given}",
        )


def _district(session: Session, r: GeoRow, _: Mapping[str, GeoRow], at: datetime) -> str:
    values = {"name_zh": r.name_zh, "name_en": r.name_en or r.name_zh, "lat": r.lat, "lon": r.lon}
    found = session.get(District, r.code)
    if found is None:
        session.add(District(code=r.code, **values))
        return "added"
    return _apply(found, values)


def _street(session: Session, r: GeoRow, _: Mapping[str, GeoRow], at: datetime) -> str:
    values = {"name_zh": r.name_zh, "lat": r.lat, "lon": r.lon}
    found = session.get(Street, r.code)
    if found is None:
        session.add(Street(code=r.code, district_code=r.parent_code, **values))
        return "added"
    _not_moved(r, found.district_code, r.parent_code)
    return _apply(found, values)


def _community(session: Session, r: GeoRow, _: Mapping[str, GeoRow], at: datetime) -> str:
    values = {"name_zh": r.name_zh, "lat": r.lat, "lon": r.lon}
    found = session.get(Community, r.code)
    if found is None:
        session.add(Community(code=r.code, street_code=r.parent_code, **values))
        return "added"
    _not_moved(r, found.street_code, r.parent_code)
    return _apply(found, values)


def _station(session: Session, r: GeoRow, _: Mapping[str, GeoRow], at: datetime) -> str:
    assert r.parent_code is not None
    street = session.get(Street, r.parent_code)
    if street is None:  # the parent is a community (checked above)
        community = session.get(Community, r.parent_code)
        assert community is not None
        street = session.get(Street, community.street_code)
    assert street is not None
    found = session.query(Organisation).filter_by(code=r.code).one_or_none()
    if found is None:
        # The city's list of stations is the streets' confirmation (DESIGN §1).
        session.add(
            Organisation(
                kind="station",
                code=r.code,
                name=r.name_zh,
                district_code=street.district_code,
                street_code=street.code,
                confirmed_by_street_at=at,
                untrustworthy=False,
                created_at=at,
            )
        )
        return "added"
    if found.kind != "station":
        raise _bad(r.row, "code", f"code {r.code} belongs to a {found.kind}, not a station")
    _not_moved(r, found.street_code, street.code)
    return _apply(found, {"name": r.name_zh})


_UPSERT = {
    "district": _district,
    "street": _street,
    "community": _community,
    "station": _station,
}
