"""Queueing notices in the caller's transaction: a notice exists only if the act commits, and
``deliver_due`` sends it afterwards. The dedup key names the event; a second notice for the
same event is skipped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.notices.models import Notice

# Both dialects' inserts know ON CONFLICT DO NOTHING; the generic one does not.
_INSERT: dict[str, Any] = {"postgresql": postgresql.insert(Notice), "sqlite": sqlite.insert(Notice)}


@dataclass(frozen=True)
class Draft:
    """One notice to queue. With a ``phone`` it goes out by SMS (and shows in the inbox of
    ``person_id``); without, the inbox is its only delivery."""

    key: str
    kind: str
    text_zh: str
    text_en: str
    person_id: int | None = None
    user_id: int | None = None
    phone: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)


def _row(draft: Draft, at: datetime) -> dict[str, Any]:
    sms = bool(draft.phone)
    return {
        "dedup_key": draft.key[:200],
        "person_id": draft.person_id,
        "user_id": draft.user_id,
        "channel": "sms" if sms else "inbox",
        "recipient": draft.phone or None,
        "kind": draft.kind,
        "params": dict(draft.params),
        "text_zh": draft.text_zh,
        "text_en": draft.text_en,
        "status": "pending" if sms else "sent",
        "attempts": 0,
        "next_attempt_at": at if sms else None,
        "created_at": at,
        "sent_at": None if sms else at,
    }


def notify_many(session: Session, drafts: Iterable[Draft], *, at: datetime) -> list[int]:
    """Queue the notices in one statement; returns the ids of the new ones (known keys are
    skipped, never an error). Never commits."""
    rows = [_row(d, at) for d in drafts]
    if not rows:
        return []
    insert = _INSERT[session.get_bind().dialect.name]
    stmt = insert.on_conflict_do_nothing(index_elements=["dedup_key"]).returning(Notice.id)
    return list(session.connection().execute(stmt, rows).scalars())


def notify(session: Session, *, draft: Draft, at: datetime) -> int | None:
    """Queue one notice; its id, or None when its event was already notified."""
    ids = notify_many(session, [draft], at=at)
    return ids[0] if ids else None


class NoticeQueue:
    """What ``timebank.auth`` sends its one-time codes through (``auth.notify.SmsQueue``):
    the code becomes a notice addressed to a phone and to no inbox (a code is a secret; a
    proxy reading the elder's inbox must not see the elder's sign-in code)."""

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
        draft = Draft(
            key=key,
            kind=kind,
            text_zh=text,
            text_en=text_en or text,
            phone=phone,
            params=params or {},
        )
        notify(session, draft=draft, at=at)
