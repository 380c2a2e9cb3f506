"""Stations and institutions: registration, street confirmation, the untrustworthy flag.

The flag blocks an institution from publishing, reviewing and confirming
(``require_trusted_station``). ``mark_untrustworthy`` / ``clear_untrustworthy`` set and clear
it with a reason and a date, each in the audit log; the public list with its entries per case
is supervision's (``supervision.sanctions``), which calls these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_act
from timebank.errors import InvalidInput, NotFound, RuleViolation
from timebank.people.models import Organisation, Street
from timebank.people.scope import require_admin_in


def register_organisation(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    name: str,
    district_code: str,
    street_code: str | None,
    at: datetime,
) -> Organisation:
    require_admin_in(actor, district_code)
    if kind not in ("station", "care_home", "service_org"):
        raise InvalidInput("kind is station, care_home or service_org", field="kind")
    if not name.strip() or len(name) > 128:
        raise InvalidInput("a name is required (at most 128 characters)", field="name")
    if street_code is not None:
        street = session.get(Street, street_code)
        if street is None or street.district_code != district_code:
            raise InvalidInput("the street is not in that district", field="street_code")
    org = Organisation(
        kind=kind,
        name=name.strip(),
        district_code=district_code,
        street_code=street_code,
        created_at=at,
    )
    session.add(org)
    session.flush()
    return org


def confirm_by_street(session: Session, *, actor: Actor, org_id: int, at: datetime) -> Organisation:
    """Record that the street (街道/乡镇) confirmed the organisation (DESIGN §1)."""
    org = get_organisation(session, org_id)
    require_admin_in(actor, org.district_code)
    org.confirmed_by_street_at = at
    session.flush()
    return org


def _flag(
    session: Session, actor: Actor, org_id: int, flagged: bool, reason: str, at: datetime
) -> Organisation:
    org = get_organisation(session, org_id)
    require_admin_in(actor, org.district_code)
    why = reason.strip() if isinstance(reason, str) else ""
    if not why or len(why) > 2000:
        raise InvalidInput("a reason is required (at most 2000 characters)", field="reason")
    changed = org.untrustworthy != flagged
    org.untrustworthy = flagged
    record_act(
        session,
        actor=actor,
        act="care.untrustworthy_mark" if flagged else "care.untrustworthy_clear",
        target={"organisation": str(org.id), "reason": why, "changed": str(changed).lower()},
        status=200,
        at=at,
    )
    session.flush()
    return org


def mark_untrustworthy(
    session: Session, *, actor: Actor, org_id: int, reason: str, at: datetime
) -> Organisation:
    """Flag an institution untrustworthy (失信): it may no longer publish, review or confirm.
    A district admin flags institutions of their district, the city admin any."""
    return _flag(session, actor, org_id, True, reason, at)


def clear_untrustworthy(
    session: Session, *, actor: Actor, org_id: int, reason: str, at: datetime
) -> Organisation:
    """Clear the flag (an overturned case, the last listing lifted)."""
    return _flag(session, actor, org_id, False, reason, at)


def get_organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id}", field="org_id")
    return org


def require_trusted_station(session: Session, actor: Actor) -> Organisation | None:
    """A station actor's own station must be confirmed and not on the untrustworthy list."""
    if actor.role is not Role.STATION or actor.org_id is None:
        return None
    org = get_organisation(session, actor.org_id)
    if org.untrustworthy:
        raise RuleViolation(f"{org.name} is on the untrustworthy list", rule="untrustworthy")
    if org.confirmed_by_street_at is None:
        raise RuleViolation(
            f"{org.name} is not yet confirmed by its street", rule="station_unconfirmed"
        )
    return org


def station_for(session: Session, *, district_code: str, street_code: str | None) -> int | None:
    """The station that reviews needs of a place: the street's own, else the district's first."""
    query = select(Organisation.id).where(
        Organisation.kind == "station",
        Organisation.district_code == district_code,
        Organisation.untrustworthy.is_(False),
        Organisation.confirmed_by_street_at.is_not(None),
    )
    if street_code:
        own = session.execute(
            query.where(Organisation.street_code == street_code).order_by(Organisation.id)
        ).scalar()
        if own is not None:
            return own
    return session.execute(query.order_by(Organisation.id)).scalar()
