"""Pagination in one place: every listing query applies a ``Window`` to its select here.

Two ways through a listing: by key (``after`` the last key seen, ordered by the key — the
API's cursor, which never skips or repeats a row when new ones arrive) or by page number (for
pages sorted by something else: alerts by score, cases newest first). Either way the ``Page``
carries the true ``total`` of rows the filters match, not only those shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Window:
    """Which slice of a listing: ``limit`` rows after key ``after`` (keyset), or page
    ``number`` (1-based) when the query is ordered otherwise."""

    limit: int = 50
    after: int = 0
    number: int = 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    next_after: int | None = None  # keyset: the ``after`` of the next page; None: done
    number: int = 1
    more: bool = field(default=False)

    def map(self, render: Callable[[T], U]) -> Page[U]:
        return Page(
            items=[render(i) for i in self.items],
            total=self.total,
            limit=self.limit,
            next_after=self.next_after,
            number=self.number,
            more=self.more,
        )


def count(session: Session, query: Select[Any]) -> int:
    """How many rows ``query`` matches (its ordering and limit ignored)."""
    inner = query.order_by(None).limit(None).offset(None).subquery()
    return int(session.execute(select(func.count()).select_from(inner)).scalar_one())


def _rows(session: Session, query: Select[Any]) -> Sequence[Any]:
    result = session.execute(query)
    if len(query.column_descriptions) == 1:
        return result.scalars().all()
    return result.tuples().all()


def _id_of(row: Any) -> int:
    return int(row[0].id if isinstance(row, tuple) else row.id)


def fetch(
    session: Session,
    query: Select[Any],
    window: Window,
    *,
    key: Any = None,
    order_by: Sequence[Any] = (),
    key_of: Callable[[Any], int] = _id_of,
) -> Page[Any]:
    """One page of ``query``: ordered by ``key`` and after ``window.after`` when ``key`` is
    given, else ordered by ``order_by`` and cut at ``window.number``. A one-column select
    yields its values; a wider one, tuples."""
    total = count(session, query)
    limit = window.limit
    if key is not None:
        rows = _rows(session, query.where(key > window.after).order_by(key).limit(limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        after = key_of(rows[-1]) if more and rows else None
        return Page(list(rows), total, limit, next_after=after, more=more)
    number = max(window.number, 1)
    offset = (number - 1) * limit
    rows = _rows(session, query.order_by(*order_by).offset(offset).limit(limit + 1))
    more = len(rows) > limit
    return Page(list(rows[:limit]), total, limit, number=number, more=more)


def of_list(items: Sequence[T], window: Window, key: Callable[[T], int]) -> Page[T]:
    """A keyset page of rows already in memory (a statement with running balances)."""
    after = [i for i in items if key(i) > window.after]
    chunk = list(after[: window.limit])
    more = len(after) > window.limit
    next_after = key(chunk[-1]) if more and chunk else None
    return Page(chunk, len(items), window.limit, next_after=next_after, more=more)
