"""Sign-in building blocks on both databases: one-time codes, tokens, proxy actors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from timebank.actors import SYSTEM, Actor, Role
from timebank.auth import codes, tokens
from timebank.auth.errors import Unauthenticated
from timebank.auth.passwords import Passwords, check_strength, make_hasher
from timebank.auth.principal import Principal
from timebank.clock import FixedClock
from timebank.errors import InvalidInput, PermissionDenied
from timebank.notices.notify import NoticeQueue
from timebank.people.accounts import create_user
from timebank.people.proxies import actor_for, grant_proxy, revoke_proxy

KEY = b"k" * 32
PASSWORDS = Passwords(make_hasher(fast=True))


def _sent(session: Session, phone: str) -> str:
    from sqlalchemy import select

    from timebank.notices.models import Notice

    body = (
        session.execute(
            select(Notice.text_zh).where(Notice.recipient == phone).order_by(Notice.id.desc())
        )
        .scalars()
        .first()
    )
    assert body is not None
    return next(w for w in body.replace("，", " ").split() if w.isdigit() and len(w) == 6)


def test_a_code_works_once_within_its_time_and_tries(session: Session, clock: FixedClock) -> None:
    phone, at = "13800000001", clock.now()
    codes.send_code(session, phone=phone, purpose="verify", notifier=NoticeQueue(), key=KEY, at=at)
    code = _sent(session, phone)
    wrong = "000000" if code != "000000" else "111111"
    assert not codes.use_code(session, phone=phone, purpose="reset", code=code, key=KEY, at=at)
    assert not codes.use_code(session, phone=phone, purpose="verify", code=wrong, key=KEY, at=at)
    assert codes.use_code(session, phone=phone, purpose="verify", code=code, key=KEY, at=at)
    assert not codes.use_code(session, phone=phone, purpose="verify", code=code, key=KEY, at=at)


def test_codes_expire_and_run_out_of_tries(session: Session, clock: FixedClock) -> None:
    phone, at = "13800000002", clock.now()
    codes.send_code(session, phone=phone, purpose="login", notifier=NoticeQueue(), key=KEY, at=at)
    code = _sent(session, phone)
    later = at + codes.CODE_TTL + timedelta(seconds=1)
    assert not codes.use_code(session, phone=phone, purpose="login", code=code, key=KEY, at=later)
    codes.send_code(session, phone=phone, purpose="login", notifier=NoticeQueue(), key=KEY, at=at)
    code = _sent(session, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(codes.MAX_ATTEMPTS):
        codes.use_code(session, phone=phone, purpose="login", code=wrong, key=KEY, at=at)
    assert not codes.use_code(session, phone=phone, purpose="login", code=code, key=KEY, at=at)


def test_tokens_are_stored_hashed_and_checked(session: Session, clock: FixedClock) -> None:
    user = create_user(
        session,
        actor=SYSTEM,
        phone="13800000003",
        password="pass-word-1",
        role="auditor",
        display_name="审计",
        passwords=PASSWORDS,
        at=clock.now(),
    )
    pair = tokens.issue_pair(session, user=user, at=clock.now())
    found, _ = tokens.authenticate(session, token=pair.access_token, kind="access", at=clock.now())
    assert found.id == user.id
    with pytest.raises(Unauthenticated):  # a refresh token is not an access token
        tokens.authenticate(session, token=pair.refresh_token, kind="access", at=clock.now())
    from sqlalchemy import select

    from timebank.auth.models import AuthToken

    stored = session.execute(select(AuthToken.token_hash)).scalars().all()
    assert pair.access_token not in stored and len(stored[0]) == 64


def test_passwords_are_argon2id_and_not_trivial() -> None:
    stored = PASSWORDS.hash("pass-word-1")
    assert stored.startswith("$argon2id$")
    assert PASSWORDS.verify(stored, "pass-word-1") and not PASSWORDS.verify(stored, "nope")
    assert not PASSWORDS.verify(None, "anything")
    for weak in ("short1", "12345678901", "onlyletters"):
        with pytest.raises(InvalidInput):
            check_strength(weak)


def test_a_proxy_acts_for_a_principal_only_while_granted(
    session: Session, clock: FixedClock
) -> None:
    from tests.integration.people.factories import make_city, register

    city = make_city(session, clock.now())
    elder = register(session, city, age=80)
    family = register(session, city, age=50)
    user = create_user(
        session,
        actor=SYSTEM,
        phone="13800000004",
        password="pass-word-1",
        role="proxy",
        display_name="家属",
        person_id=family.id,
        passwords=PASSWORDS,
        at=clock.now(),
    )
    principal = Principal.of(user, via="bearer")
    with pytest.raises(PermissionDenied):
        actor_for(session, principal, elder.id)
    grant = grant_proxy(
        session,
        actor=Actor(role=Role.ELDER, person_id=elder.id),
        principal_id=elder.id,
        proxy_phone=user.phone,
        at=clock.now(),
    )
    actor = actor_for(session, principal, elder.id)
    assert actor.role is Role.PROXY and actor.label == f"proxy:{family.id} for person:{elder.id}"
    revoke_proxy(session, actor=actor, grant_id=grant.id, at=clock.now())
    with pytest.raises(PermissionDenied):
        actor_for(session, principal, elder.id)
