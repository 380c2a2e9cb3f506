"""ASVS V4 (access control): the development outbox answers only a client on this machine
and only in dev; one person holds at most one account per role, whoever opens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.functional.api.conftest import PASSWORD, ApiWorld, next_phone
from timebank.app import create_app
from timebank.config import Settings


def _app(api: ApiWorld, env: str) -> object:
    url = api.engine.url.render_as_string(hide_password=False)
    return create_app(Settings(env=env, database_url=url), engine=api.engine, clock=api.clock)


@pytest.fixture
def dev_app(api: ApiWorld) -> Iterator[object]:
    yield _app(api, "dev")


def _outbox(app: object, host: str) -> int:
    with TestClient(app, client=(host, 50000)) as client:  # type: ignore[arg-type]
        return int(client.get("/api/v1/dev/outbox").status_code)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_dev_outbox_answers_a_loopback_client_in_dev(dev_app: object, host: str) -> None:
    assert _outbox(dev_app, host) == 200


@pytest.mark.parametrize("host", ["10.0.0.7", "192.168.1.20", "203.0.113.5", "testclient"])
def test_dev_outbox_refuses_a_remote_client_in_dev(dev_app: object, host: str) -> None:
    assert _outbox(dev_app, host) == 404


def test_dev_outbox_ignores_a_forged_forwarded_for(dev_app: object) -> None:
    with TestClient(dev_app, client=("203.0.113.5", 1)) as client:  # type: ignore[arg-type]
        r = client.get("/api/v1/dev/outbox", headers={"X-Forwarded-For": "127.0.0.1"})
    assert r.status_code == 404


@pytest.mark.parametrize("env", ["test"])
def test_dev_outbox_is_absent_outside_dev(api: ApiWorld, env: str) -> None:
    assert _outbox(_app(api, env), "127.0.0.1") == 404


# One account per person and role ----------------------------------------------------------


def _new_account(api: ApiWorld, who: str, person: str, role: str) -> object:
    body = {
        "phone": next_phone(),
        "password": PASSWORD,
        "role": role,
        "display_name": "second",
        "person_id": api.ids[person],
    }
    return api.call("POST", "/users", who, json=body, key=True)


@pytest.mark.parametrize(
    ("who", "person", "role"),
    [
        ("station", "elder", "elder"),
        ("station", "volunteer", "volunteer"),
        ("district", "elder", "elder"),
        ("city", "volunteer", "volunteer"),
        ("station", "family", "proxy"),
    ],
)
def test_a_second_account_in_one_role_is_refused_naming_the_first(
    api: ApiWorld, who: str, person: str, role: str
) -> None:
    r = _new_account(api, who, person, role)
    assert r.status_code == 409, r.text  # type: ignore[attr-defined]
    problem = r.json()  # type: ignore[attr-defined]
    assert problem["rule"] == "one_account_per_role"
    existing = {"elder": "elder", "volunteer": "volunteer", "family": "proxy"}[person]
    assert f"user {api.ids['user:' + existing]}" in problem["title"]
    phone = api.phones[existing]  # type: ignore[attr-defined]
    assert phone not in r.text  # type: ignore[attr-defined]  # named, masked


def test_out_of_scope_staff_learn_nothing_about_the_existing_account(api: ApiWorld) -> None:
    r = _new_account(api, "station_other", "elder", "elder")
    assert r.status_code == 403  # type: ignore[attr-defined]
    assert f"user {api.ids['user:elder']}" not in r.text  # type: ignore[attr-defined]


def test_a_person_may_hold_accounts_in_different_roles(api: ApiWorld) -> None:
    r = _new_account(api, "station", "volunteer", "proxy")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]


def test_self_registration_with_a_registered_resident_id_is_refused(api: ApiWorld) -> None:
    """Same resident ID = same person (found by its keyed hash): no second person, so no
    second account, through the API or the web form."""
    from tests.functional.web.conftest import csrf_of
    from timebank.people.crypto import default_vault
    from timebank.people.models import Person

    with api.session() as s:
        person = s.get(Person, api.ids["elder"])
        assert person is not None
        number = default_vault().decrypt(person.id_cipher)
    body = {
        "full_name": "李奶奶",
        "id_number": number,
        "phone": next_phone(),
        "password": "tea-and-books-7",
        "role": "elder",
        "district_code": person.district_code,
    }
    r = api.call("POST", "/auth/register", json=body, key=True)
    assert r.status_code == 409 and r.json()["rule"] == "unique_id_number", r.text
    assert number not in r.text
    form = {**body, "csrf_token": csrf_of(api.client.get("/register").text)}
    page = api.client.post("/register", data=form)
    assert page.status_code == 409 and number not in page.text
