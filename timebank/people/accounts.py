"""Accounts opened by an admin: staff of the admin's scope, or a person's account after an ID
check; and disabling or re-enabling one. Self-registration is ``timebank.care.enrolment``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth import tokens
from timebank.auth.models import User
from timebank.auth.passwords import Passwords
from timebank.auth.phones import normalise_phone
from timebank.auth.users import get_user, require_phone_free
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.people import rules as people_rules
from timebank.people.models import Organisation, Person

SELF_ROLES = ("volunteer", "elder", "proxy")
STAFF_ROLES = ("station", "district_admin", "city_admin", "auditor")


def create_user(
    session: Session,
    *,
    actor: Actor,
    phone: str,
    password: str,
    role: str,
    display_name: str,
    passwords: Passwords,
    at: datetime,
    person_id: int | None = None,
    org_id: int | None = None,
    district_code: str | None = None,
) -> User:
    """An admin opens an account: staff of their scope, or a person's account after an ID check."""
    phone = normalise_phone(phone)
    name = people_rules.required_text(display_name, field="display_name", max_len=64)
    if role not in SELF_ROLES + STAFF_ROLES:
        raise InvalidInput("unknown role", field="role")
    if role == "station":
        org = session.get(Organisation, org_id) if org_id else None
        if org is None or org.kind != "station":
            raise InvalidInput("a station account names its station", field="org_id")
        district_code = org.district_code
    elif role == "district_admin":
        if not district_code:
            raise InvalidInput("a district admin account names its district", field="district_code")
    elif role in SELF_ROLES:
        if person_id is None:
            raise InvalidInput("a person's account names the person", field="person_id")
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        district_code = person.district_code
    _check_creator(actor, role, district_code)
    if role in SELF_ROLES and person_id is not None:
        require_no_account_in_role(session, person_id=person_id, role=role)
    require_phone_free(session, phone)
    user = User(
        phone=phone,
        password_hash=passwords.hash(password),
        role=role,
        person_id=person_id if role in SELF_ROLES else None,
        org_id=org_id if role == "station" else None,
        district_code=district_code if role in ("station", "district_admin") else None,
        display_name=name,
        status="active",
        created_by=actor.label[:80],
        created_at=at,
    )
    session.add(user)
    session.flush()
    return user


def require_no_account_in_role(session: Session, *, person_id: int, role: str) -> None:
    """One person holds at most one account per role (a person is one resident ID: the
    registry refuses a second record for it). The refusal names the existing account; the
    caller has checked that the actor may see accounts of the person's district."""
    existing = (
        session.execute(
            select(User).where(User.person_id == person_id, User.role == role).order_by(User.id)
        )
        .scalars()
        .first()
    )
    if existing is not None:
        masked = f"{existing.phone[:3]}****{existing.phone[-4:]}"
        raise Conflict(
            f"person {person_id} already has a {role} account: user {existing.id} "
            f"({masked}, {existing.status})",
            field="person_id",
            rule="one_account_per_role",
        )


def _check_creator(actor: Actor, role: str, district_code: str | None) -> None:
    if actor.role in (Role.CITY_ADMIN, Role.SYSTEM):
        return
    allowed = {
        Role.DISTRICT_ADMIN: ("station", *SELF_ROLES),
        Role.STATION: SELF_ROLES,
    }.get(actor.role, ())
    if role not in allowed:
        raise PermissionDenied(f"a {actor.role} may not open {role} accounts", rule="user_admin")
    if district_code != actor.district_code:
        raise PermissionDenied("accounts are opened in your own district", rule="district_scope")


def set_user_status(
    session: Session, *, actor: Actor, user_id: int, status: str, at: datetime
) -> User:
    user = get_user(session, user_id)
    if status not in ("active", "disabled"):
        raise InvalidInput("status is active or disabled", field="status")
    if actor.user_id == user.id:
        raise RuleViolation("you cannot change your own account's status", rule="self_status")
    district = user.district_code
    if user.person_id is not None:
        person = session.get(Person, user.person_id)
        district = person.district_code if person else None
    _check_creator(actor, user.role, district)
    user.status = status
    if status == "disabled":
        tokens.revoke_user(session, user_id=user.id, at=at)
    session.flush()
    return user
