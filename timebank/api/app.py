"""The ASGI application: JSON API under /api/v1, pages at /, health at /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from sqlalchemy import text
from sqlalchemy.engine import Engine

from timebank import __version__
from timebank.api import openapi, problems
from timebank.api.middleware import LimitsAndHeaders
from timebank.auth.permissions import PERMISSIONS
from timebank.api.routes import (
    accounts,
    admin,
    admission,
    auth,
    coins,
    needs,
    people,
    relations,
    supervision,
    visits,
)
from timebank.services import Services
from timebank.auth.notify import Notifier, OutboxNotifier
from timebank.auth.passwords import Passwords, make_hasher
from timebank.clock import Clock, SystemClock
from timebank.config import Settings, get_settings
from timebank.db import make_engine, make_session_factory, transaction
from timebank.web.routes import mount_static, web_router

PREFIX = "/api/v1"
DESCRIPTION = """The Time Bank's JSON API. Amounts are integer minutes (60 = one time coin).

Sign in with `POST /api/v1/auth/token` and send `Authorization: Bearer <access_token>`;
browsers use `POST /api/v1/auth/session` (an HttpOnly cookie plus an `X-CSRF-Token` header).
Act for someone with `X-Act-For: <person id>` (a proxy holding a grant, or a station worker).
Every error is an RFC 9457 problem document. POSTs that move coins need an `Idempotency-Key`;
POSTs that create a record accept one. Lists are paginated with `?limit=&cursor=`.
Each operation's `x-permission` is its row of the permission table."""


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    passwords: Passwords | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(
        settings.database_url,
        **(
            {}
            if settings.is_sqlite
            else {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
        ),
    )
    factory = make_session_factory(engine)
    services = Services(
        settings=settings,
        factory=factory,
        clock=clock or SystemClock(),
        passwords=passwords or Passwords(make_hasher(fast=settings.env == "test")),
        notifier=notifier or OutboxNotifier(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run on AnyIO's thread pool; size it to the connection pool.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Time Bank 养老服务时间银行",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings, app.state.session_factory = settings, factory
    app.state.services = services
    problems.install(app)
    api = APIRouter(prefix=PREFIX)
    modules = [auth, accounts, people, relations, coins, admin, needs, visits, admission]
    modules.append(supervision)
    for module in modules:
        api.include_router(module.api)
    if settings.env != "prod":
        api.include_router(auth.dev)
    app.include_router(api)
    _check_permission_table(app)
    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]
    app.add_middleware(LimitsAndHeaders, slots=settings.worker_threads)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        with transaction(factory) as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.include_router(web_router)
    mount_static(app)

    return app


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every endpoint under /api/v1 (with its full path), in declaration order."""
    return [
        r
        for r in iter_route_contexts(app.routes)
        if (r.path or "").startswith(PREFIX) and r.name not in ("openapi", "swagger_ui_html")
    ]


def _check_permission_table(app: FastAPI) -> None:
    """Every endpoint has a row in the permission table: an endpoint without one never starts.
    (That every row has an endpoint is checked by the tests: ``rules_without_endpoint``.)"""
    ops = {str(r.name) for r in api_routes(app)}
    missing = ops - PERMISSIONS.keys()
    if missing:
        raise RuntimeError(f"endpoints without a permission rule: {sorted(missing)}")


def rules_without_endpoint(app: FastAPI) -> list[str]:
    """Rows of the permission table no endpoint uses (``dev_outbox`` exists in dev only)."""
    ops = {str(r.name) for r in api_routes(app)}
    return sorted(PERMISSIONS.keys() - ops - {"dev_outbox"})
