"""ASVS V2 (authentication): the per-phone limits count one account however its phone is
spelt, and sign-in, code requests and password reset answer the same, in the same time, for
a registered and an unknown phone (no account enumeration, V2.2.1 / V2.5.x)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.functional.api.conftest import PASSWORD, ApiWorld, next_phone
from tests.functional.web.conftest import csrf_of
from timebank.app import create_app
from timebank.auth.models import User
from timebank.auth.passwords import Passwords, make_hasher
from timebank.auth.phones import normalise_phone
from timebank.auth.throttle import LOGIN_PER_PHONE
from timebank.config import Settings
from timebank.errors import InvalidInput


def spellings(phone: str) -> list[str]:
    """Eight ways to type one mainland mobile number."""
    wide = phone.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    return [
        phone,
        f"+86{phone}",
        f"0086{phone}",
        f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        wide,
        f"+86 {wide}",
        f"(+86) {phone[:3]}-{phone[3:]}",
    ]


@pytest.mark.parametrize("typed", spellings("13812345678"))
def test_every_spelling_normalises_to_one_phone(typed: str) -> None:
    assert normalise_phone(typed) == "13812345678"


def test_full_width_digits_are_read_as_digits_but_other_scripts_are_not() -> None:
    assert normalise_phone("１３８１２３４５６７８") == "13812345678"
    with pytest.raises(InvalidInput):
        normalise_phone("١٣٨١٢٣٤٥٦٧٨")  # Arabic-Indic digits are not a Chinese phone


def _otp(api: ApiWorld, phone: str, code: str = "000000") -> int:
    body = {"grant_type": "otp", "phone": phone, "code": code}
    return int(api.call("POST", "/auth/token", json=body).status_code)


def test_code_guesses_over_many_spellings_meet_one_limit(api: ApiWorld) -> None:
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    forms = spellings(phone)
    answers = [_otp(api, forms[i % len(forms)]) for i in range(30)]
    assert answers[: LOGIN_PER_PHONE.hits] == [401] * LOGIN_PER_PHONE.hits
    assert set(answers[LOGIN_PER_PHONE.hits :]) == {429}


def test_password_guesses_over_many_spellings_meet_one_limit(api: ApiWorld) -> None:
    phone = next_phone()  # no account: no lockout, only the per-phone limit stops guessing
    forms = spellings(phone)
    answers = [
        api.call(
            "POST", "/auth/session", json={"phone": forms[i % len(forms)], "password": "nope-123"}
        ).status_code
        for i in range(LOGIN_PER_PHONE.hits + 3)
    ]
    assert 429 in answers[LOGIN_PER_PHONE.hits :]


def _web_login(api: ApiWorld, phone: str, password: str) -> Any:
    token = csrf_of(api.client.get("/login").text)
    return api.client.post(
        "/login", data={"phone": phone, "password": password, "csrf_token": token}
    )


def test_web_sign_in_guesses_over_many_spellings_meet_one_limit(api: ApiWorld) -> None:
    phone = next_phone()  # no account: no lockout, only the per-phone limit stops guessing
    forms = spellings(phone)
    answers = [
        _web_login(api, forms[i % len(forms)], "nope-1234").status_code
        for i in range(LOGIN_PER_PHONE.hits + 3)
    ]
    assert 429 in answers[LOGIN_PER_PHONE.hits :]


def test_reset_guesses_over_many_spellings_meet_one_limit(api: ApiWorld) -> None:
    phone = api.phones["elder"]  # type: ignore[attr-defined]
    forms = spellings(phone)
    answers = [
        api.call(
            "POST",
            "/auth/password-reset",
            json={"phone": forms[i % len(forms)], "code": "000000", "new_password": "new-pass-77"},
        ).status_code
        for i in range(15)
    ]
    assert 429 in answers


def test_code_requests_over_many_spellings_meet_one_limit(api: ApiWorld) -> None:
    phone = api.phones["proxy"]  # type: ignore[attr-defined]
    forms = spellings(phone)
    answers = [
        api.call(
            "POST", "/auth/codes", json={"phone": forms[i % len(forms)], "purpose": "login"}
        ).status_code
        for i in range(8)
    ]
    assert 429 in answers


# Enumeration: same answer ------------------------------------------------------------------


def _answer(r: object) -> tuple[int, object]:
    body = r.json()  # type: ignore[attr-defined]
    body.pop("instance", None)
    body.pop("request_id", None)
    return r.status_code, body  # type: ignore[attr-defined]


def test_wrong_password_answers_the_same_for_known_and_unknown_phones(api: ApiWorld) -> None:
    known = api.phones["volunteer"]  # type: ignore[attr-defined]
    for path in ("/auth/token", "/auth/session"):
        a = api.call("POST", path, json={"phone": known, "password": "wrong-pass-1"})
        b = api.call("POST", path, json={"phone": next_phone(), "password": "wrong-pass-1"})
        assert _answer(a) == _answer(b)


def test_wrong_code_answers_the_same_for_known_and_unknown_phones(api: ApiWorld) -> None:
    known = api.phones["volunteer"]  # type: ignore[attr-defined]
    api.call("POST", "/auth/codes", json={"phone": known, "purpose": "login"})
    body = {"grant_type": "otp", "code": "000000"}
    a = api.call("POST", "/auth/token", json={**body, "phone": known})
    b = api.call("POST", "/auth/token", json={**body, "phone": next_phone()})
    assert _answer(a) == _answer(b)


def test_code_requests_answer_the_same_for_known_and_unknown_phones(api: ApiWorld) -> None:
    known = api.phones["elder"]  # type: ignore[attr-defined]
    for purpose in ("login", "reset", "verify"):
        a = api.call("POST", "/auth/codes", json={"phone": known, "purpose": purpose})
        b = api.call("POST", "/auth/codes", json={"phone": next_phone(), "purpose": purpose})
        assert _answer(a) == _answer(b)


def test_password_reset_answers_the_same_for_known_and_unknown_phones(api: ApiWorld) -> None:
    known = api.phones["elder"]  # type: ignore[attr-defined]
    body = {"code": "000000", "new_password": "new-pass-77"}
    a = api.call("POST", "/auth/password-reset", json={**body, "phone": known})
    b = api.call("POST", "/auth/password-reset", json={**body, "phone": next_phone()})
    assert _answer(a) == _answer(b)


def test_web_sign_in_answers_the_same_for_known_and_unknown_phones(api: ApiWorld) -> None:
    known, unknown = api.phones["volunteer"], next_phone()  # type: ignore[attr-defined]
    a = _web_login(api, known, "wrong-pass-1")
    b = _web_login(api, unknown, "wrong-pass-1")
    assert a.status_code == b.status_code == 401
    assert a.text.replace(known, "PHONE") == b.text.replace(unknown, "PHONE")


# Enumeration: same time (a ratio of medians within one run, never an absolute time) ---------


KNOWN = ("station", "district", "elder", "volunteer", "proxy", "city", "auditor")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_wrong_password_takes_as_long_for_an_unknown_phone(api: ApiWorld) -> None:
    """The world's hashes are the fast test ones; here the accounts get real-cost hashes and
    the app a real-cost hasher, as in production. One call per phone: no lockout interferes."""
    real = Passwords(make_hasher())
    with api.session() as s:
        for key in KNOWN:
            s.execute(
                update(User)
                .where(User.id == api.ids[f"user:{key}"])
                .values(password_hash=real.hash(PASSWORD))
            )
        s.commit()
    settings = Settings(env="test", database_url=api.engine.url.render_as_string(False))
    app = create_app(settings, engine=api.engine, clock=api.clock, passwords=real)
    client = TestClient(app)

    def timed(phone: str) -> float:
        start = time.perf_counter()
        r = client.post("/api/v1/auth/session", json={"phone": phone, "password": "wrong-pass-1"})
        assert r.status_code == 401, r.text
        return time.perf_counter() - start

    timed(next_phone())  # warm up
    known = [timed(api.phones[k]) for k in KNOWN]  # type: ignore[attr-defined]
    unknown = [timed(next_phone()) for _ in KNOWN]
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (ratio, known, unknown)


def test_the_right_password_still_signs_in(api: ApiWorld) -> None:
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    r = api.call("POST", "/auth/token", json={"phone": f"+86 {phone}", "password": PASSWORD})
    assert r.status_code == 200, r.text
