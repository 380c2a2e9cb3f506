"""An SMS provider adapter shaped like Aliyun's SendSms (the RPC API Chinese cities commonly
buy): a registered sign name (签名), a template code per kind of notice and the template's
parameters, in a form POST signed with HMAC-SHA1 over the canonical query. Building and
signing the request is pure (``sms_request``); ``SmsNotifier`` only sends it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from uuid import uuid4

import httpx

from timebank.notices.outbound import DeliveryFailed, Message

API_VERSION = "2017-05-25"


@dataclass(frozen=True)
class SmsAccount:
    endpoint: str  # e.g. https://dysmsapi.aliyuncs.com/
    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: Mapping[str, str]  # notice kind -> provider template code
    region: str = "cn-hangzhou"


def _pe(value: str) -> str:
    """RFC 3986 percent-encoding, as the provider's signature specification requires."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))


def signature(secret: str, params: Mapping[str, str], method: str = "POST") -> str:
    string_to_sign = f"{method}&{_pe('/')}&{_pe(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sms_request(
    account: SmsAccount, message: Message, *, nonce: str, at: datetime
) -> dict[str, str]:
    """The signed form fields of one SendSms call. ``nonce`` must be unique per call (the
    provider refuses a repeated one); ``at`` is any aware time."""
    template = account.templates.get(message.kind)
    if not template:
        raise DeliveryFailed(f"sms: no template configured for notice kind {message.kind!r}")
    params = {
        "AccessKeyId": account.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": message.recipient,
        "RegionId": account.region,
        "SignName": account.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": template,
        "TemplateParam": json.dumps(dict(message.params), ensure_ascii=False, sort_keys=True),
        "Timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": API_VERSION,
    }
    return params | {"Signature": signature(account.access_key_secret, params)}


class SmsNotifier:
    def __init__(
        self, account: SmsAccount, *, timeout: float = 5.0, client: httpx.Client | None = None
    ) -> None:
        self.account = account
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, message: Message) -> None:
        # The provider checks the timestamp against its own clock: real time, not the app clock.
        form = sms_request(self.account, message, nonce=uuid4().hex, at=datetime.now(UTC))
        try:
            response = self.client.post(self.account.endpoint, data=form)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"sms: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"sms: HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise DeliveryFailed(f"sms: not JSON: {response.text[:200]}") from exc
        if answer.get("Code") != "OK":  # the provider answers 200 with an error code
            raise DeliveryFailed(f"sms: {answer.get('Code')}: {answer.get('Message', '')}"[:300])
