"""Outgoing notices behind an interface; the local implementation writes the outbox table.

A delivery worker (SMS gateway, WeChat) reads unsent rows after commit and marks them sent; in
development the outbox is the inbox (``GET /api/v1/dev/outbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from timebank.auth.models import OutboxMessage


class Notifier(Protocol):
    def send_sms(self, session: Session, *, phone: str, text: str, at: datetime) -> None: ...


class OutboxNotifier:
    """Writes the message in the caller's transaction: it goes out only if the act commits."""

    def send_sms(self, session: Session, *, phone: str, text: str, at: datetime) -> None:
        session.add(OutboxMessage(channel="sms", recipient=phone, body=text, created_at=at))
        session.flush()
