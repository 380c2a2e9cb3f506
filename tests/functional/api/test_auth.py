"""Sign-in over HTTP: register and verify, tokens (rotation, reuse, revocation), lockout,
rate limits, password reset, browser sessions with CSRF."""

from __future__ import annotations

from datetime import timedelta

from tests.functional.api.conftest import PASSWORD, ApiWorld, next_phone
from tests.integration.people.factories import DONGCHENG, born, fresh_id_number
from timebank.clock import local_date


def _register(api: ApiWorld, phone: str, **kw: object) -> dict[str, object]:
    body = {
        "full_name": "张伟",
        "id_number": fresh_id_number(born(35, local_date(api.clock.now())), sex="M"),
        "phone": phone,
        "password": "tea-and-books-7",
        "role": "volunteer",
        "district_code": DONGCHENG,
        **kw,
    }
    r = api.call("POST", "/auth/register", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _sign_in(api: ApiWorld, phone: str, password: str = "tea-and-books-7") -> dict[str, str]:
    r = api.call("POST", "/auth/token", json={"phone": phone, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def test_register_verify_sign_in_and_see_myself(api: ApiWorld) -> None:
    phone = next_phone()
    reg = _register(api, phone)
    assert reg["status"] == "unverified"
    early = api.call("POST", "/auth/token", json={"phone": phone, "password": "tea-and-books-7"})
    assert early.status_code == 401 and early.json()["rule"] == "account_inactive"
    wrong = api.call("POST", "/auth/verify-phone", json={"phone": phone, "code": "000000"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    r = api.call("POST", "/auth/verify-phone", json={"phone": phone, "code": api.last_sms(phone)})
    assert r.status_code == 200 and r.json()["status"] == "active", r.text
    pair = _sign_in(api, phone)
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["person"]["id"] == reg["person_id"]
    assert "*" not in body["person"]["id_number"]  # the owner sees their own number
    consents = api.client.get(
        f"/api/v1/people/{reg['person_id']}/consents",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    ).json()
    assert [c["kind"] for c in consents] == ["personal_data"]


def test_refresh_rotates_and_reuse_revokes_the_family(api: ApiWorld) -> None:
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    pair = _sign_in(api, phone, PASSWORD)
    r = api.call("POST", "/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    newer = r.json()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert api.client.get("/api/v1/me", headers=auth).status_code == 401  # old access died
    reuse = api.call("POST", "/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["rule"] == "refresh_reuse"
    auth = {"Authorization": f"Bearer {newer['access_token']}"}
    assert api.client.get("/api/v1/me", headers=auth).status_code == 401  # family revoked


def test_access_tokens_expire_and_can_be_revoked(api: ApiWorld) -> None:
    pair = _sign_in(api, api.phones["elder"], PASSWORD)  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert api.client.get("/api/v1/me", headers=auth).status_code == 200
    api.call("POST", "/auth/revoke", json={"token": pair["refresh_token"]})
    assert api.client.get("/api/v1/me", headers=auth).status_code == 401
    pair = _sign_in(api, api.phones["elder"], PASSWORD)  # type: ignore[attr-defined]
    api.clock.advance(minutes=16)
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_five_wrong_passwords_lock_the_account(api: ApiWorld) -> None:
    phone = api.phones["station"]  # type: ignore[attr-defined]
    for _ in range(5):
        r = api.call("POST", "/auth/token", json={"phone": phone, "password": "wrong-pass-1"})
        assert r.status_code == 401
    locked = api.call("POST", "/auth/token", json={"phone": phone, "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["rule"] == "login_lockout"
    assert int(locked.headers["Retry-After"]) > 0
    api.clock.advance(minutes=16)
    assert api.call("POST", "/auth/token", json={"phone": phone, "password": PASSWORD}).is_success


def test_code_requests_are_rate_limited_per_phone(api: ApiWorld) -> None:
    phone = api.phones["elder"]  # type: ignore[attr-defined]
    statuses = [
        api.call("POST", "/auth/codes", json={"phone": phone, "purpose": "login"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [202] * 5 and statuses[5:] == [429, 429]
    unknown = api.call("POST", "/auth/codes", json={"phone": next_phone(), "purpose": "reset"})
    assert unknown.status_code == 202  # no account enumeration


def test_password_reset_by_code_signs_out_everywhere(api: ApiWorld) -> None:
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    old = _sign_in(api, phone, PASSWORD)
    api.call("POST", "/auth/codes", json={"phone": phone, "purpose": "reset"})
    r = api.call(
        "POST",
        "/auth/password-reset",
        json={"phone": phone, "code": api.last_sms(phone), "new_password": "new-pass-42"},
    )
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {old['access_token']}"}
    assert api.client.get("/api/v1/me", headers=auth).status_code == 401
    _sign_in(api, phone, "new-pass-42")
    weak = api.call(
        "POST",
        "/auth/password-reset",
        json={"phone": phone, "code": "123456", "new_password": "short"},
    )
    assert weak.status_code == 422


def test_sign_in_with_a_one_time_code(api: ApiWorld) -> None:
    phone = api.phones["elder"]  # type: ignore[attr-defined]
    api.call("POST", "/auth/codes", json={"phone": phone, "purpose": "login"})
    r = api.call(
        "POST",
        "/auth/token",
        json={"grant_type": "otp", "phone": phone, "code": api.last_sms(phone)},
    )
    assert r.status_code == 200, r.text


def test_browser_session_needs_csrf_on_writes(api: ApiWorld) -> None:
    phone = api.phones["volunteer"]  # type: ignore[attr-defined]
    r = api.call("POST", "/auth/session", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    csrf = r.json()["csrf_token"]
    assert api.client.get("/api/v1/me").status_code == 200  # the cookie alone reads
    volunteer = api.ids["volunteer"]
    body = {"fit": True}
    bad = api.client.post(f"/api/v1/people/{volunteer}/health", json=body)
    assert bad.status_code == 403 and bad.json()["rule"] == "csrf"
    ok = api.client.post(
        f"/api/v1/people/{volunteer}/health", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200, ok.text
    api.client.post("/api/v1/auth/session/end", headers={"X-CSRF-Token": csrf})
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me").status_code == 401


def test_staff_open_accounts_only_in_their_scope(api: ApiWorld) -> None:
    body = {
        "phone": next_phone(),
        "password": "station-pass-1",
        "role": "station",
        "display_name": "新站员",
        "org_id": api.ids["station"],
    }
    assert api.call("POST", "/users", "district", json=body).status_code == 201
    body = {**body, "phone": next_phone(), "org_id": api.ids["station_other"]}
    r = api.call("POST", "/users", "district", json=body)
    assert r.status_code == 403 and r.json()["rule"] == "district_scope"
    body = {**body, "role": "city_admin", "org_id": None}
    assert api.call("POST", "/users", "district", json=body).status_code == 403
    assert api.call("POST", "/users", "city", json=body).status_code == 201


def test_proxy_acts_only_with_a_live_grant(api: ApiWorld) -> None:
    elder = api.ids["elder"]
    r = api.call("GET", f"/people/{elder}/balance", "proxy", **{"X-Act-For": str(elder)})
    assert r.status_code == 200
    other = api.ids["elder_other"]
    r = api.call("GET", f"/people/{other}/balance", "proxy", **{"X-Act-For": str(other)})
    assert r.status_code == 403 and r.json()["rule"] == "proxy_grant"
    grants = api.call("GET", f"/people/{elder}/proxy-grants", "elder").json()
    r = api.call("POST", f"/proxy-grants/{grants[0]['id']}/revoke", "elder")
    assert r.status_code == 200
    r = api.call("GET", f"/people/{elder}/balance", "proxy", **{"X-Act-For": str(elder)})
    assert r.status_code == 403
    api.clock.advance(days=1)
    assert timedelta(days=1)
