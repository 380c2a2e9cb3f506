"""ASVS V3 (session management): session cookies are HttpOnly, SameSite and, served over
HTTPS, Secure; signing out ends the session on the server."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from tests.functional.api.conftest import PASSWORD, ApiWorld
from tests.functional.web.conftest import csrf_of


def _cookies(response: object) -> dict[str, dict[str, str | bool]]:
    out: dict[str, dict[str, str | bool]] = {}
    for raw in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        jar: SimpleCookie = SimpleCookie()
        jar.load(raw)
        for name, morsel in jar.items():
            attrs = {k: v for k, v in morsel.items() if v}
            out[name] = {**attrs, "raw": raw}
    return out


def _web_sign_in(client: TestClient, phone: str) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"phone": phone, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_web_session_cookie_flags(api: ApiWorld, scheme: str) -> None:
    client = TestClient(api.client.app, base_url=f"{scheme}://testserver")
    r = _web_sign_in(client, api.phones["volunteer"])  # type: ignore[attr-defined]
    assert r.status_code == 303  # type: ignore[attr-defined]
    session = _cookies(r)["tb_session"]
    raw = str(session["raw"]).lower()
    assert "httponly" in raw
    assert "samesite=lax" in raw or "samesite=strict" in raw
    assert ("secure" in raw.replace("samesite", "")) == (scheme == "https")


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_api_session_cookie_flags(api: ApiWorld, scheme: str) -> None:
    client = TestClient(api.client.app, base_url=f"{scheme}://testserver")
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    r = client.post("/api/v1/auth/session", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 200, r.text
    raw = str(_cookies(r)["tb_session"]["raw"]).lower()
    assert "httponly" in raw and ("samesite=lax" in raw or "samesite=strict" in raw)
    assert ("secure" in raw.replace("samesite", "")) == (scheme == "https")


def test_sign_out_ends_the_session_on_the_server(api: ApiWorld) -> None:
    client = TestClient(api.client.app)
    _web_sign_in(client, api.phones["elder"])  # type: ignore[attr-defined]
    token = client.cookies.get("tb_session")
    assert token
    page = client.get("/e")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    replay = TestClient(api.client.app, cookies={"tb_session": token})
    assert replay.get("/api/v1/me").status_code == 401
