"""What the adapters need at run time, built once by the composition root (``timebank.app``):
the database, the clock, password hashing, the notice queue and the outbound notifier, key
material, and the listeners that
act on a committed transaction's domain events. Tests build their own."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from timebank.auth.notify import SmsQueue
from timebank.auth.passwords import Passwords
from timebank.clock import Clock
from timebank.config import Settings
from timebank.domain_events import Event
from timebank.notices.deliver import DeliveryReport, deliver_due
from timebank.notices.outbound import Notifier
from timebank.notices.rules import Retry

log = logging.getLogger(__name__)
DEFAULT_RETRY = Retry()

# A listener gets the services, the events one committed transaction recorded, and the time.
Listener = Callable[["Services", Sequence[Event], datetime], object]


@dataclass(frozen=True)
class Services:
    settings: Settings
    factory: sessionmaker[Session]
    clock: Clock
    passwords: Passwords
    notifier: SmsQueue  # queues one-time codes as notices (timebank.notices.NoticeQueue)
    outbound: Notifier  # sends due notices to the outside world
    retry: Retry = DEFAULT_RETRY
    listeners: tuple[Listener, ...] = ()

    @property
    def code_key(self) -> bytes:
        secret = self.settings.secret_key.get_secret_value().encode()
        return hashlib.sha256(b"timebank/otp/v1:" + secret).digest()

    def deliver_notices(self, *, at: datetime, batch: int = 100) -> DeliveryReport:
        """Send the notices due at ``at`` (what the scheduler calls, e.g. every 30 seconds)."""
        return deliver_due(self.factory, self.outbound, at=at, batch=batch, retry=self.retry)

    def deliver(self, events: Sequence[Event], *, at: datetime) -> None:
        """Hand committed events to every listener; one failing never stops the others (the
        act has committed; the next full scan finds whatever a failed check missed)."""
        for listen in self.listeners:
            try:
                listen(self, events, at)
            except Exception:
                log.exception("event listener %r failed", listen)
