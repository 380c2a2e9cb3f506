"""Read scoping shared by every domain's queries: staff see their own district, the city
admin and auditors the whole city. Out of scope reads as 404 (``NotFound``), so no adapter ever
confirms that a record it will not show exists."""

from __future__ import annotations

from timebank.actors import Actor, Role

CITYWIDE = (Role.CITY_ADMIN, Role.AUDITOR, Role.SYSTEM)


def sees_district(actor: Actor, district_code: str) -> bool:
    if actor.role in CITYWIDE:
        return True
    staff = actor.role in (Role.STATION, Role.DISTRICT_ADMIN)
    return staff and actor.district_code == district_code
