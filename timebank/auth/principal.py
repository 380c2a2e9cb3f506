"""Who signed in: the ``Principal`` a token or browser session stands for. Turning it into the
``Actor`` a use case takes (acting for someone) is ``timebank.people.proxies.actor_for``."""

from __future__ import annotations

from dataclasses import dataclass

from timebank.actors import Role
from timebank.auth.models import User


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
