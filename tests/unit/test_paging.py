"""The kernel's pagination, on rows in memory: keyset pages, the true total, the envelope."""

from __future__ import annotations

from timebank import paging
from timebank.api.pagination import PageParams, decode, page_of_list


def test_keyset_pages_of_a_list_carry_the_total_and_the_next_key() -> None:
    items = list(range(1, 8))
    first = paging.of_list(items, paging.Window(limit=3), key=lambda i: i)
    assert (first.items, first.total, first.next_after, first.more) == ([1, 2, 3], 7, 3, True)
    last = paging.of_list(items, paging.Window(limit=3, after=6), key=lambda i: i)
    assert (last.items, last.total, last.next_after, last.more) == ([7], 7, None, False)


def test_map_keeps_the_page() -> None:
    page = paging.Page([1, 2], total=5, limit=2, next_after=2, more=True)
    shown = page.map(str)
    assert (shown.items, shown.total, shown.next_after, shown.more) == (["1", "2"], 5, 2, True)


def test_the_api_envelope_is_a_thin_adapter() -> None:
    page = page_of_list([10, 20, 30], key=lambda i: i, params=PageParams(limit=2, after=0))
    assert page.items == [10, 20] and page.total == 3 and page.limit == 2
    assert page.next_cursor is not None and decode(page.next_cursor) == 20
    done = page_of_list([10, 20, 30], key=lambda i: i, params=PageParams(limit=2, after=20))
    assert (done.items, done.next_cursor, done.total) == ([30], None, 3)
