"""Self-registration: a person signs up as a volunteer, an elder or a proxy with real-name
details, through the SAME ``register_person`` use case the stations use. Their coin accounts
open with them; the sign-in stays ``unverified`` until the phone answers a one-time code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_consent
from timebank.auth import codes
from timebank.auth.models import User
from timebank.auth.notify import SmsQueue
from timebank.auth.passwords import Passwords
from timebank.auth.phones import normalise_phone
from timebank.auth.users import require_phone_free
from timebank.errors import InvalidInput
from timebank.ledger.services import open_accounts
from timebank.people.accounts import SELF_ROLES
from timebank.people.models import Person
from timebank.people.services import register_person


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


def register_account(
    session: Session,
    *,
    reg: Registration,
    passwords: Passwords,
    notifier: SmsQueue,
    code_key: bytes,
    at: datetime,
) -> tuple[Person, User]:
    """A person signs themselves up; a code goes to the phone to verify it."""
    if reg.role not in SELF_ROLES:
        raise InvalidInput(f"role is one of {', '.join(SELF_ROLES)}", field="role")
    phone = normalise_phone(reg.phone)
    require_phone_free(session, phone)
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
