"""Running a use case from a page: one transaction, the audit record the API writes too, and
the domain error turned into words beside the field it names.

The domain events a committed act recorded (``timebank.domain_events``) are kept on the request's
``Web`` and handed to the listeners the composition root registered (the supervision
write-time checks) after the response is sent (``WebRoute`` adds them as a background task),
so an alert never delays the person's page."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from timebank.actors import Actor
from timebank.audit.services import log_access, record_act
from timebank.db import run_in_transaction, transaction
from timebank.errors import TimebankError
from timebank.policy import Policy
from timebank.policy_store import load_policy
from timebank.web.context import Web
from timebank.web.i18n import error_words

T = TypeVar("T")
Errors = dict[str, tuple[str, bool]]


def act(
    web: Web,
    work: Callable[[Session, Actor], T],
    *,
    act_for: int | None = None,
    target: dict[str, Any] | None = None,
    moves_coins: bool = False,
) -> T:
    """Run ``work`` as the signed-in actor and commit, with the audit entry, as the API does."""

    def go(session: Session) -> T:
        actor = web.actor(session, act_for)
        result = work(session, actor)
        record_act(
            session,
            actor=actor,
            act=f"web:{web.op}" if web.op else "web",
            target={k: str(v) for k, v in (target or {}).items()},
            status=200,
            at=web.now,
            moves_coins=moves_coins,
            request_id=web.request.headers.get("x-request-id"),
        )
        return result

    return run_in_transaction(web.services.factory, go, events=web.events)


def after_response(web: Web) -> BackgroundTask | None:
    """This request's committed events, handed to the listeners once the page is sent
    (``Services.deliver`` never raises)."""
    if not web.events:
        return None
    return BackgroundTask(web.services.deliver, list(web.events), at=web.now)


def read(web: Web, work: Callable[[Session, Actor], T], *, act_for: int | None = None) -> T:
    """A read as the signed-in actor; it commits only the personal-data access log."""

    def go(session: Session) -> T:
        return work(session, web.actor(session, act_for))

    return run_in_transaction(web.services.factory, go)


def read_anonymous(web: Web, work: Callable[[Session], T]) -> T:
    with transaction(web.services.factory) as session:
        return work(session)


def logged(web: Web, session: Session, actor: Actor, person_id: int, scope: str) -> None:
    """Staff reading a person's data leave a line in the access log (as through the API)."""
    log_access(
        session,
        actor=actor,
        person_id=person_id,
        scope=scope,
        purpose="web",
        act=f"web:{web.op}",
        at=web.now,
    )


def policy(session: Session) -> Policy:
    return load_policy(session)


def errors_of(web: Web, exc: TimebankError, fields: tuple[str, ...]) -> Errors:
    """{field: (words, english?)}: beside the field when the form has it, else at the top."""
    words = error_words(exc, web._)
    key = exc.field if exc.field in fields else "_"
    return {key: words}


def nonce() -> str:
    """A fresh key in each coin-moving form: a double-tap or a retried POST moves coins once."""
    return secrets.token_urlsafe(12)


def ledger_key(web: Web, name: str, raw: str) -> str:
    token = "".join(c for c in raw if c.isalnum() or c in "-_")[:32]
    user = web.principal.user_id if web.principal else 0
    return f"web:{name}:{user}:{token or nonce()}"
