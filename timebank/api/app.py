"""The JSON API under /api/v1: its routers, problem documents, OpenAPI and the permission
check. The composition root (``timebank.app``) installs it on the one ASGI application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import RouteContext, iter_route_contexts

from timebank import __version__
from timebank.api import openapi, problems
from timebank.api.routes import (
    accounts,
    admin,
    admission,
    auth,
    coins,
    needs,
    notices,
    people,
    relations,
    supervision,
    visits,
)
from timebank.auth.permissions import PERMISSIONS
from timebank.config import Settings

PREFIX = "/api/v1"
DESCRIPTION = """The Time Bank's JSON API. Amounts are integer minutes (60 = one time coin).

Sign in with `POST /api/v1/auth/token` and send `Authorization: Bearer <access_token>`;
browsers use `POST /api/v1/auth/session` (an HttpOnly cookie plus an `X-CSRF-Token` header).
Act for someone with `X-Act-For: <person id>` (a proxy holding a grant, or a station worker).
Every error is an RFC 9457 problem document. POSTs that move coins need an `Idempotency-Key`;
POSTs that create a record accept one. Lists are paginated with `?limit=&cursor=`.
Each operation's `x-permission` is its row of the permission table."""


OPENAPI = {
    "title": "Time Bank 养老服务时间银行",
    "version": __version__,
    "description": DESCRIPTION,
    "openapi_url": f"{PREFIX}/openapi.json",
    "docs_url": f"{PREFIX}/docs",
    "redoc_url": None,
}


def install_api(app: FastAPI, settings: Settings) -> None:
    """Mount every router under /api/v1 (the development outbox in dev only), map
    errors to problem documents, and refuse to start with an endpoint the permission table
    does not name. ``app`` was made with ``OPENAPI``."""
    problems.install(app)
    api = APIRouter(prefix=PREFIX)
    modules = [auth, accounts, people, relations, coins, admin, needs, visits, admission]
    modules += [supervision, notices]
    for module in modules:
        api.include_router(module.api)
    if settings.env == "dev":
        api.include_router(auth.dev)
    app.include_router(api)
    _check_permission_table(app)
    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]


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
