"""Who may act on a person: district scoping of stations and admins, self or proxy.

DESIGN §1: "district and station scoping applies to every admin act" — a station or district
admin acts only on people of its own district; the city admin and the system act anywhere.
"""

from __future__ import annotations

from timebank.actors import Actor, Role
from timebank.errors import Conflict, PermissionDenied
from timebank.people.models import Person


def require_station_in(actor: Actor, *district_codes: str) -> int | None:
    """A station acting in one of ``district_codes``; returns the acting station's id."""
    actor.require(Role.STATION, rule="station_role")
    if actor.role is Role.SYSTEM:
        return actor.org_id
    if actor.org_id is None:
        raise PermissionDenied("a station worker must belong to a station", rule="station_org")
    if actor.district_code is None or actor.district_code not in district_codes:
        raise PermissionDenied(
            f"station of district {actor.district_code} may not act in {', '.join(district_codes)}",
            rule="station_district",
        )
    return actor.org_id


def require_admin_in(actor: Actor, district_code: str) -> None:
    """A district admin of ``district_code``, or the city admin."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="admin_role")
    if actor.role is Role.DISTRICT_ADMIN and actor.district_code != district_code:
        raise PermissionDenied(
            f"district admin of {actor.district_code} may not act in {district_code}",
            rule="admin_district",
        )


def require_staff_in(actor: Actor, district_code: str) -> None:
    """A station or district admin of ``district_code``, or the city admin."""
    if actor.role is Role.STATION:
        require_station_in(actor, district_code)
    else:
        require_admin_in(actor, district_code)


def require_self_proxy_or_station(actor: Actor, person: Person) -> None:
    """The person, their proxy, or a station of their district (e.g. entering a paper form)."""
    if actor.role is Role.STATION:
        require_station_in(actor, person.district_code)
    else:
        actor.require_self_or_proxy(person.id)


def require_living(person: Person) -> None:
    if person.status == "deceased":
        raise Conflict(f"person {person.id} is deceased", rule="person_deceased")
