"""Sending due notices: claim a batch, send outside any transaction, record each attempt.

A claim moves the notice's ``next_attempt_at`` one lease ahead in a short transaction that
commits before anything is sent, so another ``deliver_due`` (another thread, process or
server) skips it: on PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``, on SQLite
every transaction is ``BEGIN IMMEDIATE`` and claims queue. A worker that dies mid-send leaves
the notice to be claimed again after the lease: delivery is at least once, never twice at
once (webhooks carry the notice id as ``Idempotency-Key`` for the receiver)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from timebank.db import transaction
from timebank.notices.models import Notice
from timebank.notices.outbound import Message, Notifier
from timebank.notices.rules import Retry

log = logging.getLogger(__name__)
# Longer than a batch can take: 100 notices at a 5 s timeout is 8 min 20 s.
LEASE = timedelta(minutes=15)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # will be tried again
    given_up: list[int] = field(default_factory=list)


def _claim(session: Session, *, at: datetime, batch: int) -> list[Message]:
    query = (
        select(Notice)
        .where(Notice.status == "pending", Notice.next_attempt_at <= at)
        .order_by(Notice.next_attempt_at, Notice.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = list(session.execute(query).scalars())
    for notice in claimed:
        notice.attempts += 1
        notice.next_attempt_at = at + LEASE
    session.flush()
    return [
        Message(
            notice_id=n.id,
            kind=n.kind,
            recipient=n.recipient or "",
            text_zh=n.text_zh,
            text_en=n.text_en,
            params={str(k): str(v) for k, v in (n.params or {}).items()},
        )
        for n in claimed
    ]


def _record(
    session: Session, notice_id: int, error: str | None, *, at: datetime, retry: Retry
) -> str:
    notice = session.get(Notice, notice_id, with_for_update=True)
    assert notice is not None
    if error is None:
        notice.status, notice.sent_at, notice.next_attempt_at = "sent", at, None
    elif retry.gives_up_after(notice.attempts):
        notice.status, notice.next_attempt_at, notice.last_error = "given_up", None, error
    else:
        notice.next_attempt_at = at + retry.delay_after(notice.attempts)
        notice.last_error = error
    session.flush()
    return notice.status if error is None or notice.status == "given_up" else "failed"


def deliver_due(
    session_factory: sessionmaker[Session],
    notifier: Notifier,
    *,
    at: datetime,
    batch: int = 100,
    retry: Retry | None = None,
) -> DeliveryReport:
    """Send up to ``batch`` notices due at ``at``; each attempt is recorded in its own
    transaction. Safe to run from several workers at once. Call it again while
    ``report.claimed == batch``."""
    retry = retry or Retry()
    report = DeliveryReport()
    with transaction(session_factory) as session:
        messages = _claim(session, at=at, batch=batch)
        session.commit()
    report.claimed = len(messages)
    for message in messages:
        error: str | None = None
        try:
            notifier.send(message)
        except Exception as exc:  # any failure of the outside world is one failed attempt
            error = (str(exc) or type(exc).__name__)[:500]
            log.warning("notice %s not delivered: %s", message.notice_id, error)
        with transaction(session_factory) as session:
            outcome = _record(session, message.notice_id, error, at=at, retry=retry)
            session.commit()
        {"sent": report.sent, "failed": report.failed, "given_up": report.given_up}[outcome].append(
            message.notice_id
        )
    return report
