"""Load what the detectors read from the database: one query per table, streamed into numpy.

Visits come from ``care.visits`` joined with their need (the elder's address, the station) and
the item's category; gifts, donations and redemptions from ledger transfers joined with the
accounts on both sides. Times are read as epoch seconds in SQL, so no datetime object is built
per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceItem
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Person
from timebank.supervision.tables import (
    DONATION,
    GIFT,
    NO_DEVICE,
    REDEMPTION,
    AccountTable,
    TransferTable,
    VisitTable,
)

# A visit claims time once the volunteer has checked out (or a paper record was entered);
# rejected, cancelled and no-show visits claim nothing.
CLAIMED = ("checked_out", "confirmed", "disputed", "pending_approval")
BATCH = 50_000


def epoch(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole UTC seconds of a UTCDateTime column (SQLite stores naive UTC text)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def _stream(session: Session, stmt: Any, width: int) -> list[list[Any]]:
    """Columns of a query, read in batches so a million rows never sit in Row objects."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for part in result.partitions():
        for i, values in enumerate(zip(*part, strict=True)):
            columns[i].extend(values)
    return columns


def visit_query(dialect: str) -> Any:
    start = epoch(func.coalesce(Visit.check_in_at, Visit.scheduled_start), dialect)
    end = epoch(func.coalesce(Visit.check_out_at, Visit.scheduled_end), dialect)
    return (
        select(
            Visit.id,
            Visit.volunteer_id,
            Visit.elder_id,
            start,
            end,
            ServiceItem.category_code,
            func.coalesce(Visit.credited_minutes, 0),
            func.coalesce(Need.station_id, 0),
            Need.lat,
            Need.lon,
            Visit.check_in_lat,
            Visit.check_in_lon,
            Visit.check_in_device,
            Visit.confirm_device,
            Visit.source,
        )
        .join(Need, Need.id == Visit.need_id)
        .join(ServiceItem, ServiceItem.id == Need.item_id)
        .where(Visit.status.in_(CLAIMED))
    )


def visit_table(columns: Sequence[Sequence[Any]]) -> VisitTable:
    (vid, vol, elder, start, end, cat, credited, station, lat, lon, clat, clon, cdev, fdev, src) = (
        columns
    )
    categories: dict[str, int] = {}
    devices: dict[str, int] = {}

    def device(value: str | None) -> int:
        return NO_DEVICE if value is None else devices.setdefault(value, len(devices))

    def ints(values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(values, np.int64, len(values))

    return VisitTable(
        id=ints(vid),
        volunteer=ints(vol),
        elder=ints(elder),
        start=ints(start),
        end=ints(end),
        category=ints([categories.setdefault(c, len(categories)) for c in cat]),
        credited=ints(credited),
        station=ints(station),
        elder_lat=np.array(lat, float),
        elder_lon=np.array(lon, float),
        checkin_lat=np.array(clat, float),  # None becomes NaN
        checkin_lon=np.array(clon, float),
        checkin_device=ints([device(d) for d in cdev]),
        confirm_device=ints([device(d) for d in fdev]),
        offline=np.array([s == "offline" for s in src], bool),
        categories=tuple(categories),
    )


def load_visits(session: Session, *, since: datetime | None = None) -> VisitTable:
    stmt = visit_query(dialect_of(session))
    if since is not None:
        # Check-in may precede the booked start a little; a day of slack keeps the edge.
        stmt = stmt.where(Visit.scheduled_start >= since - timedelta(days=1))
    return visit_table(_stream(session, stmt.order_by(Visit.id), 15))


@dataclass(frozen=True)
class TransferQuery:
    """The transfers the detectors read, with the account aliases so callers can narrow it."""

    stmt: Any
    debit: Any  # aliased Account: the giver, donor or spender
    credit: Any  # aliased Account: the recipient of a gift


def transfer_query(dialect: str) -> TransferQuery:
    debit, credit = aliased(Account), aliased(Account)
    t = Transfer
    kind = case((t.kind == "gift", GIFT), (t.kind == "donation", DONATION), else_=REDEMPTION)
    recipient = case((t.kind == "gift", credit.person_id), else_=literal(-1))
    spend = and_(t.kind == "service_payment", t.phase.in_(("single", "post")))
    stmt = (
        select(t.id, kind, debit.person_id, recipient, t.amount, epoch(t.created_at, dialect))
        .join(debit, debit.id == t.debit_account_id)
        .join(credit, credit.id == t.credit_account_id)
        .where(or_(t.kind.in_(("gift", "donation")), spend), debit.person_id.is_not(None))
    )
    return TransferQuery(stmt, debit, credit)


def transfer_table(columns: Sequence[Sequence[Any]]) -> TransferTable:
    if not columns[0]:
        return TransferTable.empty()
    arrays = [np.fromiter(c, np.int64, len(c)) for c in columns]
    return TransferTable(*arrays)


def load_transfers(session: Session, *, since: datetime | None = None) -> TransferTable:
    stmt = transfer_query(dialect_of(session)).stmt
    if since is not None:
        stmt = stmt.where(Transfer.created_at >= since)
    return transfer_table(_stream(session, stmt.order_by(Transfer.id), 6))


def load_accounts(session: Session) -> AccountTable:
    """When each person could start earning: volunteer activation, else registration."""
    began = epoch(func.coalesce(Person.activated_at, Person.created_at), dialect_of(session))
    person, created = _stream(session, select(Person.id, began), 2)
    return AccountTable.build(
        np.fromiter(person, np.int64, len(person)), np.fromiter(created, np.int64, len(created))
    )


@dataclass(frozen=True)
class Tables:
    visits: VisitTable
    transfers: TransferTable
    accounts: AccountTable


def load_tables(
    session: Session,
    *,
    since: datetime | None = None,
    on_loaded: Callable[[str, int], None] | None = None,
) -> Tables:
    """The three tables a full scan reads; ``on_loaded(name, rows)`` drives a progress bar."""
    visits = load_visits(session, since=since)
    if on_loaded:
        on_loaded("visits", len(visits))
    transfers = load_transfers(session, since=since)
    if on_loaded:
        on_loaded("transfers", len(transfers))
    accounts = load_accounts(session)
    if on_loaded:
        on_loaded("accounts", len(accounts))
    return Tables(visits, transfers, accounts)
