"""Pages of a real select count every row the filters match (SQLite and PostgreSQL), whichever
page is shown: by key (the API's cursor) or by number (pages sorted otherwise)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_person
from timebank import paging
from timebank.api.pagination import PageParams, decode, paginate
from timebank.people.models import Person

DISTRICT = "110108"


def people(session: Session, n: int) -> list[int]:
    return [make_person(session, district=DISTRICT).id for _ in range(n)]


def test_keyset_pages_count_all_rows(session: Session) -> None:
    ids = people(session, 7)
    query = select(Person).where(Person.district_code == DISTRICT)
    seen: list[int] = []
    window = paging.Window(limit=3)
    while True:
        page = paging.fetch(session, query, window, key=Person.id)
        assert page.total == 7
        seen += [p.id for p in page.items]
        if page.next_after is None:
            break
        window = paging.Window(limit=3, after=page.next_after)
    assert seen == ids


def test_numbered_pages_count_all_rows(session: Session) -> None:
    ids = people(session, 5)
    query = select(Person.id, Person.full_name).where(Person.district_code == DISTRICT)
    second = paging.fetch(
        session, query, paging.Window(limit=2, number=2), order_by=(Person.id.desc(),)
    )
    assert second.total == 5 and second.more and second.number == 2
    assert [row[0] for row in second.items] == sorted(ids, reverse=True)[2:4]


def test_the_api_envelope_has_the_true_total(session: Session) -> None:
    ids = people(session, 4)
    query = select(Person).where(Person.district_code == DISTRICT)
    page = paginate(session, query, Person.id, PageParams(limit=3, after=0), lambda p: p.id)
    assert page.items == ids[:3] and page.total == 4
    assert page.next_cursor is not None and decode(page.next_cursor) == ids[2]
