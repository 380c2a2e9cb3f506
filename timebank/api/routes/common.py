"""Helpers every route module shares: the router factory and small renderers."""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from timebank.api.context import ActingHeaders, Ctx
from timebank.policy import Policy
from timebank.policy_store import load_policy


def _op_id(route: APIRoute) -> str:
    return route.name


def router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], generate_unique_id_function=_op_id, dependencies=[ActingHeaders])


def policy(session: Session) -> Policy:
    return load_policy(session)


def client_ip(ctx: Ctx) -> str:
    client = ctx.request.client
    return client.host if client else "unknown"


def is_loopback(host: str) -> bool:
    """A client on this machine (the TCP peer, never a forwarded-for header)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def created(**ids: Any) -> dict[str, Any]:
    return ids
