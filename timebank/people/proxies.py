"""Proxy grants: who may act for whom. A principal (or a station of their district) grants a
family member's account the right to act for them; either side, or the station, revokes it.
``actor_for`` turns who signed in into the ``Actor`` a use case takes, acting for someone
only with a live grant (or, for a station, for a person of its district)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.models import ProxyGrant, User
from timebank.auth.phones import normalise_phone
from timebank.auth.principal import Principal
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from timebank.people.models import Person
from timebank.people.repository import get_person
from timebank.people.scope import require_living, require_station_in

PERSON_ROLES = ("volunteer", "elder", "proxy")


def grant_proxy(
    session: Session, *, actor: Actor, principal_id: int, proxy_phone: str, at: datetime
) -> ProxyGrant:
    principal = get_person(session, principal_id, field="principal_id")
    require_living(principal)
    if actor.role is Role.STATION:
        require_station_in(actor, principal.district_code)
    elif actor.person_id != principal.id or actor.on_behalf_of is not None:
        raise PermissionDenied("a principal grants proxies for themselves", rule="grant_self")
    phone = normalise_phone(proxy_phone)
    proxy = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if proxy is None or proxy.role not in PERSON_ROLES or proxy.status != "active":
        raise InvalidInput("no active personal account with this phone", field="proxy_phone")
    if proxy.person_id == principal.id:
        raise InvalidInput("a person is not their own proxy", field="proxy_phone")
    if active_grant(session, proxy_user_id=proxy.id, principal_id=principal.id) is not None:
        raise Conflict("this account is already a proxy for the person", rule="grant_exists")
    grant = ProxyGrant(
        proxy_user_id=proxy.id,
        principal_id=principal.id,
        granted_by=actor.label[:80],
        created_at=at,
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_proxy(session: Session, *, actor: Actor, grant_id: int, at: datetime) -> ProxyGrant:
    grant = session.get(ProxyGrant, grant_id)
    if grant is None:
        raise NotFound(f"no proxy grant {grant_id}", field="grant_id")
    if actor.role is Role.STATION:
        require_station_in(actor, get_person(session, grant.principal_id).district_code)
    elif not (actor.user_id == grant.proxy_user_id or actor.person_id == grant.principal_id):
        raise PermissionDenied("only the principal or the proxy may revoke", rule="grant_revoke")
    if grant.revoked_at is not None:
        raise Conflict("the grant is already revoked", rule="grant_revoked")
    grant.revoked_at, grant.revoked_by = at, actor.label[:80]
    session.flush()
    return grant


def active_grant(session: Session, *, proxy_user_id: int, principal_id: int) -> ProxyGrant | None:
    return session.execute(
        select(ProxyGrant).where(
            ProxyGrant.proxy_user_id == proxy_user_id,
            ProxyGrant.principal_id == principal_id,
            ProxyGrant.revoked_at.is_(None),
        )
    ).scalar_one_or_none()


def grants_of(session: Session, *, person_id: int | None, user_id: int | None) -> list[ProxyGrant]:
    """Grants naming the person as principal, or the user as proxy."""
    query = select(ProxyGrant).order_by(ProxyGrant.id)
    if person_id is not None and user_id is not None:
        query = query.where(
            (ProxyGrant.principal_id == person_id) | (ProxyGrant.proxy_user_id == user_id)
        )
    elif person_id is not None:
        query = query.where(ProxyGrant.principal_id == person_id)
    elif user_id is not None:
        query = query.where(ProxyGrant.proxy_user_id == user_id)
    return list(session.execute(query).scalars())


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
