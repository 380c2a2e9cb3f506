"""Request signing, pure: the webhook's HMAC-SHA256 over the body and the SMS provider's
HMAC-SHA1 over the canonical query (Aliyun RPC signature, version 1.0)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from timebank.notices.outbound import DeliveryFailed, Message
from timebank.notices.sms import SmsAccount, canonical_query, signature, sms_request
from timebank.notices.webhook import sign_body, webhook_body

MESSAGE = Message(
    notice_id=7,
    kind="code",
    recipient="13800138000",
    text_zh="【时间银行】验证码 123456",
    text_en="[Time Bank] Code 123456",
    params={"code": "123456"},
)
ACCOUNT = SmsAccount(
    endpoint="http://127.0.0.1:1/",
    access_key_id="testid",
    access_key_secret="testsecret",
    sign_name="时间银行",
    templates={"code": "SMS_0001"},
)
AT = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)


def test_webhook_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = webhook_body(MESSAGE)
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign_body(b"s3cret", body) == "sha256=" + expected
    assert sign_body(b"other", body) != sign_body(b"s3cret", body)
    payload = json.loads(body)
    assert payload["id"] == 7 and payload["text"]["zh-CN"].startswith("【时间银行】")


def test_canonical_query_sorts_and_percent_encodes_by_rfc_3986() -> None:
    assert canonical_query({"b": "x y", "a": "~*/"}) == "a=~%2A%2F&b=x%20y"


def test_sms_request_carries_template_sign_name_and_a_verifiable_signature() -> None:
    form = sms_request(ACCOUNT, MESSAGE, nonce="n-1", at=AT)
    assert form["Action"] == "SendSms" and form["TemplateCode"] == "SMS_0001"
    assert form["SignName"] == "时间银行" and form["PhoneNumbers"] == "13800138000"
    assert json.loads(form["TemplateParam"]) == {"code": "123456"}
    assert form["Timestamp"] == "2026-03-02T01:00:00Z"
    unsigned = {k: v for k, v in form.items() if k != "Signature"}
    # Recomputed independently from the provider's specification.
    query = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(unsigned.items())
    )
    to_sign = "POST&%2F&" + quote(query, safe="~")
    digest = hmac.new(b"testsecret&", to_sign.encode(), hashlib.sha1).digest()
    assert form["Signature"] == base64.b64encode(digest).decode()
    assert signature("testsecret", unsigned) == form["Signature"]


def test_sms_request_is_deterministic_and_depends_on_the_nonce() -> None:
    a = sms_request(ACCOUNT, MESSAGE, nonce="n-1", at=AT)
    assert a == sms_request(ACCOUNT, MESSAGE, nonce="n-1", at=AT)
    assert a["Signature"] != sms_request(ACCOUNT, MESSAGE, nonce="n-2", at=AT)["Signature"]


def test_a_kind_without_a_template_fails_the_attempt() -> None:
    other = Message(7, "watch_reminder", "13800138000", "x", "x")
    with pytest.raises(DeliveryFailed, match="no template"):
        sms_request(ACCOUNT, other, nonce="n", at=AT)
