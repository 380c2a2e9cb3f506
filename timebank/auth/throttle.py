"""Fixed-window rate limits kept in the database, so every worker process shares them.

A hit is counted in its own short transaction (it must count even when the request fails),
and refused with 429 once the window's limit is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from timebank.auth.errors import TooManyRequests
from timebank.auth.models import RateCounter
from timebank.db import run_in_transaction


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    window_s: int


# Sign-in and code endpoints (DESIGN §6: rate limits on sign-in and code endpoints).
LOGIN_PER_PHONE = Limit("login:phone", 10, 15 * 60)
LOGIN_PER_IP = Limit("login:ip", 60, 15 * 60)
CODE_PER_PHONE = Limit("code:phone", 5, 60 * 60)
CODE_PER_IP = Limit("code:ip", 30, 60 * 60)
VERIFY_PER_PHONE = Limit("verify:phone", 10, 15 * 60)
REGISTER_PER_IP = Limit("register:ip", 20, 60 * 60)


def _bump(session: Session, bucket: str, window: int) -> int:
    table = cast(Table, RateCounter.__table__)
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make(table).values(bucket=bucket, window_start=window, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["bucket", "window_start"], set_={"hits": table.c.hits + 1}
    )
    session.execute(stmt)
    hits = session.execute(
        select(RateCounter.hits).where(
            RateCounter.bucket == bucket, RateCounter.window_start == window
        )
    ).scalar_one()
    return int(hits)


def hit(factory: sessionmaker[Session], limit: Limit, key: str, *, at: datetime) -> None:
    """Count one hit of ``key`` against ``limit``; raise 429 once it is over."""
    now = int(at.timestamp())
    window = now - now % limit.window_s
    bucket = f"{limit.name}:{key}"[:120]
    hits = run_in_transaction(factory, lambda s: _bump(s, bucket, window))
    if hits > limit.hits:
        raise TooManyRequests(
            f"too many attempts; try again in {window + limit.window_s - now} seconds",
            retry_after=window + limit.window_s - now,
        )


def reset(session: Session, limit: Limit, key: str) -> None:
    session.execute(
        update(RateCounter).where(RateCounter.bucket == f"{limit.name}:{key}"[:120]).values(hits=0)
    )


def prune(session: Session, *, before: datetime) -> int:
    """Forget windows that ended before ``before`` (a periodic job)."""
    result = session.execute(
        delete(RateCounter).where(RateCounter.window_start < int(before.timestamp()) - 86400)
    )
    return int(getattr(result, "rowcount", 0) or 0)
