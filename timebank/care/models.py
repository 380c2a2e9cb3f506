"""Needs, visits, volunteer profiles and elders' check-in secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime

NEED_STATES = (
    "pending_review",
    "rejected",
    "open",
    "assigned",
    "in_progress",
    "completed",
    "confirmed",
    "disputed",
    "cancelled",
    "expired",
)
VISIT_STATES = (
    "scheduled",
    "checked_in",
    "checked_out",
    "confirmed",
    "disputed",
    "rejected",
    "no_show",
    "cancelled",
    "pending_approval",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Need(Base):
    """An elder's request for one visit; a recurring series shares ``series_id``."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(_in("status", NEED_STATES), name="status"),
        CheckConstraint("funding IN ('own','pool')", name="funding"),
        CheckConstraint("expected_minutes > 0", name="expected_positive"),
        CheckConstraint("window_end > window_start", name="window"),
        CheckConstraint("source IN ('online','offline')", name="source"),
        Index("ix_needs_status_district", "status", "district_code"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # receives care
    payer_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))  # whose coins pay
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_minutes: Mapped[int] = mapped_column(Integer)
    preferences: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # People who will be there besides the volunteer (a minor volunteer's guardian must be).
    attendee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    funding: Mapped[str] = mapped_column(String(8), default="own")
    source: Mapped[str] = mapped_column(String(8), default="online")
    status: Mapped[str] = mapped_column(String(16), default="pending_review")
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    published_by: Mapped[str] = mapped_column(String(80))
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)  # rejection / cancellation reason
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Visit(Base):
    """One volunteer's attendance on one need: check-in, check-out, confirmation."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(_in("status", VISIT_STATES), name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("source IN ('online','offline')", name="source"),
        Index("ix_visits_volunteer_start", "volunteer_id", "scheduled_start"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    elder_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    source: Mapped[str] = mapped_column(String(8), default="online")
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime] = mapped_column(UTCDateTime)
    check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_lat: Mapped[float | None] = mapped_column(Float)
    check_in_lon: Mapped[float | None] = mapped_column(Float)
    check_in_method: Mapped[str | None] = mapped_column(String(16))  # code | proxy | paper
    check_in_device: Mapped[str | None] = mapped_column(String(64))
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lon: Mapped[float | None] = mapped_column(Float)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    credited_minutes: Mapped[int | None] = mapped_column(Integer)
    paid_minutes: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[str | None] = mapped_column(String(80))
    confirm_device: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entered_by: Mapped[str | None] = mapped_column(String(80))  # offline: first station user
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VolunteerProfile(Base):
    """What a volunteer offers: categories, travel radius, weekly availability."""

    __tablename__ = "volunteer_profiles"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    radius_m: Mapped[int] = mapped_column(Integer, default=3000)
    # [[weekday 0=Mon, start "HH:MM", end "HH:MM"], ...] in Asia/Shanghai
    availability: Mapped[list[list[object]]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ElderCode(Base):
    """The secret behind an elder's rotating check-in code (TOTP, 6 digits, 60 s)."""

    __tablename__ = "elder_codes"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    secret_cipher: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
