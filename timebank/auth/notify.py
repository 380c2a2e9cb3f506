"""What sign-in needs to send a one-time code: an ``SmsQueue``. The composition root passes
``timebank.notices.notify.NoticeQueue`` (auth sits beside notices, neither imports the other),
which queues the code as a notice in the caller's transaction; ``deliver_due`` sends it after
commit. In development ``GET /api/v1/dev/outbox`` shows what would have gone out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


class SmsQueue(Protocol):
    def send_sms(
        self,
        session: Session,
        *,
        phone: str,
        text: str,
        at: datetime,
        key: str,
        kind: str = "sms",
        text_en: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Queue ``text`` for ``phone`` in the caller's transaction; ``key`` names the event
        (a second send with the same key is dropped)."""
        ...
