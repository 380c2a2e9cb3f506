"""The city's administrative divisions as imported (``timebank geography import``).

Product code knows no city by heart: whether a point is "in the city" is judged against the
district, street and community centres in the database — the box around them, widened by
``REACH_KM`` so that homes at the edge of an outer district still fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from timebank.people.models import Community, District, Street

REACH_KM = 50.0  # beyond the outermost imported centre; a typo or another city lies further
KM_PER_DEGREE_LAT = 111.0


@dataclass(frozen=True)
class Box:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def widened(self, km: float) -> Box:
        dlat = km / KM_PER_DEGREE_LAT
        # A degree of longitude shrinks with latitude; use the box's widest parallel.
        widest = max(abs(self.lat_min), abs(self.lat_max))
        dlon = km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(widest)), 0.01))
        return Box(
            self.lat_min - dlat, self.lat_max + dlat, self.lon_min - dlon, self.lon_max + dlon
        )

    def holds(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


def city_reach(session: Session, *, km: float = REACH_KM) -> Box | None:
    """The box around every imported centre, widened by ``km``; None before any import."""
    centres = union_all(
        select(District.lat, District.lon),
        select(Street.lat, Street.lon),
        select(Community.lat, Community.lon),
    ).subquery()
    row = session.execute(
        select(
            func.min(centres.c.lat),
            func.max(centres.c.lat),
            func.min(centres.c.lon),
            func.max(centres.c.lon),
        )
    ).one()
    if row[0] is None:
        return None
    return Box(*row).widened(km)


def in_city(session: Session, lat: float, lon: float) -> bool:
    reach = city_reach(session)
    return reach is not None and reach.holds(lat, lon)
