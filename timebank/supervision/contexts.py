"""Write-time contexts: one record and the recent history its checks need, by index.

The history follows ``live.VisitContext`` / ``live.TransferContext`` (and ``replay.History``,
which cuts the same windows from whole tables): a visit's volunteer's visits around it and the
pair's visits before it (``ix_visits_volunteer_start``); a transfer's account's transfers
before it (``ix_ledger_transfers_debit`` / ``_credit``). The duration baseline is the one the
last full scan measured, cached for a few minutes per process.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from timebank.care.models import Need
from timebank.care.models import Visit as VisitRow
from timebank.catalog.models import ServiceItem
from timebank.ledger.models import Account, Transfer
from timebank.people.models import Person
from timebank.supervision.detection.facts import Account as AccountFact
from timebank.supervision.detection.facts import Donation, Gift, Redemption, Visit
from timebank.supervision.detection.live import TransferContext, VisitContext
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.models import ScanRun
from timebank.supervision.repository import CLAIMED

Baseline = dict[str, tuple[float, float]]
TransferEvent = Gift | Donation | Redemption
E = TypeVar("E", Gift, Donation, Redemption)
_BASELINE_TTL_S = 300.0
_baseline_cache: dict[str, tuple[float, Baseline | None]] = {}
_DAY = timedelta(days=1)

_VISIT_COLUMNS = (
    VisitRow.id,
    VisitRow.volunteer_id,
    VisitRow.elder_id,
    VisitRow.scheduled_start,
    VisitRow.scheduled_end,
    VisitRow.check_in_at,
    VisitRow.check_out_at,
    ServiceItem.category_code,
    VisitRow.credited_minutes,
    Need.station_id,
    Need.lat,
    Need.lon,
    VisitRow.check_in_lat,
    VisitRow.check_in_lon,
    VisitRow.check_in_device,
    VisitRow.confirm_device,
    VisitRow.source,
)


def duration_baseline(session: Session) -> Baseline | None:
    """The duration baseline of the latest scan (None before the first scan)."""
    key = str(session.get_bind().engine.url)
    cached = _baseline_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < _BASELINE_TTL_S:
        return cached[1]
    raw = session.execute(
        select(ScanRun.baseline).order_by(ScanRun.id.desc()).limit(1)
    ).scalar_one_or_none()
    baseline = None if raw is None else {k: (float(v[0]), float(v[1])) for k, v in raw.items()}
    _baseline_cache[key] = (time.monotonic(), baseline)
    return baseline


def forget_baseline() -> None:
    _baseline_cache.clear()


def _visit(row: Any) -> Visit:
    (vid, vol, elder, s0, e0, s1, e1, cat, credited, station, lat, lon, clat, clon, cdev, fdev) = (
        row[:16]
    )
    return Visit(
        id=vid,
        volunteer_id=vol,
        elder_id=elder,
        start=s1 or s0,
        end=e1 or e0,
        category=cat,
        credited_minutes=credited or 0,
        station_id=station or 0,
        elder_lat=lat,
        elder_lon=lon,
        checkin_lat=clat,
        checkin_lon=clon,
        checkin_device=cdev,
        confirm_device=fdev,
        source="offline" if row[16] == "offline" else "online",
    )


# The states as SQL literals: an expanding IN would be re-rendered at every execution.
_CLAIMED_SQL = VisitRow.status.in_([literal_column(f"'{state}'") for state in CLAIMED])


def _claimed(*columns: Any) -> Any:
    return (
        select(*_VISIT_COLUMNS, *columns)
        .join(Need, Need.id == VisitRow.need_id)
        .join(ServiceItem, ServiceItem.id == Need.item_id)
        .where(_CLAIMED_SQL)
    )


# Built once: a write-time check runs them with new values, so SQLAlchemy's compiled cache is
# hit without rebuilding (or re-keying) a statement per event.
_VISIT = (
    _claimed(Person.activated_at, Person.created_at)
    .join(Person, Person.id == VisitRow.volunteer_id)
    .where(VisitRow.id == bindparam("id"))
)
_STARTS = VisitRow.scheduled_start
_HISTORY = _claimed().where(
    or_(
        and_(
            VisitRow.volunteer_id == bindparam("vol"),
            _STARTS.between(bindparam("near_lo"), bindparam("near_hi")),
        ),
        and_(
            VisitRow.volunteer_id == bindparam("vol"),
            VisitRow.elder_id == bindparam("elder"),
            _STARTS.between(bindparam("pair_lo"), bindparam("pair_hi")),
        ),
        and_(
            VisitRow.volunteer_id == bindparam("elder"),
            VisitRow.elder_id == bindparam("vol"),
            _STARTS.between(bindparam("pair_lo"), bindparam("pair_hi")),
        ),
    )
)


def visit_with_context(
    session: Session, visit_id: int, params: DetectorParams
) -> tuple[Visit, VisitContext] | None:
    """A claimed visit and its history; None when the visit claims no time (yet)."""
    conn = session.connection()
    row = conn.execute(_VISIT, {"id": visit_id}).first()
    if row is None:
        return None
    visit = _visit(row)
    vol, elder = visit.volunteer_id, visit.elder_id
    span = timedelta(days=params.context_days) + _DAY
    window = timedelta(days=params.pair_window_days) + _DAY
    bounds = {
        "vol": vol,
        "elder": elder,
        "near_lo": visit.start - span,
        "near_hi": visit.start + span,
        "pair_lo": visit.start - window,
        "pair_hi": visit.start + _DAY,
    }
    history = [v for v in map(_visit, conn.execute(_HISTORY, bounds)) if v.id != visit_id]
    pair = [
        v
        for v in history
        if {v.volunteer_id, v.elder_id} == {vol, elder}
        and visit.start - window <= v.start <= visit.start
    ]
    context = VisitContext(
        volunteer_visits=[
            v for v in history if v.volunteer_id == vol and abs(v.start - visit.start) <= span
        ],
        pair_visits=pair,
        account=AccountFact(vol, row[17] or row[18]),
        duration_baseline=duration_baseline(session),
    )
    return visit, context


_DEBIT, _CREDIT = aliased(Account), aliased(Account)


def _moves(*conditions: Any) -> Any:
    """Transfers with the people on both sides (``None`` for a system account)."""
    return (
        select(
            Transfer.id,
            Transfer.kind,
            Transfer.phase,
            _DEBIT.person_id,
            _CREDIT.person_id,
            Transfer.amount,
            Transfer.created_at,
            Transfer.debit_account_id,
            Transfer.credit_account_id,
        )
        .join(_DEBIT, _DEBIT.id == Transfer.debit_account_id)
        .join(_CREDIT, _CREDIT.id == Transfer.credit_account_id)
        .where(*conditions)
    )


_LO: Any = bindparam("lo")
_AT: Any = bindparam("at")
_TRANSFER = _moves(Transfer.id == bindparam("id"))
_GIFTS = _moves(
    Transfer.kind == "gift",
    or_(
        and_(
            Transfer.debit_account_id == bindparam("debit"), Transfer.created_at.between(_LO, _AT)
        ),
        and_(
            Transfer.credit_account_id == bindparam("credit"),
            Transfer.created_at.between(bindparam("fan_lo"), _AT),
        ),
    ),
)
_DONATIONS = _moves(
    Transfer.kind == "donation",
    _DEBIT.person_id == bindparam("person"),
    Transfer.created_at.between(_LO, _AT),
)
# A redemption's history in one round trip: the gifts the person received and what they
# spent, each half planned on its own indexes.
_RECEIVED_AND_SPENT = union_all(
    _moves(
        Transfer.kind == "gift",
        _CREDIT.person_id == bindparam("person"),
        Transfer.created_at.between(_LO, _AT),
    ),
    _moves(
        Transfer.kind == "service_payment",
        _DEBIT.person_id == bindparam("person"),
        Transfer.created_at.between(_LO, _AT),
    ),
)


def _event(row: Any) -> TransferEvent | None:
    tid, kind, phase, debtor, creditor, amount, at = row[:7]
    if debtor is None:
        return None
    if kind == "gift" and creditor is not None:
        return Gift(tid, debtor, creditor, amount, at)
    if kind == "donation":
        return Donation(tid, debtor, amount, at)
    if kind == "service_payment" and phase in ("single", "post"):
        return Redemption(tid, debtor, amount, at)
    return None


def _of(rows: Any, cls: type[E]) -> list[E]:
    return [e for e in map(_event, rows) if isinstance(e, cls)]


def transfer_with_context(
    session: Session, transfer_id: int, params: DetectorParams
) -> tuple[TransferEvent, TransferContext] | None:
    """A gift, donation or redemption and its history; None for any other transfer."""
    conn = session.connection()
    row = conn.execute(_TRANSFER, {"id": transfer_id}).first()
    event = None if row is None else _event(row)
    if row is None or event is None:
        return None
    at = event.at
    if isinstance(event, Gift):
        gifts = _of(
            conn.execute(
                _GIFTS,
                {
                    "debit": row[7],
                    "credit": row[8],
                    "lo": at - timedelta(days=params.gift_count_window_days),
                    "fan_lo": at - timedelta(days=params.gift_fan_in_days),
                    "at": at,
                },
            ),
            Gift,
        )
        return event, TransferContext(gifts=gifts)
    if isinstance(event, Donation):
        lo = at - timedelta(days=params.donation_count_window_days)
        donations = _of(
            conn.execute(_DONATIONS, {"person": event.donor_id, "lo": lo, "at": at}), Donation
        )
        return event, TransferContext(donations=donations)
    window = {
        "person": event.person_id,
        "lo": at - timedelta(hours=params.gift_redeem_hours),
        "at": at,
    }
    rows = conn.execute(_RECEIVED_AND_SPENT, window).all()
    return event, TransferContext(gifts=_of(rows, Gift), redemptions=_of(rows, Redemption))
