"""Domain events: facts a use case records inside its transaction, delivered only after the
transaction commits (a rolled-back or retried attempt delivers nothing).

A use case calls ``record(session, "visit", visit.id)``; whoever ran the transaction collects
them with ``run_in_transaction(..., events=collected)`` and hands them on — today to the
supervision write-time checks (``timebank.supervision.services.after_commit``). Keeping the
list on ``session.info`` keeps the domains free of any import of their listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

EventKind = Literal["visit", "gift", "donation", "redemption"]
_KEY = "timebank.domain_events"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    record_id: int


def record(session: Session, kind: EventKind, record_id: int) -> None:
    """Note that ``kind`` ``record_id`` was written in this session's transaction."""
    session.info.setdefault(_KEY, []).append(Event(kind, record_id))


def take(session: Session) -> list[Event]:
    """The events recorded in the session so far, removed from it."""
    found: list[Event] = session.info.pop(_KEY, [])
    return found
