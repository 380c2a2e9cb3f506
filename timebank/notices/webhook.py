"""A generic HTTPS webhook: POST the notice as JSON, signed with HMAC-SHA256 over the body."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from timebank.notices.outbound import DeliveryFailed, Message

SIGNATURE_HEADER = "X-Timebank-Signature"


def sign_body(secret: bytes, body: bytes) -> str:
    """``sha256=<hex>``: what the receiver recomputes with the shared secret to trust a call."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def webhook_body(message: Message) -> bytes:
    payload = {
        "id": message.notice_id,
        "kind": message.kind,
        "recipient": message.recipient,
        "text": {"zh-CN": message.text_zh, "en": message.text_en},
        "params": dict(message.params),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


class WebhookNotifier:
    def __init__(
        self, url: str, secret: bytes, *, timeout: float = 5.0, client: httpx.Client | None = None
    ) -> None:
        self.url, self.secret = url, secret
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, message: Message) -> None:
        body = webhook_body(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign_body(self.secret, body),
            # Delivery is at least once: the receiver drops a repeated id.
            "Idempotency-Key": f"notice-{message.notice_id}",
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"webhook: HTTP {response.status_code}: {response.text[:200]}")
