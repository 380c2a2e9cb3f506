"""The day-to-day journey over HTTP: publish → review → accept → check in/out → confirm →
balance → gift, each act by the role that does it in life."""

from __future__ import annotations

from datetime import timedelta

from tests.functional.api.conftest import ApiWorld
from timebank.care import codes
from timebank.config import Settings
from timebank.ledger.audit import verify_ledger


def _code(api: ApiWorld) -> str:
    with api.session() as s:
        code = codes.current_code(s, elder_id=api.ids["elder"], at=api.clock.now())
        s.commit()
    return code


def test_need_to_coins_to_gift(api: ApiWorld) -> None:
    elder, volunteer = api.ids["elder"], api.ids["volunteer"]
    start = api.clock.now() + timedelta(days=1)
    need = {
        "elder_id": elder,
        "item_id": api.item_id(),
        "description": "陪老人聊天",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=3)).isoformat(),
        "expected_minutes": 90,
    }
    r = api.call("POST", "/needs", "elder", json=need, key="need-1")
    assert r.status_code == 201, r.text
    need_id = r.json()[0]["id"]
    again = api.call("POST", "/needs", "elder", json=need, key="need-1")
    assert again.status_code == 201 and again.json() == r.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.call("POST", "/needs", "elder", json={**need, "expected_minutes": 60}, key="need-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"

    r = api.call("POST", f"/needs/{need_id}/review", "station", json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "open", r.text
    assert api.call("GET", f"/people/{elder}/balance", "elder").json()["held"] == 90

    nearby = api.call("GET", f"/people/{volunteer}/nearby-needs", "volunteer")
    assert nearby.status_code == 200 and need_id in [n["need_id"] for n in nearby.json()]
    r = api.call("POST", f"/needs/{need_id}/accept", "volunteer")
    assert r.status_code == 201, r.text
    visit = r.json()

    api.clock.set(api.clock.now().fromisoformat(visit["scheduled_start"]))
    api.renew()
    r = api.call(
        "POST",
        f"/visits/{visit['id']}/check-in",
        "volunteer",
        json={"code": _code(api), "lat": 39.9351, "lon": 116.4101},
    )
    assert r.status_code == 200 and r.json()["status"] == "checked_in", r.text
    api.clock.advance(minutes=75)
    api.renew()
    r = api.call("POST", f"/visits/{visit['id']}/check-out", "volunteer", json={"code": _code(api)})
    assert r.status_code == 200 and r.json()["duration_minutes"] == 75, r.text

    # The volunteer cannot confirm their own visit; the elder's proxy can ("X for Y").
    refused = api.call("POST", f"/visits/{visit['id']}/confirm", "volunteer", json={"rating": 5})
    assert refused.status_code == 403 and refused.json()["rule"] == "api_role"
    r = api.call(
        "POST",
        f"/visits/{visit['id']}/confirm",
        "proxy",
        json={"rating": 5},
        **{"X-Act-For": str(elder)},
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["confirmed_by"].startswith("proxy:")
        and f"for person:{elder}" in r.json()["confirmed_by"]
    )

    balance = api.call("GET", f"/people/{volunteer}/balance", "volunteer").json()
    assert balance["earned"] == 60 and balance["service_minutes"] == 60

    # Gift to a verified relative: declare, a station verifies, then give.
    family = api.ids["family"]
    r = api.call(
        "POST",
        f"/people/{volunteer}/kinships",
        "volunteer",
        json={"relative_id": family, "relation": "parent"},
    )
    assert r.status_code == 201, r.text
    r = api.call("POST", f"/kinships/{r.json()['id']}/verify", "station")
    assert r.status_code == 200, r.text
    no_key = api.call(
        "POST",
        f"/people/{volunteer}/gifts",
        "volunteer",
        json={"recipient_id": family, "amount": 30},
    )
    assert no_key.status_code == 422
    assert any(e["field"] == "header.Idempotency-Key" for e in no_key.json()["errors"])
    gift = api.call(
        "POST",
        f"/people/{volunteer}/gifts",
        "volunteer",
        json={"recipient_id": family, "amount": 30},
        key="gift-1",
    )
    assert gift.status_code == 201, gift.text
    retry = api.call(
        "POST",
        f"/people/{volunteer}/gifts",
        "volunteer",
        json={"recipient_id": family, "amount": 30},
        key="gift-1",
    )
    assert retry.json()["id"] == gift.json()["id"]
    assert api.call("GET", f"/people/{volunteer}/balance", "volunteer").json()["earned"] == 30

    statement = api.call("GET", f"/people/{volunteer}/statement?limit=1", "volunteer").json()
    assert len(statement["items"]) == 1 and statement["next_cursor"]
    rest = api.call(
        "GET", f"/people/{volunteer}/statement?cursor={statement['next_cursor']}", "volunteer"
    ).json()
    assert [line["kind"] for line in rest["items"]] == ["gift"]

    coins = api.call("GET", "/audit/entries?moves_coins=true", "auditor").json()["items"]
    assert {e["act"] for e in coins} >= {"confirm_visit", "gift", "review_need"}
    with api.session() as s:
        assert verify_ledger(s, settings=Settings(env="test")).ok
