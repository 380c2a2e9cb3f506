"""The notices table: one row per thing said to someone, its delivery state and its inbox state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime

STATUSES = ("pending", "sent", "given_up")
CHANNELS = ("sms", "inbox")


class Notice(Base):
    """``channel`` says how it leaves: ``sms`` to ``recipient`` (a phone) through the configured
    notifier, or ``inbox`` only (nobody to send to: the inbox is the delivery). ``dedup_key``
    names the event, so the same event never notifies twice."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'given_up')", name="status"),
        CheckConstraint("channel IN ('sms', 'inbox')", name="channel"),
        Index("ix_notices_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
