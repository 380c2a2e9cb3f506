"""Who is acting. Every use case takes an explicit ``actor``; a proxy acts *for* a principal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from timebank.errors import PermissionDenied


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    ELDER = "elder"
    PROXY = "proxy"
    STATION = "station"
    DISTRICT_ADMIN = "district_admin"
    CITY_ADMIN = "city_admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


STAFF = frozenset({Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


@dataclass(frozen=True)
class Actor:
    role: Role
    person_id: int | None = None  # the acting person, when the actor is a person
    org_id: int | None = None  # the station a station worker belongs to
    district_code: str | None = None  # scope of a district admin or station
    on_behalf_of: int | None = None  # the principal a proxy or station worker acts for
    user_id: int | None = None  # the sign-in account, once sign-in exists
    name: str | None = None  # an operator's name where there is no sign-in (CLI, imports)

    @property
    def label(self) -> str:
        who = f"{self.role}:{self.person_id or self.user_id or self.org_id or '-'}"
        if self.name:
            who += f"({self.name})"
        return f"{who} for person:{self.on_behalf_of}" if self.on_behalf_of else who

    def acts_as(self, person_id: int) -> bool:
        """True when this actor may act as ``person_id`` themselves, or as their proxy."""
        return self.person_id == person_id or self.on_behalf_of == person_id

    def require(self, *roles: Role, rule: str = "role") -> None:
        if self.role not in roles and self.role is not Role.SYSTEM:
            names = ", ".join(r.value for r in roles)
            raise PermissionDenied(f"this act needs one of the roles: {names}", rule=rule)

    def require_self_or_proxy(self, person_id: int) -> None:
        if self.role is Role.SYSTEM or (self.role in STAFF and self.on_behalf_of == person_id):
            return
        if not self.acts_as(person_id):
            raise PermissionDenied(
                f"only person {person_id} or their proxy may do this", rule="self_or_proxy"
            )


SYSTEM = Actor(role=Role.SYSTEM)
