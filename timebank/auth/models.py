"""Sign-in tables: users, proxy grants, sessions/tokens, one-time codes, rate counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime

USER_ROLES = (
    "volunteer",
    "elder",
    "proxy",
    "station",
    "district_admin",
    "city_admin",
    "auditor",
)
USER_STATUSES = ("unverified", "active", "disabled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    """A sign-in account. People (volunteer, elder, proxy) link a person; staff link a place."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint(_in("status", USER_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; None: codes only
    role: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    display_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="unverified")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProxyGrant(Base):
    """``proxy_user`` may act for ``principal``; granted by the principal or a station."""

    __tablename__ = "proxy_grants"
    __table_args__ = (Index("ix_proxy_grants_pair", "proxy_user_id", "principal_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proxy_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    principal_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    granted_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(80))


class AuthToken(Base):
    """A bearer secret, stored only as its SHA-256: access, refresh, or a browser session.

    Tokens issued together share a ``family``; reusing a spent refresh token revokes the family.
    """

    __tablename__ = "auth_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('access','refresh','session')", name="kind"),
        Index("ix_auth_tokens_family", "family"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family: Mapped[str] = mapped_column(String(32))
    csrf_hash: Mapped[str | None] = mapped_column(String(64))  # sessions only
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OneTimeCode(Base):
    """A 6-digit code sent by SMS, stored as a keyed hash; a few tries, a few minutes."""

    __tablename__ = "auth_codes"
    __table_args__ = (
        CheckConstraint("purpose IN ('verify','reset','login')", name="purpose"),
        Index("ix_auth_codes_phone", "phone", "purpose"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateCounter(Base):
    """Hits of one bucket (e.g. ``login:ip:1.2.3.4``) in one fixed window, shared by workers."""

    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(120))
    window_start: Mapped[int] = mapped_column(BigId)  # epoch seconds
    hits: Mapped[int] = mapped_column(Integer, default=0)
