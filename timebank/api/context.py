"""The request context every endpoint gets: who is signed in, the gate from the permission
table, and ``run`` — one transaction per use case, with idempotency and the audit record.

An endpoint stays thin: ``return ctx.run(lambda s, actor: Out.of(use_case(s, actor=actor,
...)))``. ``run`` builds the ``Actor`` (honouring ``X-Act-For``), calls the function, writes
the audit entry and the idempotency record in the same transaction, commits, and renders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.models import IdempotencyRecord
from timebank.audit.services import log_access, record_act
from timebank.auth.errors import Unauthenticated
from timebank.auth.permissions import PERMISSIONS, Rule, effective_role
from timebank.auth.principal import Principal
from timebank.auth.tokens import authenticate, check_csrf
from timebank.db import run_in_transaction
from timebank.domain_events import Event
from timebank.errors import IdempotencyConflict, InvalidInput, PermissionDenied
from timebank.people.proxies import actor_for
from timebank.services import Services

SESSION_COOKIE = "tb_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Work = Callable[[Session, Actor], Any]
T = TypeVar("T")


class Ctx:
    def __init__(
        self,
        request: Request,
        services: Services,
        rule: Rule,
        principal: Principal | None,
        session: Session | None = None,
    ) -> None:
        self.request = request
        self.services = services
        self.rule = rule
        self.principal = principal
        # The session the request authenticated in: the use case's first attempt runs in it.
        self._session = session
        self.events: list[Event] = []
        route = request.scope.get("route")
        self.op: str = getattr(route, "name", None) or "unknown"
        self.now: datetime = services.clock.now()
        raw = request.headers.get("x-act-for")
        self.act_for = _act_for(raw)
        # Header values are Latin-1: a purpose in Chinese arrives percent-encoded (UTF-8).
        self.purpose = unquote(request.headers.get("x-purpose") or "").strip()[:200]

    @property
    def user_id(self) -> int:
        return self.principal.user_id if self.principal else 0

    def actor(self, session: Session) -> Actor:
        if self.principal is None:
            raise Unauthenticated("sign in first", rule="signed_in")
        return actor_for(session, self.principal, self.act_for)

    def ledger_key(self, name: str) -> str:
        """The ledger's idempotency key, derived from the request's Idempotency-Key, so a
        retried request can never move coins twice."""
        key = getattr(self.request.state, "idempotency_key", None)
        if not key:
            raise InvalidInput(
                "this request needs an Idempotency-Key header", field="Idempotency-Key"
            )
        digest = hashlib.sha256(f"{self.user_id}:{key}".encode()).hexdigest()[:40]
        return f"api:{name}:{digest}"

    def log_access(self, session: Session, actor: Actor, person_id: int | None, scope: str) -> None:
        log_access(
            session,
            actor=actor,
            person_id=person_id,
            scope=scope,
            purpose=self.purpose,
            act=self.op,
            at=self.now,
        )

    def read(self, work: Work, *, anonymous: bool = False) -> Any:
        """A read; it commits only what it logged (personal-data access)."""

        def go(session: Session) -> Any:
            actor = None if anonymous else self.actor(session)
            return jsonable_encoder(work(session, actor))  # type: ignore[arg-type]

        return self.transact(go)

    def transact(self, go: Callable[[Session], T]) -> T:
        """``go(session)`` in the request's transaction (the one it authenticated in), with
        retries; the domain events it records are delivered after the response."""
        first, self._session = self._session, None
        return run_in_transaction(self.services.factory, go, events=self.events, first=first)

    @property
    def holds_session(self) -> bool:
        return self._session is not None

    def close(self) -> None:
        """Release the authentication session if no use case took it (e.g. a 422)."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def run(
        self,
        work: Work,
        *,
        body: Any = None,
        status: int = 200,
        moves_coins: bool = False,
        anonymous: bool = False,
    ) -> JSONResponse:
        """A write: the use case, its audit entry and its idempotency record, one transaction."""
        key: str | None = getattr(self.request.state, "idempotency_key", None)
        fingerprint = _fingerprint(self.request, body)

        def go(session: Session) -> tuple[int, Any, bool]:
            record = None
            if key:
                found = session.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.key == key
                    )
                ).scalar_one_or_none()
                if found is not None:
                    if found.request_hash != fingerprint:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was used for a different request",
                            field="Idempotency-Key",
                            rule="idempotency_key",
                        )
                    return found.status, found.response, True
                record = IdempotencyRecord(
                    user_id=self.user_id,
                    key=key,
                    method_path=f"{self.request.method} {self.request.url.path}"[:240],
                    request_hash=fingerprint,
                    status=0,
                    response=None,
                    created_at=self.now,
                )
                session.add(record)
                session.flush()  # a concurrent twin waits here, then fails and replays
            actor = None if anonymous else self.actor(session)
            content = jsonable_encoder(work(session, actor))  # type: ignore[arg-type]
            if actor is not None:
                record_act(
                    session,
                    actor=actor,
                    act=self.op,
                    target={k: str(v) for k, v in self.request.path_params.items()},
                    status=status,
                    at=self.now,
                    moves_coins=moves_coins,
                    request_id=self.request.headers.get("x-request-id"),
                )
            if record is not None:
                record.status, record.response = status, content
            session.flush()
            return status, content, False

        code, content, replayed = self.transact(go)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(content, status_code=code, headers=headers)


