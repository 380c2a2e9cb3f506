"""What the API needs at run time, wired once in ``create_app``: the database, the clock,
password hashing, the notifier and key material. Tests pass their own."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from timebank.auth.notify import Notifier
from timebank.auth.passwords import Passwords
from timebank.clock import Clock
from timebank.config import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    factory: sessionmaker[Session]
    clock: Clock
    passwords: Passwords
    notifier: Notifier

    @property
    def code_key(self) -> bytes:
        secret = self.settings.secret_key.get_secret_value().encode()
        return hashlib.sha256(b"timebank/otp/v1:" + secret).digest()
