"""Sign-in accounts: self-registration with a verified phone, staff accounts, passwords.

People register themselves (volunteer, elder, proxy) with real-name details through the SAME
``register_person`` use case the stations use; the account stays ``unverified`` until the
phone answers a one-time code. Staff accounts are created by an admin of the right scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_consent
from timebank.auth import codes, tokens
from timebank.auth.models import User
from timebank.auth.notify import Notifier
from timebank.auth.passwords import Passwords
from timebank.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from timebank.ledger.services import open_accounts
from timebank.people import rules as people_rules
from timebank.people.models import Organisation, Person
from timebank.people.services import register_person

SELF_ROLES = ("volunteer", "elder", "proxy")
STAFF_ROLES = ("station", "district_admin", "city_admin", "auditor")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Registration:
    full_name: str
    id_number: str
    phone: str
    password: str
    role: str
    district_code: str
    street_code: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    is_student: bool = False


def _phone_free(session: Session, phone: str) -> None:
    if session.execute(select(User.id).where(User.phone == phone)).first() is not None:
        raise Conflict("an account with this phone number exists", field="phone", rule="phone")


def register_account(
    session: Session,
    *,
    reg: Registration,
    passwords: Passwords,
    notifier: Notifier,
    code_key: bytes,
    at: datetime,
) -> tuple[Person, User]:
    """A person signs themselves up; a code goes to the phone to verify it."""
    if reg.role not in SELF_ROLES:
        raise InvalidInput(f"role is one of {', '.join(SELF_ROLES)}", field="role")
    phone = people_rules.normalise_phone(reg.phone)
    _phone_free(session, phone)
    password_hash = passwords.hash(reg.password)
    actor = Actor(role=Role(reg.role))
    person = register_person(
        session,
        actor=actor,
        full_name=reg.full_name,
        id_number=reg.id_number,
        phone=phone,
        district_code=reg.district_code,
        street_code=reg.street_code,
        address=reg.address,
        lat=reg.lat,
        lon=reg.lon,
        is_student=reg.is_student,
        at=at,
    )
    open_accounts(session, person_id=person.id, at=at)
    user = User(
        phone=phone,
        password_hash=password_hash,
        role=reg.role,
        person_id=person.id,
        display_name=person.full_name,
        status="unverified",
        created_by="self",
        created_at=at,
    )
    session.add(user)
    session.flush()
    self_actor = Actor(role=Role(reg.role), person_id=person.id, user_id=user.id)
    record_consent(
        session, actor=self_actor, person_id=person.id, kind="personal_data", given=True, at=at
    )
    codes.send_code(session, phone=phone, purpose="verify", notifier=notifier, key=code_key, at=at)
    return person, user


def verify_phone(session: Session, *, phone: str, code: str, code_key: bytes, at: datetime) -> User:
    phone = people_rules.normalise_phone(phone)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    ok = codes.use_code(session, phone=phone, purpose="verify", code=code, key=code_key, at=at)
    if user is None or not ok:
        raise InvalidInput("the code is wrong or has expired", field="code", rule="otp")
    if user.status == "unverified":
        user.status = "active"
    session.flush()
    return user


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
    phone = people_rules.normalise_phone(phone)
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
    _phone_free(session, phone)
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


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    return user


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


# Sign-in lives in ``login``; the names stay importable from here (the web pages use them).
from timebank.auth.login import (  # noqa: E402
    LoginOutcome,
    change_password,
    check_password,
    login_with_code,
    reset_password,
)

__all__ = [
    "LoginOutcome",
    "Registration",
    "change_password",
    "check_password",
    "create_user",
    "get_user",
    "login_with_code",
    "register_account",
    "reset_password",
    "set_user_status",
    "verify_phone",
]
