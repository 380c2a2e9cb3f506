"""From a signed-in account to the ``Actor`` every use case takes.

``act_for`` (the ``X-Act-For`` header) names the person acted for: a personal account needs an
active proxy grant and becomes a ``proxy`` actor ("X for Y"); a station worker may act for
people of the station's district. Admins and auditors act only as themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.people.proxies import PERSON_ROLES, active_grant
from timebank.auth.models import User
from timebank.errors import NotFound, PermissionDenied
from timebank.people.models import Person


@dataclass(frozen=True)
class Principal:
    """Who signed in; immutable, detached from any database session."""

    user_id: int
    role: Role
    person_id: int | None
    org_id: int | None
    district_code: str | None
    name: str
    via: str  # "bearer" | "session"

    @classmethod
    def of(cls, user: User, *, via: str) -> Principal:
        return cls(
            user_id=user.id,
            role=Role(user.role),
            person_id=user.person_id,
            org_id=user.org_id,
            district_code=user.district_code,
            name=user.display_name,
            via=via,
        )


def actor_for(session: Session, principal: Principal, act_for: int | None) -> Actor:
    base = Actor(
        role=principal.role,
        person_id=principal.person_id,
        org_id=principal.org_id,
        district_code=principal.district_code,
        user_id=principal.user_id,
    )
    if act_for is None or act_for == principal.person_id:
        return base
    if principal.role.value in PERSON_ROLES:
        grant = active_grant(session, proxy_user_id=principal.user_id, principal_id=act_for)
        if grant is None:
            raise PermissionDenied(
                f"you hold no proxy grant for person {act_for}", rule="proxy_grant"
            )
        return Actor(
            role=Role.PROXY,
            person_id=principal.person_id,
            on_behalf_of=act_for,
            user_id=principal.user_id,
        )
    if principal.role is Role.STATION:
        person = session.get(Person, act_for)
        if person is None or person.district_code != principal.district_code:
            raise NotFound(f"no person {act_for} in your district", field="X-Act-For")
        return Actor(
            role=Role.STATION,
            org_id=principal.org_id,
            district_code=principal.district_code,
            on_behalf_of=act_for,
            user_id=principal.user_id,
        )
    raise PermissionDenied(f"a {principal.role} acts only as themselves", rule="act_for")
