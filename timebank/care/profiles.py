"""A volunteer's offer: categories in order of preference, travel radius, weekly hours."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.care.models import VolunteerProfile
from timebank.catalog.data import CATEGORIES
from timebank.errors import InvalidInput
from timebank.people.repository import get_person
from timebank.people.scope import require_self_proxy_or_station

CATEGORY_CODES = {c for c, _, _ in CATEGORIES}
MAX_RADIUS_M = 50_000


def _availability(raw: list[list[object]]) -> list[list[object]]:
    out: list[list[object]] = []
    for i, slot in enumerate(raw):
        try:
            weekday, start, end = slot
            day = int(str(weekday))
            a, b = time.fromisoformat(str(start)), time.fromisoformat(str(end))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"slot {i + 1}: give [weekday 0–6, 'HH:MM', 'HH:MM']", field="availability"
            ) from exc
        if not 0 <= day <= 6 or b <= a:
            raise InvalidInput(
                f"slot {i + 1}: weekday 0–6 and an end after the start", field="availability"
            )
        out.append([day, a.strftime("%H:%M"), b.strftime("%H:%M")])
    return out


def set_volunteer_profile(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    categories: list[str],
    radius_m: int,
    availability: list[list[object]],
    at: datetime,
    lat: float | None = None,
    lon: float | None = None,
) -> VolunteerProfile:
    require_self_proxy_or_station(actor, get_person(session, person_id))
    unknown = [c for c in categories if c not in CATEGORY_CODES]
    if unknown or len(set(categories)) != len(categories):
        raise InvalidInput(
            f"unknown or repeated categories: {', '.join(unknown) or 'repeat'}", field="categories"
        )
    if (
        isinstance(radius_m, bool)
        or not isinstance(radius_m, int)
        or not (100 <= radius_m <= MAX_RADIUS_M)
    ):
        raise InvalidInput(f"radius_m is 100–{MAX_RADIUS_M} metres", field="radius_m")
    if (lat is None) != (lon is None) or (
        lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise InvalidInput("give a valid latitude and longitude, or neither", field="lat")
    profile = session.get(VolunteerProfile, person_id) or VolunteerProfile(person_id=person_id)
    profile.categories, profile.radius_m = list(categories), radius_m
    profile.availability, profile.lat, profile.lon = _availability(availability), lat, lon
    profile.updated_at = at
    session.add(profile)
    session.flush()
    return profile
