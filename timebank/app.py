"""The composition root: the one place that knows every part. It builds the services, installs
the JSON API and the web pages on one ASGI application, and registers what acts on committed
domain events (today the supervision write-time checks). Nothing imports this module but the
entry points: ``uvicorn timebank.app:create_app --factory`` (what ``timebank serve`` runs) and
the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine

from timebank.api.app import OPENAPI, install_api
from timebank.api.middleware import LimitsAndHeaders
from timebank.auth.demo_phones import demo_accounts_present
from timebank.auth.notify import SmsQueue
from timebank.auth.passwords import Passwords, make_hasher
from timebank.clock import Clock, SystemClock
from timebank.config import Settings, get_settings
from timebank.db import make_engine, make_session_factory, transaction
from timebank.domain_events import Event
from timebank.notices.notify import NoticeQueue
from timebank.notices.outbound import LogNotifier, Notifier
from timebank.notices.rules import Retry
from timebank.notices.sms import SmsAccount, SmsNotifier
from timebank.notices.webhook import WebhookNotifier
from timebank.services import Services
from timebank.supervision import services as supervision
from timebank.web.routes import mount_static, web_router


def supervise_committed(services: Services, events: Sequence[Event], at: datetime) -> None:
    """The write-time fraud checks of what a request committed."""
    supervision.deliver(services.factory, events, at=at)


def notifier_for(settings: Settings) -> Notifier:
    """The one place that chooses how notices leave (``TIMEBANK_NOTIFIER``)."""
    timeout = settings.notice_timeout_seconds
    if settings.notifier == "webhook":
        assert settings.webhook_url and settings.webhook_secret  # checked by Settings
        secret = settings.webhook_secret.get_secret_value().encode()
        return WebhookNotifier(settings.webhook_url, secret, timeout=timeout)
    if settings.notifier == "sms":
        assert settings.sms_access_key_id and settings.sms_access_key_secret
        assert settings.sms_sign_name
        account = SmsAccount(
            endpoint=settings.sms_endpoint,
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret.get_secret_value(),
            sign_name=settings.sms_sign_name,
            templates=settings.sms_templates,
            region=settings.sms_region,
        )
        return SmsNotifier(account, timeout=timeout)
    return LogNotifier()


def retry_of(settings: Settings) -> Retry:
    return Retry(
        max_attempts=settings.notice_max_attempts,
        first=timedelta(seconds=settings.notice_first_retry_seconds),
        longest=timedelta(seconds=settings.notice_longest_retry_seconds),
    )


class StartupRefused(RuntimeError):
    """The configuration or the database is unfit to serve; the message says why."""


def refuse_demo_accounts_in_prod(services: Services) -> None:
    """Production never serves a database holding a demo sign-in: their password is public."""
    if services.settings.env != "prod":
        return
    with transaction(services.factory) as s:
        found = demo_accounts_present(s)
    if found:
        raise StartupRefused(
            "TIMEBANK_ENV=prod refuses to start: the database holds demo sign-in accounts "
            f"({', '.join(found)}) whose password is published; delete them first"
        )


def build_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    notifier: SmsQueue | None = None,
    outbound: Notifier | None = None,
    passwords: Passwords | None = None,
) -> Services:
    engine = engine or make_engine(
        settings.database_url,
        **(
            {}
            if settings.is_sqlite
            else {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
        ),
    )
    return Services(
        settings=settings,
        factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        passwords=passwords or Passwords(make_hasher(fast=settings.env == "test")),
        notifier=notifier or NoticeQueue(),
        outbound=outbound or notifier_for(settings),
        retry=retry_of(settings),
        listeners=(supervise_committed,),
    )


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    notifier: SmsQueue | None = None,
    outbound: Notifier | None = None,
    passwords: Passwords | None = None,
) -> FastAPI:
    """The whole site: the API under /api/v1, the pages at /, health at /healthz."""
    settings = settings or get_settings()
    services = build_services(
        settings,
        engine=engine,
        clock=clock,
        notifier=notifier,
        outbound=outbound,
        passwords=passwords,
    )
    refuse_demo_accounts_in_prod(services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run on AnyIO's thread pool; size it to the connection pool.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield

    app = FastAPI(lifespan=lifespan, **OPENAPI)  # type: ignore[arg-type]
    app.state.settings, app.state.session_factory = settings, services.factory
    app.state.services = services
    install_api(app, settings)
    app.add_middleware(LimitsAndHeaders, slots=settings.worker_threads)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        with transaction(services.factory) as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.include_router(web_router)
    mount_static(app)
    return app
