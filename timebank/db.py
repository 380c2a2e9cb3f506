"""Database plumbing: engine, sessions, the declarative base, and the transaction retry loop.

One transaction per use case, opened by the caller: ``with transaction(factory) as s: ...;
s.commit()``. Leaving the block without commit rolls back. Repositories never commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from timebank.domain_events import Event
from timebank.domain_events import take as take_events

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Autoincrementing 64-bit keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions start (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock at BEGIN: SQLite cannot upgrade a read lock safely under
        # contention, so every transaction is a writer from its first statement.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction rolls back unless the block calls ``commit()``."""
    session = factory()
    try:
        yield session
    finally:
        session.close()  # rolls back whatever was not committed


@contextmanager
def _adopt(session: Session) -> Iterator[Session]:
    try:
        yield session
    finally:
        session.close()


RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        # A concurrent writer took the same idempotency key first: retrying finds it. Other
        # integrity errors (checks, the immutability triggers) would fail again: no retry.
        orig = getattr(exc, "orig", None)
        return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint" in str(orig)
    if isinstance(exc, OperationalError | DBAPIError):
        orig = getattr(exc, "orig", None)
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if state in RETRYABLE_SQLSTATES:
            return True
        return "database is locked" in str(exc)
    return False


def run_in_transaction(
    factory: sessionmaker[Session],
    fn: Callable[[Session], T],
    *,
    attempts: int = 8,
    events: list[Event] | None = None,
    first: Session | None = None,
) -> T:
    """Run ``fn(session)`` and commit, retrying on serialization failures and key races.

    ``events``, if given, receives the domain events (``timebank.domain_events``) the committed
    attempt recorded; a failed or retried attempt's events are dropped with it. ``first``, if
    given, is an open session (e.g. the one the request authenticated in) used for the first
    attempt and closed after it, so a request needs one transaction, not two."""
    for attempt in range(attempts):
        opened = _adopt(first) if attempt == 0 and first is not None else transaction(factory)
        with opened as session:
            try:
                result = fn(session)
                session.commit()
                committed = take_events(session)
                if events is not None:
                    events.extend(committed)
                return result
            except Exception as exc:
                take_events(session)
                if attempt + 1 < attempts and is_retryable(exc):
                    time.sleep(min(0.002 * 2**attempt, 0.2))
                    continue
                raise
    raise AssertionError("unreachable")