def _act_for(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 15:
        raise InvalidInput("X-Act-For is a person id", field="X-Act-For")
    return int(raw)


def _fingerprint(request: Request, body: Any) -> str:
    payload = json.dumps(
        [request.method, request.url.path, str(request.query_params), jsonable_encoder(body)],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def services_of(request: Request) -> Services:
    return request.app.state.services


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use 'Authorization: Bearer <access token>'", rule="bearer")
    return token.strip()


def _principal(request: Request, session: Session, now: datetime) -> Principal | None:
    token = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE) if token is None else None
    if token is None and not cookie:
        return None
    if token is not None:
        user, _ = authenticate(session, token=token, kind="access", at=now)
        return Principal.of(user, via="bearer")
    user, stored = authenticate(session, token=cookie or "", kind="session", at=now)
    if request.method not in SAFE_METHODS:
        check_csrf(stored, request.headers.get("x-csrf-token"))
    return Principal.of(user, via="session")


def get_ctx(request: Request) -> Ctx:
    """Authenticate, then apply the permission table's role gate for this endpoint.

    The token is checked in a session that stays open for the use case (one transaction per
    request); ``close_request_sessions`` in the middleware releases it if no use case ran."""
    services = services_of(request)
    route = request.scope.get("route")
    rule = PERMISSIONS[getattr(route, "name", "")]
    session: Session | None = None
    if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
        session = services.factory()
    try:
        principal = None if session is None else _principal(request, session, services.clock.now())
        if session is not None and rule.public:
            # Public endpoints (sign-in, registration…) run their own short transactions
            # (throttles, then the act): keeping this one open would hold SQLite's write lock.
            session.close()
            session = None
        ctx = Ctx(request, services, rule, principal, session)  # may refuse X-Act-For
    except BaseException:
        if session is not None:
            session.close()
        raise
    request.state.ctx = ctx
    if rule.public:
        return ctx
    if principal is None:
        raise Unauthenticated("sign in first", rule="signed_in")
    role = effective_role(principal.role, person_id=principal.person_id, act_for=ctx.act_for)
    if role not in rule.roles:
        raise PermissionDenied(f"a {role} may not {ctx.op.replace('_', ' ')}", rule="api_role")
    return ctx


def _idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry safely: the same key and body return the stored response.",
        ),
    ] = None,
) -> str | None:
    request.state.idempotency_key = key
    return key


def _required_idempotency_key(
    request: Request,
    key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            pattern=r"^[\x21-\x7e]+$",
            description="Required: this request moves coins. Reuse the key to retry safely.",
        ),
    ],
) -> str:
    request.state.idempotency_key = key
    return key


def _act_for_header(
    act_for: Annotated[
        str | None,
        Header(
            alias="X-Act-For",
            pattern=r"^[0-9]{1,15}$",
            description="Act for this person (a proxy with a grant, or a station worker).",
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        Header(
            alias="X-Purpose",
            max_length=200,
            description="Why staff read personal data (percent-encoded UTF-8); kept in the log.",
        ),
    ] = None,
) -> None:
    return None


CtxDep = Annotated[Ctx, Depends(get_ctx)]
Idem = Depends(_idempotency_key)
IdemRequired = Depends(_required_idempotency_key)
ActingHeaders = Depends(_act_for_header)
