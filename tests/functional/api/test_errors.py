"""One error body everywhere, and bad input of every kind answered with a clear 4xx."""

from __future__ import annotations

import pytest

from tests.functional.api.conftest import ApiWorld

PROBLEM = "application/problem+json"


def _problem(r: object, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body  # type: ignore[no-any-return]


def test_malformed_json_wrong_types_and_huge_numbers(api: ApiWorld) -> None:
    v = api.ids["volunteer"]
    headers = {
        **api.headers("volunteer"),
        "Content-Type": "application/json",
        "Idempotency-Key": "k1",
    }
    r = api.client.post(f"/api/v1/people/{v}/donations", content=b"{not json", headers=headers)
    body = _problem(r, 422)
    assert body["errors"][0]["type"] == "json_invalid"
    r = api.call("POST", f"/people/{v}/donations", "volunteer", json={"amount": "lots"}, key=True)
    assert _problem(r, 422)["field"] == "body.amount"
    r = api.call("POST", f"/people/{v}/donations", "volunteer", json={"amount": 10**30}, key=True)
    assert _problem(r, 422)["field"] == "body.amount"
    r = api.call(
        "POST", f"/people/{v}/donations", "volunteer", json={"amount": 30, "x": 1}, key=True
    )
    assert _problem(r, 422)["field"] == "body.x"
    r = api.call("GET", f"/people/{10**40}/balance", "volunteer")
    assert _problem(r, 422)["field"] == "path.person_id"
    r = api.call("POST", "/auth/register", json={"full_name": "a\x00b"})
    assert any("NUL" in e["message"] for e in _problem(r, 422)["errors"])  # type: ignore[union-attr]


def test_unknown_ids_paths_and_methods(api: ApiWorld) -> None:
    assert _problem(api.call("GET", "/needs/999999", "station"), 404)["code"] == "not_found"
    assert _problem(api.call("GET", "/no/such/thing", "station"), 404)["code"] == "not_found"
    assert _problem(api.call("DELETE", "/needs/1", "station"), 405)["code"] == (
        "method_not_allowed"
    )
    r = api.call("POST", "/visits/999999/confirm", "elder", json={"rating": 5})
    assert _problem(r, 404)["field"] == "visit_id"


def test_sign_in_is_required_and_roles_are_checked(api: ApiWorld) -> None:
    assert _problem(api.call("GET", "/me"), 401)["code"] == "unauthenticated"
    r = api.client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert _problem(r, 401)["rule"] == "token_invalid"
    r = api.call("POST", "/ledger/seals", "auditor")
    assert _problem(r, 403)["rule"] == "api_role"


def test_request_size_is_limited(api: ApiWorld) -> None:
    big = b"[" + b"1," * 1_100_000 + b"1]"
    r = api.client.post(
        "/api/v1/paper-records",
        content=big,
        headers={**api.headers("station"), "Content-Type": "application/json"},
    )
    assert _problem(r, 413)["code"] == "payload_too_large"


def test_domain_refusals_name_their_rule(api: ApiWorld) -> None:
    v = api.ids["volunteer"]
    r = api.call("POST", f"/people/{v}/donations", "volunteer", json={"amount": 60_000}, key=True)
    body = _problem(r, 409)
    assert body["code"] == "insufficient_balance"


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_pagination_bounds(api: ApiWorld, limit: int) -> None:
    r = api.call("GET", f"/needs?limit={limit}", "station")
    assert _problem(r, 422)["field"] == "query.limit"


def test_bad_cursor(api: ApiWorld) -> None:
    r = api.call("GET", "/needs?cursor=bm9wZQ", "station")
    assert _problem(r, 422)["field"] == "cursor"
