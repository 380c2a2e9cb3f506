"""Supervision tables: alerts (deduplicated by key), the watch list, cases and what ended them.

Alerts and their people are written by scans and write-time checks; cases, decisions,
sanctions, appeals and the public untrustworthy list by district and city staff. Nothing here is
deleted: a lifted sanction or listing keeps its row with the date and the person who lifted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime

ALERT_STATES = ("open", "in_case", "closed")
CASE_STATES = ("open", "assigned", "dismissed", "warned", "confirmed", "overturned")
OUTCOMES = ("dismiss", "warn", "confirm_fraud")
SANCTION_KINDS = ("warning", "disqualification", "reversal")
APPEAL_STATES = ("pending", "rejected", "upheld")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ScanRun(Base):
    """One full scan: what it read, what it found, and the duration baseline it measured."""

    __tablename__ = "supervision_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visits: Mapped[int] = mapped_column(Integer)
    transfers: Mapped[int] = mapped_column(Integer)
    alerts: Mapped[int] = mapped_column(Integer)
    new_alerts: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # rule -> {"alerts": n, "new": m}
    seconds: Mapped[float] = mapped_column(Float)
    # category -> [median ln minutes, sigma]: write-time checks judge durations against it.
    baseline: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Alert(Base):
    """A finding; ``dedup_key`` names the fact, so a re-scan or a second check adds nothing."""

    __tablename__ = "supervision_alerts"
    __table_args__ = (
        CheckConstraint(_in("status", ALERT_STATES), name="status"),
        CheckConstraint("source IN ('scan','live')", name="source"),
        Index("ix_supervision_alerts_district_status", "district_code", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(32), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(120))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    people: Mapped[list[int]] = mapped_column(JSON)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    source: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="open")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertPerson(Base):
    """The accounts an alert names (to remind, watch, and group into cases)."""

    __tablename__ = "supervision_alert_people"
    alert_id: Mapped[int] = mapped_column(ForeignKey("supervision_alerts.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True, index=True)


class Watch(Base):
    """A person on the watch list: since when, how often alerted, when last reminded."""

    __tablename__ = "supervision_watch"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    last_alert_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(80))


class Case(Base):
    """Alerts grouped for review by the district; ends dismissed, warned or confirmed."""

    __tablename__ = "supervision_cases"
    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATES), name="status"),
        Index("ix_supervision_cases_district_status", "district_code", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee_user_id: Mapped[int | None] = mapped_column(Integer)  # auth user, as in audit_log
    assignee: Mapped[str | None] = mapped_column(String(80))
    assigned_by: Mapped[str | None] = mapped_column(String(80))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseAlert(Base):
    """An alert belongs to at most one case."""

    __tablename__ = "supervision_case_alerts"
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_alerts.id"), primary_key=True, unique=True
    )


class Decision(Base):
    """How a case ended: one decision per case, so a retried decision finds the first."""

    __tablename__ = "supervision_decisions"
    __table_args__ = (CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sanction(Base):
    """One act of a decision on a person: a warning, a disqualification, or a reversal."""

    __tablename__ = "supervision_sanctions"
    __table_args__ = (
        CheckConstraint(_in("kind", SANCTION_KINDS), name="kind"),
        CheckConstraint("(kind = 'reversal') = (transfer_id IS NOT NULL)", name="reversal_names"),
        UniqueConstraint("case_id", "kind", "person_id", "transfer_id"),
        Index("ix_supervision_sanctions_person", "person_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    minutes: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    # Reinstatement: a restoring credit for a reversal, or why a status could not come back.
    restore_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Appeal(Base):
    """An appeal against a warning or a confirmed fraud, decided by the city."""

    __tablename__ = "supervision_appeals"
    __table_args__ = (CheckConstraint(_in("status", APPEAL_STATES), name="status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(80))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)


class UntrustworthyEntry(Base):
    """The public untrustworthy list (失信名单): an institution, why, since when, until when."""

    __tablename__ = "supervision_untrustworthy"
    __table_args__ = (Index("ix_supervision_untrustworthy_org", "organisation_id", "lifted_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_cases.id"))
    reason: Mapped[str] = mapped_column(Text)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    listed_by: Mapped[str] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lift_reason: Mapped[str | None] = mapped_column(Text)
