"""The request context every page gets: who is signed in (the browser session), the CSRF
tokens, language and text size, and the same role gate as the API's permission table.

Signed-in forms carry the session's CSRF token, checked against the hash stored with the
session (``tokens.check_csrf``), so a token planted in a cookie by someone else is useless.
Forms before sign-in (sign-in, registration) use a double-submit token in a SameSite=Strict
cookie. Every POST is checked centrally in ``WebRoute`` before the page's code runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.crypto import same
from timebank.auth.errors import Unauthenticated
from timebank.auth.models import AuthToken
from timebank.auth.permissions import PERMISSIONS, effective_role
from timebank.auth.principal import Principal
from timebank.auth.tokens import authenticate, check_csrf
from timebank.db import transaction
from timebank.domain_events import Event
from timebank.errors import PermissionDenied
from timebank.people.proxies import actor_for
from timebank.services import Services
from timebank.web.i18n import Translate, pick_lang, translator

SESSION_COOKIE = "tb_session"  # the API's browser-session cookie: one sign-in for both
CSRF_COOKIE = "tb_csrf"
PRE_COOKIE = "tb_pre"
ACT_FOR_COOKIE = "tb_actfor"
LANG_COOKIE = "lang"
SIZE_COOKIE = "size"


class SignInNeeded(Exception):
    """The page needs a signed-in user; the route sends them to the sign-in page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign in first")
        self.expired = expired


class GoTo(Exception):
    """Send the browser elsewhere (e.g. a station worker who has not chosen an elder yet)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@dataclass
class Web:
    request: Request
    services: Services
    now: datetime
    lang: str
    large: bool
    principal: Principal | None = None
    stored: AuthToken | None = None
    expired: bool = False
    pre_token: str = ""
    new_pre_token: bool = False
    cookies: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    op: str = ""
    events: list[Event] = field(default_factory=list)  # committed acts' events, for supervision
    acting_for: str = ""  # "X for Y": the principal's name while acting for someone

    @property
    def _(self) -> Translate:
        return translator(self.lang)

    @property
    def csrf_token(self) -> str:
        if self.principal is not None:
            return self.request.cookies.get(CSRF_COOKIE, "")
        return self.pre_token

    def csrf_ok(self, token: Any) -> bool:
        if not isinstance(token, str) or not token:
            return False
        if self.principal is not None and self.stored is not None:
            try:
                check_csrf(self.stored, token)
            except PermissionDenied:
                return False
            return True
        cookie = self.request.cookies.get(PRE_COOKIE, "")
        return bool(cookie) and same(cookie, token)

    @property
    def act_for(self) -> int | None:
        raw = self.request.cookies.get(ACT_FOR_COOKIE, "")
        return int(raw) if raw.isdigit() and len(raw) <= 15 else None

    def gate(self, op: str, *, act_for: int | None = None) -> Principal:
        """Signed in, and the permission table's roles for API operation ``op`` allow it."""
        self.op = op
        if self.principal is None:
            raise SignInNeeded(self.expired)
        rule = PERMISSIONS[op]
        if rule.public:
            return self.principal
        role = effective_role(
            self.principal.role, person_id=self.principal.person_id, act_for=act_for
        )
        if role not in rule.roles:
            raise PermissionDenied(f"a {role} may not {op.replace('_', ' ')}", rule="api_role")
        return self.principal

    def actor(self, session: Session, act_for: int | None = None) -> Actor:
        if self.principal is None:
            raise SignInNeeded(self.expired)
        return actor_for(session, self.principal, act_for)

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        self.cookies[name] = (value, max_age)


def services_of(request: Request) -> Services:
    return request.app.state.services


def load(request: Request) -> Web:
    """Read the browser session (if any) and the preferences; runs once per request."""
    services = services_of(request)
    web = Web(
        request=request,
        services=services,
        now=services.clock.now(),
        lang=pick_lang(request.cookies.get(LANG_COOKIE)),
        large=request.cookies.get(SIZE_COOKIE) == "large",
    )
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(services.factory) as session:
            try:
                user, stored = authenticate(session, token=token, kind="session", at=web.now)
            except Unauthenticated:
                web.expired = True
            else:
                web.principal, web.stored = Principal.of(user, via="session"), stored
    if web.principal is None:
        web.pre_token = request.cookies.get(PRE_COOKIE, "")
        if not web.pre_token:
            web.pre_token, web.new_pre_token = secrets.token_urlsafe(24), True
    return web


def web_of(request: Request) -> Web:
    return request.state.web


def is_staff(role: Role) -> bool:
    return role in (Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR)
