"""ASGI middleware: a request body size limit, request ids, security headers, and admission
control.

The size limit buffers at most ``max_bytes`` + 1 of a body before the application sees it, so
an oversized upload is refused with 413 without ever being held in full.

Admission control: at most ``slots`` requests of a process are inside the application at once
(the size of its thread pool and connection pool); the others wait here, in the event loop,
where waiting costs nothing. A request inside keeps one database session from its
authentication to its commit, so without this gate requests waiting for a thread would hold
connections and exhaust the pool; with it, connections in use never exceed the slots.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 2 * 1024 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
# Every response, pages and static files included, not only /api/: no inline script, no
# framing. The pages set their own (same) policy; a header already present is kept.
PAGE_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"


def security_headers(path: str, present: set[bytes]) -> list[tuple[bytes, bytes]]:
    api = path.startswith("/api/")
    wanted = [*SECURITY_HEADERS, (b"content-security-policy", API_CSP if api else PAGE_CSP)]
    if not api and path.startswith("/static/"):
        wanted = [h for h in wanted if h[0] != b"cache-control"]  # static files may be cached
    return [(k, v) for k, v in wanted if k not in present]


class LimitsAndHeaders:
    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES, slots: int = 10) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.slots = slots
        self._gate: asyncio.Semaphore | None = None  # made in the serving event loop

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.slots)
        async with self._gate:
            await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._http(scope, receive, send)
        finally:
            await after_request(scope)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k != b"x-request-id"] + [
            (b"x-request-id", request_id.encode())
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-request-id", request_id.encode())]
                extra += security_headers(scope["path"], present)
                message["headers"] = headers + extra
            await send(message)

        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, send_with_headers)
            return
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            body, more, too_big = b"", True, False
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_bytes:
                    too_big = True
                    break
            if too_big:
                await self._too_large(scope, send_with_headers)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self._admitted(scope, replay, send_with_headers)
            return
        await self._admitted(scope, receive, send_with_headers)

    async def _too_large(self, scope: Scope, send: Any) -> None:
        body = json.dumps(
            {
                "type": "https://timebank.example/problems/payload_too_large",
                "title": f"the request body is larger than {self.max_bytes} bytes",
                "status": 413,
                "code": "payload_too_large",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def after_request(scope: Scope) -> None:
    """Once the response has gone: release the request's authentication session if no use
    case took it, and hand what the request committed (visits, gifts, donations) to the
    listeners the composition root registered, off the event loop (they never raise)."""
    ctx = scope.get("state", {}).get("ctx")
    if ctx is None:
        return
    if ctx.holds_session:
        await run_in_threadpool(ctx.close)
    if ctx.events:
        events, ctx.events = list(ctx.events), []
        await run_in_threadpool(lambda: ctx.services.deliver(events, at=ctx.now))
