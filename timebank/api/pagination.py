"""Keyset pagination: ``?limit=&cursor=`` and one envelope, ``{items, next_cursor, limit}``.

The cursor is opaque to clients (base64 of the last id seen); results are ordered by id, so a
page never skips or repeats rows when new ones arrive.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import Session

from timebank.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: done")
    limit: int


class PageParams(BaseModel):
    limit: int
    after: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=40, pattern=r"^[A-Za-z0-9_=-]+$", description="From next_cursor"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode(cursor) if cursor else 0)


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isdigit() or len(value) > 15:
            raise ValueError(text)
        return int(value)
    except ValueError as exc:
        raise InvalidInput("the cursor is not one this API gave out", field="cursor") from exc


def paginate(
    session: Session,
    query: Select[Any],
    id_column: Any,
    params: PageParams,
    render: Callable[[Any], T],
) -> Page[T]:
    rows: Sequence[Any] = (
        session.execute(
            query.where(id_column > params.after).order_by(id_column).limit(params.limit + 1)
        )
        .scalars()
        .all()
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page[T](
        items=[render(r) for r in rows],
        next_cursor=encode(rows[-1].id) if more and rows else None,
        limit=params.limit,
    )


def page_of_list(items: list[T], key: Callable[[T], int], params: PageParams) -> Page[T]:
    """Paginate rows already in memory (a statement computed with running balances)."""
    after = [i for i in items if key(i) > params.after]
    chunk = after[: params.limit]
    more = len(after) > params.limit
    return Page[T](
        items=chunk,
        next_cursor=encode(key(chunk[-1])) if more and chunk else None,
        limit=params.limit,
    )
