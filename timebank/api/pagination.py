"""Keyset pagination: ``?limit=&cursor=`` and one envelope, ``{items, next_cursor, limit, total}``,
over the kernel's ``timebank.paging``.

The cursor is opaque to clients (base64 of the last id seen); results are ordered by id, so a
page never skips or repeats rows when new ones arrive.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import Session

from timebank import paging
from timebank.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: done")
    limit: int
    total: int = Field(description="How many items the filters match, on every page")


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


def window(params: PageParams) -> paging.Window:
    return paging.Window(limit=params.limit, after=params.after)


def envelope(page: paging.Page[Any], render: Callable[[Any], T]) -> Page[T]:
    """The API's envelope of a kernel page (``timebank.paging``)."""
    after = page.next_after
    return Page[T](
        items=[render(r) for r in page.items],
        next_cursor=encode(after) if after is not None else None,
        limit=page.limit,
        total=page.total,
    )


def paginate(
    session: Session,
    query: Select[Any],
    id_column: Any,
    params: PageParams,
    render: Callable[[Any], T],
) -> Page[T]:
    return envelope(paging.fetch(session, query, window(params), key=id_column), render)


def page_of_list(items: list[T], key: Callable[[T], int], params: PageParams) -> Page[T]:
    """Paginate rows already in memory (a statement computed with running balances)."""
    return envelope(paging.of_list(items, window(params), key), lambda item: item)
