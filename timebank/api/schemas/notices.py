"""Notices: the in-app inbox and the staff's list of given-up notices."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from timebank.api.schemas.auth import mask_phone
from timebank.notices.models import Notice


class InboxNoticeOut(BaseModel):
    id: int
    kind: str
    text_zh: str
    text_en: str
    created_at: datetime
    read_at: datetime | None
    delivered_by_sms: bool  # False: the inbox is the only delivery (no phone, or not yet)

    @classmethod
    def of(cls, n: Notice) -> InboxNoticeOut:
        return cls(
            id=n.id,
            kind=n.kind,
            text_zh=n.text_zh,
            text_en=n.text_en,
            created_at=n.created_at,
            read_at=n.read_at,
            delivered_by_sms=n.channel == "sms" and n.status == "sent",
        )


class InboxOut(BaseModel):
    person_id: int
    unread: int
    notices: list[InboxNoticeOut]


class GivenUpNoticeOut(BaseModel):
    id: int
    person_id: int | None
    kind: str
    recipient: str  # masked
    attempts: int
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, n: Notice) -> GivenUpNoticeOut:
        return cls(
            id=n.id,
            person_id=n.person_id,
            kind=n.kind,
            recipient=mask_phone(n.recipient),
            attempts=n.attempts,
            last_error=n.last_error,
            created_at=n.created_at,
        )
