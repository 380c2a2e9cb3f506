"""Signing in and passwords: password and one-time-code sign-in with lockout, reset, change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.auth import codes, tokens
from timebank.auth.errors import TooManyRequests, Unauthenticated
from timebank.auth.models import User
from timebank.auth.passwords import Passwords
from timebank.auth.phones import normalise_phone
from timebank.auth.users import LOCKOUT, MAX_FAILED_LOGINS, get_user
from timebank.errors import InvalidInput, TimebankError


@dataclass
class LoginOutcome:
    user: User | None
    error: TimebankError | None


def check_password(
    session: Session, *, phone: str, password: str, passwords: Passwords, at: datetime
) -> LoginOutcome:
    """Check a sign-in. Failures are counted (and lock the account) even though they fail:
    the caller commits the outcome, then raises its error."""
    try:
        phone = normalise_phone(phone)
    except InvalidInput:
        phone = ""
    user = session.execute(
        select(User).where(User.phone == phone).with_for_update()
    ).scalar_one_or_none()
    if user is not None and user.locked_until is not None and user.locked_until > at:
        wait = int((user.locked_until - at).total_seconds()) + 1
        return LoginOutcome(
            None,
            TooManyRequests(
                "the account is locked for a while", retry_after=wait, rule="login_lockout"
            ),
        )
    # Hash even for an unknown phone (against a dummy hash): the time taken must not tell
    # whether the phone has an account.
    matches = passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until, user.failed_logins = at + LOCKOUT, 0
        return LoginOutcome(None, Unauthenticated("wrong phone or password", rule="login"))
    if user.status != "active":
        return LoginOutcome(
            None, Unauthenticated(f"the account is {user.status}", rule="account_inactive")
        )
    user.failed_logins, user.locked_until = 0, None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    session.flush()
    return LoginOutcome(user, None)


def login_with_code(
    session: Session, *, phone: str, code: str, code_key: bytes, at: datetime
) -> User:
    phone = normalise_phone(phone)
    ok = codes.use_code(session, phone=phone, purpose="login", code=code, key=code_key, at=at)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if not ok or user is None or user.status != "active":
        raise Unauthenticated("the code is wrong or has expired", rule="otp")
    return user


def reset_password(
    session: Session,
    *,
    phone: str,
    code: str,
    new_password: str,
    passwords: Passwords,
    code_key: bytes,
    at: datetime,
) -> User:
    """Set a new password with a reset code; every sign-in of the account is revoked."""
    phone = normalise_phone(phone)
    ok = codes.use_code(session, phone=phone, purpose="reset", code=code, key=code_key, at=at)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if not ok or user is None:
        raise InvalidInput("the code is wrong or has expired", field="code", rule="otp")
    user.password_hash = passwords.hash(new_password)
    user.failed_logins, user.locked_until = 0, None
    if user.status == "unverified":
        user.status = "active"  # the code proved the phone
    tokens.revoke_user(session, user_id=user.id, at=at)
    session.flush()
    return user


def change_password(
    session: Session,
    *,
    user_id: int,
    old_password: str,
    new_password: str,
    passwords: Passwords,
    at: datetime,
) -> None:
    user = get_user(session, user_id)
    if not passwords.verify(user.password_hash, old_password):
        raise InvalidInput("the current password is wrong", field="old_password")
    user.password_hash = passwords.hash(new_password)
    tokens.revoke_user(session, user_id=user.id, at=at)
    session.flush()
