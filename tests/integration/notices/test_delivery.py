"""Delivering notices on both databases: sent, retried with backoff against a failing fake
provider, given up after N, never twice for one event, never twice by two workers at once."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.support.fake_http import fake_server
from timebank.clock import LOCAL_TZ
from timebank.db import make_session_factory
from timebank.notices.deliver import deliver_due
from timebank.notices.models import Notice
from timebank.notices.notify import Draft, notify, notify_many
from timebank.notices.outbound import Message
from timebank.notices.rules import Retry
from timebank.notices.sms import SmsAccount, SmsNotifier
from timebank.notices.webhook import SIGNATURE_HEADER, WebhookNotifier, sign_body

AT = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)


def _draft(key: str, phone: str | None = "13800138000") -> Draft:
    return Draft(
        key=key,
        kind="code",
        text_zh="验证码 1",
        text_en="code 1",
        phone=phone,
        params={"code": "1"},
    )


def _queue(factory: sessionmaker[Session], *drafts: Draft) -> list[int]:
    with factory() as s:
        ids = notify_many(s, drafts, at=AT)
        s.commit()
    return ids


def _notice(factory: sessionmaker[Session], notice_id: int) -> Notice:
    with factory() as s:
        found = s.get(Notice, notice_id)
        assert found is not None
        return found


def test_a_due_notice_is_sent_to_the_webhook_signed(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    [nid] = _queue(factory, _draft("e1"))
    with fake_server([(204, "")]) as server:
        report = deliver_due(factory, WebhookNotifier(server.url, b"k"), at=AT)
    assert report.sent == [nid] and report.claimed == 1
    [got] = server.received
    assert got.headers[SIGNATURE_HEADER] == sign_body(b"k", got.body)
    assert json.loads(got.body)["id"] == nid
    row = _notice(factory, nid)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, AT)
    assert deliver_due(factory, WebhookNotifier(server.url, b"k"), at=AT).claimed == 0


def test_failures_back_off_then_succeed(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    [nid] = _queue(factory, _draft("e1"))
    retry = Retry(max_attempts=5, first=timedelta(minutes=1))
    with fake_server([(500, "down"), (503, "busy"), (200, "")]) as server:
        hook = WebhookNotifier(server.url, b"k")
        assert deliver_due(factory, hook, at=AT, retry=retry).failed == [nid]
        row = _notice(factory, nid)
        assert row.next_attempt_at == AT + timedelta(minutes=1) and "HTTP 500" in (
            row.last_error or ""
        )
        # not due yet: nothing is claimed
        assert deliver_due(factory, hook, at=AT + timedelta(seconds=59), retry=retry).claimed == 0
        t2 = AT + timedelta(minutes=1)
        assert deliver_due(factory, hook, at=t2, retry=retry).failed == [nid]
        assert _notice(factory, nid).next_attempt_at == t2 + timedelta(minutes=2)
        assert deliver_due(factory, hook, at=t2 + timedelta(minutes=2), retry=retry).sent == [nid]
    row = _notice(factory, nid)
    assert (row.status, row.attempts) == ("sent", 3) and len(server.received) == 3


def test_gives_up_after_max_attempts(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    [nid] = _queue(factory, _draft("e1"))
    retry = Retry(max_attempts=3, first=timedelta(minutes=1))
    at = AT
    with fake_server([(500, "down")]) as server:
        hook = WebhookNotifier(server.url, b"k")
        for _ in range(3):
            report = deliver_due(factory, hook, at=at, retry=retry)
            at += timedelta(hours=1)
    assert report.given_up == [nid]
    row = _notice(factory, nid)
    assert (row.status, row.attempts, row.next_attempt_at) == ("given_up", 3, None)
    assert deliver_due(factory, hook, at=at + timedelta(days=1), retry=retry).claimed == 0


def test_sms_adapter_against_a_fake_provider(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    ok, refused = _queue(factory, _draft("e1"), _draft("e2"))
    answers = [(200, '{"Code": "OK"}'), (200, '{"Code": "isv.BUSINESS_LIMIT_CONTROL"}')]
    with fake_server(answers) as server:
        account = SmsAccount(server.url, "id", "secret", "时间银行", {"code": "SMS_1"})
        report = deliver_due(factory, SmsNotifier(account), at=AT)
    assert report.sent == [ok] and report.failed == [refused]
    assert "BUSINESS_LIMIT_CONTROL" in (_notice(factory, refused).last_error or "")
    assert b"TemplateCode=SMS_1" in server.received[0].body
    assert b"Signature=" in server.received[0].body


def test_the_same_event_is_notified_once(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    with factory() as s:
        first = notify(s, draft=_draft("event-1"), at=AT)
        again = notify(s, draft=_draft("event-1"), at=AT + timedelta(minutes=1))
        both = notify_many(s, [_draft("event-1"), _draft("event-2")], at=AT)
        s.commit()
        assert first is not None and again is None and len(both) == 1
        assert len(s.execute(select(Notice)).scalars().all()) == 2


def test_a_notice_without_a_phone_is_delivered_by_the_inbox_alone(fresh_engine: Engine) -> None:
    factory = make_session_factory(fresh_engine)
    [nid] = _queue(factory, _draft("e1", phone=None))
    row = _notice(factory, nid)
    assert (row.channel, row.status, row.sent_at) == ("inbox", "sent", AT)
    assert deliver_due(factory, _Recorder(), at=AT).claimed == 0


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def send(self, message: Message) -> None:
        time.sleep(0.002)  # let the other worker run meanwhile
        with self.lock:
            self.sent.append(message.notice_id)


def test_two_workers_never_send_one_notice_twice(fresh_engine: Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED claims: PostgreSQL (SQLite's writers queue)")
    factory = make_session_factory(fresh_engine)
    ids = _queue(factory, *[_draft(f"e{i}") for i in range(60)])
    notifier = _Recorder()
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        while deliver_due(factory, notifier, at=AT, batch=4).claimed:
            pass

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(notifier.sent) == sorted(ids)  # every one, and none twice
    with factory() as s:
        assert set(s.execute(select(Notice.status)).scalars()) == {"sent"}
