"""Bearer tokens: short-lived access + rotating refresh (API clients), and browser sessions.

Only hashes are stored. Tokens issued together share a family: signing out revokes the family,
and presenting a refresh token that was already spent (a sign of theft) revokes it too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank.auth.crypto import new_token, same, token_hash
from timebank.auth.errors import Unauthenticated
from timebank.auth.models import AuthToken, User
from timebank.errors import PermissionDenied

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    family: str


@dataclass(frozen=True)
class BrowserSession:
    token: str
    csrf_token: str
    expires_at: datetime


def _store(
    session: Session, user: User, kind: str, family: str, at: datetime, ttl: timedelta
) -> str:
    token = new_token(kind)
    session.add(
        AuthToken(
            token_hash=token_hash(token),
            kind=kind,
            user_id=user.id,
            family=family,
            expires_at=at + ttl,
            created_at=at,
        )
    )
    return token


def issue_pair(
    session: Session, *, user: User, at: datetime, family: str | None = None
) -> TokenPair:
    family = family or secrets.token_hex(16)
    access = _store(session, user, "access", family, at, ACCESS_TTL)
    refresh = _store(session, user, "refresh", family, at, REFRESH_TTL)
    session.flush()
    return TokenPair(access, refresh, int(ACCESS_TTL.total_seconds()), family)


def open_session(session: Session, *, user: User, at: datetime) -> BrowserSession:
    token = new_token("session")
    csrf = new_token("csrf")
    session.add(
        AuthToken(
            token_hash=token_hash(token),
            kind="session",
            user_id=user.id,
            family=secrets.token_hex(16),
            csrf_hash=token_hash(csrf),
            expires_at=at + SESSION_TTL,
            created_at=at,
        )
    )
    session.flush()
    return BrowserSession(token, csrf, at + SESSION_TTL)


def authenticate(
    session: Session, *, token: str, kind: str, at: datetime
) -> tuple[User, AuthToken]:
    """The active user behind a live, unrevoked token of ``kind``; else 401."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash(token), AuthToken.kind == kind)
    ).first()
    if row is None:
        raise Unauthenticated("the token is not valid", rule="token_invalid")
    stored, user = row
    if stored.revoked_at is not None or stored.expires_at <= at:
        raise Unauthenticated("the token has expired or was revoked", rule="token_expired")
    if user.status != "active":
        raise Unauthenticated(f"the account is {user.status}", rule="account_inactive")
    return user, stored


def check_csrf(stored: AuthToken, csrf: str | None) -> None:
    if not csrf or stored.csrf_hash is None or not same(token_hash(csrf), stored.csrf_hash):
        raise PermissionDenied("a missing or wrong X-CSRF-Token header", rule="csrf")


def revoke_family(session: Session, *, family: str, at: datetime) -> None:
    session.execute(
        update(AuthToken)
        .where(AuthToken.family == family, AuthToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def revoke_user(session: Session, *, user_id: int, at: datetime) -> None:
    """Sign the user out everywhere (password reset, disabling the account)."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def refresh(session: Session, *, refresh_token: str, at: datetime) -> TokenPair:
    """Spend a refresh token for a new pair in the same family (rotation with reuse detection)."""
    row = session.execute(
        select(AuthToken)
        .where(AuthToken.token_hash == token_hash(refresh_token), AuthToken.kind == "refresh")
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("the refresh token is not valid", rule="token_invalid")
    if row.revoked_at is not None:
        revoke_family(session, family=row.family, at=at)
        session.flush()
        raise Unauthenticated(
            "this refresh token was already used; every token of its sign-in is revoked",
            rule="refresh_reuse",
        )
    if row.expires_at <= at:
        raise Unauthenticated("the refresh token has expired", rule="token_expired")
    user = session.get(User, row.user_id)
    if user is None or user.status != "active":
        raise Unauthenticated("the account is not active", rule="account_inactive")
    # The old access tokens of the family die with the spent refresh token.
    session.execute(
        update(AuthToken)
        .where(
            AuthToken.family == row.family,
            AuthToken.kind.in_(("access", "refresh")),
            AuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )
    return issue_pair(session, user=user, at=at, family=row.family)


def revoke_token(session: Session, *, token: str, at: datetime) -> bool:
    """Sign out the sign-in a token belongs to; unknown tokens are ignored (RFC 7009)."""
    family = session.execute(
        select(AuthToken.family).where(AuthToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if family is None:
        return False
    revoke_family(session, family=family, at=at)
    session.flush()
    return True
