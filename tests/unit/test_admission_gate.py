"""The middleware's admission gate: at most ``slots`` requests inside the application."""

from __future__ import annotations

import asyncio

import httpx

from timebank.api.middleware import LimitsAndHeaders


def test_no_more_than_slots_requests_run_at_once() -> None:
    inside = 0
    most = 0

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gated = LimitsAndHeaders(app, slots=3)

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=gated)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            replies = await asyncio.gather(*(client.get(f"/x/{i}") for i in range(30)))
        return [r.status_code for r in replies]

    assert asyncio.run(main()) == [200] * 30
    assert most == 3  # the gate filled up, and never overflowed
