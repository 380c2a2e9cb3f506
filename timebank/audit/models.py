"""Audit tables. Rows are only ever inserted: the log is evidence, never edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime


class AuditEntry(Base):
    """One act that changed something: who (user and actor label, "X for Y"), what, on what."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_user", "user_id", "id"),
        Index("ix_audit_log_district", "district_code", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(80))  # e.g. "proxy:12 for person:7"
    on_behalf_of: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[str | None] = mapped_column(String(6))  # the acting staff's district
    act: Mapped[str] = mapped_column(String(64))  # the operation, e.g. "gift"
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids acted on
    moves_coins: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))


class DataAccess(Base):
    """A staff member read someone's personal data: who, whom, why (PIPL)."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_person", "person_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[int | None] = mapped_column(Integer)  # None for a list across people
    scope: Mapped[str] = mapped_column(String(120))  # e.g. "person", "id_number", "list:110101"
    purpose: Mapped[str] = mapped_column(String(200))
    act: Mapped[str] = mapped_column(String(64))


class ConsentRecord(Base):
    """A consent given or withdrawn: the person's own, or a guardian's for a minor."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("kind IN ('personal_data','guardian','sensitive_minor')", name="kind"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)
    given_by: Mapped[str] = mapped_column(String(80))  # actor label
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    policy_version: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
