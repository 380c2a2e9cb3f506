"""Pages over HTTP with the TestClient, on the API's test world (two districts, every role)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.functional.api.conftest import PASSWORD, ApiWorld, _api_tmp, api  # noqa: F401 - fixtures

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """A TestClient with its own cookies, signed in as one role of the world."""

    def __init__(self, world: ApiWorld) -> None:
        self.world = world
        self.client = TestClient(world.client.app, raise_server_exceptions=False)

    def sign_in(self, who: str) -> Browser:
        page = self.client.get("/login")
        phone = world_phones(self.world)[who]
        r = self.client.post(
            "/login",
            data={"phone": phone, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return self

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, follow_redirects=False, **kw)

    def post(self, path: str, data: dict[str, Any], *, csrf_from: str | None = None) -> Any:
        if csrf_from is not None:
            data = {**data, "csrf_token": csrf_of(self.client.get(csrf_from).text)}
        return self.client.post(path, data=data, follow_redirects=False)


def world_phones(world: ApiWorld) -> dict[str, str]:
    return world.phones  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def web(api: ApiWorld) -> Any:  # noqa: F811 - the api fixture, re-exported above
    return lambda: Browser(api)
