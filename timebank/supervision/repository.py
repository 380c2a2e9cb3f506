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
from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceCategory, ServiceItem
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Person
from timebank.supervision.detection.tables import (
    DONATION,
    GIFT,
    NO_DEVICE,
    REDEMPTION,
    AccountTable,
    TransferTable,
    VisitTable,
)
from timebank.supervision.pgcopy import copy_columns

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
    """Columns of a query, fetched in batches straight from the driver's cursor, so rows never
    become SQLAlchemy ``Row`` objects (every column here is a plain number or text: there is
    nothing to convert). SQLite's cursor steps through the result as it is read. Not with
    ``stream_results``: SQLAlchemy would buffer the first row away from the cursor."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    result = session.connection().execute(stmt)
    try:
        cursor = result.cursor
        while rows := cursor.fetchmany(BATCH):
            for i, values in enumerate(zip(*rows, strict=True)):
                columns[i].extend(values)
    finally:
        result.close()
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
    devices: dict[str | None, int] = {None: NO_DEVICE}  # codes 0, 1, … in order of appearance

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
        checkin_device=ints([devices.setdefault(d, len(devices) - 1) for d in cdev]),
        confirm_device=ints([devices.setdefault(d, len(devices) - 1) for d in fdev]),
        offline=np.array([s == "offline" for s in src], bool),
        categories=tuple(categories),
    )


def _from(since: datetime | None) -> list[Any]:
    # Check-in may precede the booked start a little; a day of slack keeps the edge.
    return [] if since is None else [Visit.scheduled_start >= since - timedelta(days=1)]


def load_visits(session: Session, *, since: datetime | None = None) -> VisitTable:
    if dialect_of(session) == "postgresql":
        return _pg_visits(session, since)
    stmt = visit_query("sqlite").where(*_from(since)).order_by(Visit.id)
    return visit_table(_stream(session, stmt, 15))


_NUMERIC_FIELDS = (
    *("id", "volunteer", "elder", "start", "end", "category", "credited", "station"),
    *("elder_lat", "elder_lon", "checkin_lat", "checkin_lon", "checkin_device", "confirm_device"),
)


def _pg_visits(session: Session, since: datetime | None) -> VisitTable:
    """The same rows as ``visit_query``, with text turned into codes in SQL, by binary COPY."""
    scope = [Visit.status.in_(CLAIMED), *_from(since)]
    used = union(
        select(Visit.check_in_device.label("device")).where(*scope),
        select(Visit.confirm_device.label("device")).where(*scope),
    ).subquery()
    number = func.row_number().over(order_by=used.c.device) - 1
    codes = select(used.c.device, number.label("n")).where(used.c.device.is_not(None)).cte()
    by_code = func.row_number().over(order_by=ServiceCategory.code) - 1
    cats = select(ServiceCategory.code, by_code.label("n")).cte()
    checkin, confirm = codes.alias("checkin_code"), codes.alias("confirm_code")
    nan = cast(literal_column("'NaN'"), DOUBLE_PRECISION)
    start = func.coalesce(Visit.check_in_at, Visit.scheduled_start)
    end = func.coalesce(Visit.check_out_at, Visit.scheduled_end)
    stmt = (
        select(
            *(
                cast(c, BigInteger)
                for c in (
                    Visit.id,
                    Visit.volunteer_id,
                    Visit.elder_id,
                    epoch(start, "postgresql"),
                    epoch(end, "postgresql"),
                    cats.c.n,
                    func.coalesce(Visit.credited_minutes, 0),
                    func.coalesce(Need.station_id, 0),
                )
            ),
            *(
                cast(c, DOUBLE_PRECISION)
                for c in (
                    Need.lat,
                    Need.lon,
                    func.coalesce(Visit.check_in_lat, nan),
                    func.coalesce(Visit.check_in_lon, nan),
                )
            ),
            cast(func.coalesce(checkin.c.n, NO_DEVICE), BigInteger),
            cast(func.coalesce(confirm.c.n, NO_DEVICE), BigInteger),
            cast(case((Visit.source == "offline", 1), else_=0), BigInteger),
        )
        .join(Need, Need.id == Visit.need_id)
        .join(ServiceItem, ServiceItem.id == Need.item_id)
        .join(cats, cats.c.code == ServiceItem.category_code)
        .outerjoin(checkin, checkin.c.device == Visit.check_in_device)
        .outerjoin(confirm, confirm.c.device == Visit.confirm_device)
        .where(*scope)
        .order_by(Visit.id)
    )
    c = copy_columns(session, stmt, "iiiiiiiiffffiii")
    names = session.execute(select(ServiceCategory.code).order_by(ServiceCategory.code))
    return VisitTable(
        **dict(zip(_NUMERIC_FIELDS, c[:14], strict=True)),
        offline=c[14].astype(bool),
        categories=tuple(names.scalars()),
    )


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
    dialect = dialect_of(session)
    stmt = transfer_query(dialect).stmt
    if since is not None:
        stmt = stmt.where(Transfer.created_at >= since)
    stmt = stmt.order_by(Transfer.id)
    if dialect == "postgresql":
        columns = [cast(c, BigInteger) for c in stmt.selected_columns]
        return TransferTable(*copy_columns(session, stmt.with_only_columns(*columns), "iiiiii"))
    return transfer_table(_stream(session, stmt, 6))


def load_accounts(session: Session) -> AccountTable:
    """When each person could start earning: volunteer activation, else registration."""
    dialect = dialect_of(session)
    began = epoch(func.coalesce(Person.activated_at, Person.created_at), dialect)
    if dialect == "postgresql":
        stmt = select(cast(Person.id, BigInteger), began)
        person, created = copy_columns(session, stmt, "ii")
        return AccountTable.build(person, created)
    ids, times = _stream(session, select(Person.id, began), 2)
    return AccountTable.build(
        np.fromiter(ids, np.int64, len(ids)), np.fromiter(times, np.int64, len(times))
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
