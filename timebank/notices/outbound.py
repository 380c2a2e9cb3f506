"""The one interface to the outside world: a ``Notifier`` sends one ``Message`` or raises.
The composition root picks the implementation from settings (``notifier_for``); this module
holds the development one."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    notice_id: int
    kind: str  # what it says, e.g. "code", "watch_reminder"; SMS templates are chosen by it
    recipient: str  # a phone number
    text_zh: str
    text_en: str
    params: Mapping[str, str] = field(default_factory=dict)  # the SMS template's parameters


class DeliveryFailed(Exception):
    """The provider did not take the message; the text is kept as the notice's last error."""


class Notifier(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message to the provider; raise (``DeliveryFailed`` or any error) if not."""
        ...


class LogNotifier:
    """Development: the log line is the SMS, and the in-app inbox (and ``/api/v1/dev/outbox``)
    shows it."""

    def send(self, message: Message) -> None:
        log.info("notice %s to %s: %s", message.notice_id, message.recipient, message.text_zh)
