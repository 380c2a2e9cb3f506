"""Sign-in accounts as such: finding one, a phone number not yet taken, the phone verified
by a one-time code, and the lockout limits sign-in applies. Opening accounts for people and
staff needs their real-name record: ``timebank.people.accounts`` and ``timebank.care.enrolment``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.auth import codes
from timebank.auth.models import User
from timebank.auth.phones import normalise_phone
from timebank.errors import Conflict, InvalidInput, NotFound

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def require_phone_free(session: Session, phone: str) -> None:
    if session.execute(select(User.id).where(User.phone == phone)).first() is not None:
        raise Conflict("an account with this phone number exists", field="phone", rule="phone")


def verify_phone(session: Session, *, phone: str, code: str, code_key: bytes, at: datetime) -> User:
    phone = normalise_phone(phone)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    ok = codes.use_code(session, phone=phone, purpose="verify", code=code, key=code_key, at=at)
    if user is None or not ok:
        raise InvalidInput("the code is wrong or has expired", field="code", rule="otp")
    if user.status == "unverified":
        user.status = "active"
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    return user
