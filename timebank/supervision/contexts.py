"""Write-time contexts: one record and the recent history its checks need, in two queries.

The history follows ``live.VisitContext`` / ``live.TransferContext`` (and ``replay.History``,
which cuts the same windows from whole tables). The duration baseline is the one the last full
scan measured, cached for a few minutes per process.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from timebank.care.models import Visit as VisitRow
from timebank.ledger.models import Transfer
from timebank.people.models import Person
from timebank.supervision import repository as repo
from timebank.supervision.events import Account, Donation, Gift, Redemption, Visit
from timebank.supervision.live import TransferContext, VisitContext
from timebank.supervision.models import ScanRun
from timebank.supervision.params import DetectorParams

Baseline = dict[str, tuple[float, float]]
_BASELINE_TTL_S = 300.0
_baseline_cache: dict[str, tuple[float, Baseline | None]] = {}
_DAY = timedelta(days=1)


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


def _visits(session: Session, *conditions: Any) -> list[Visit]:
    stmt = repo.visit_query(repo.dialect_of(session)).where(*conditions)
    rows = session.execute(stmt).all()
    table = repo.visit_table([list(c) for c in zip(*rows, strict=True)] if rows else [[]] * 15)
    return table.to_visits(range(len(table)))


def visit_with_context(
    session: Session, visit_id: int, params: DetectorParams
) -> tuple[Visit, VisitContext] | None:
    """A claimed visit and its history; None when the visit claims no time (yet)."""
    found = _visits(session, VisitRow.id == visit_id)
    if not found:
        return None
    visit = found[0]
    vol, elder = visit.volunteer_id, visit.elder_id
    span = timedelta(days=params.context_days) + _DAY
    window = timedelta(days=params.pair_window_days) + _DAY
    mine = and_(
        VisitRow.volunteer_id == vol,
        VisitRow.scheduled_start.between(visit.start - span, visit.start + span),
    )
    pair = and_(
        or_(
            and_(VisitRow.volunteer_id == vol, VisitRow.elder_id == elder),
            and_(VisitRow.volunteer_id == elder, VisitRow.elder_id == vol),
        ),
        VisitRow.scheduled_start.between(visit.start - window, visit.start + _DAY),
    )
    history = [v for v in _visits(session, or_(mine, pair)) if v.id != visit_id]
    near = [v for v in history if v.volunteer_id == vol and abs(v.start - visit.start) <= span]
    pairs = [
        v
        for v in history
        if {v.volunteer_id, v.elder_id} == {vol, elder} and v.start <= visit.start
    ]
    created = session.execute(
        select(Person.activated_at, Person.created_at).where(Person.id == vol)
    ).one_or_none()
    account = None if created is None else Account(vol, created[0] or created[1])
    context = VisitContext(
        volunteer_visits=near,
        pair_visits=[v for v in pairs if visit.start - v.start <= window],
        account=account,
        duration_baseline=duration_baseline(session),
    )
    return visit, context


TransferEvent = Gift | Donation | Redemption


def _transfers(session: Session, build: Any) -> list[TransferEvent]:
    q = repo.transfer_query(repo.dialect_of(session))
    rows = session.execute(build(q)).all()
    table = repo.transfer_table([list(c) for c in zip(*rows, strict=True)] if rows else [[]])
    return table.to_events(range(len(table)))


def transfer_with_context(
    session: Session, transfer_id: int, params: DetectorParams
) -> tuple[TransferEvent, TransferContext] | None:
    """A gift, donation or redemption and its history; None for any other transfer."""
    found = _transfers(session, lambda q: q.stmt.where(Transfer.id == transfer_id))
    if not found:
        return None
    event = found[0]

    def since(days: float = 0, hours: float = 0) -> Any:
        return Transfer.created_at.between(event.at - timedelta(days=days, hours=hours), event.at)

    def history(q: repo.TransferQuery) -> Any:
        if isinstance(event, Gift):
            own = and_(
                Transfer.kind == "gift",
                q.debit.person_id == event.giver_id,
                since(params.gift_count_window_days),
            )
            received = and_(
                Transfer.kind == "gift",
                q.credit.person_id == event.recipient_id,
                since(params.gift_fan_in_days),
            )
            return q.stmt.where(or_(own, received))
        if isinstance(event, Donation):
            return q.stmt.where(
                Transfer.kind == "donation",
                q.debit.person_id == event.donor_id,
                since(params.donation_count_window_days),
            )
        return q.stmt.where(
            or_(
                and_(Transfer.kind == "gift", q.credit.person_id == event.person_id),
                and_(Transfer.kind == "service_payment", q.debit.person_id == event.person_id),
            ),
            since(hours=params.gift_redeem_hours),
        )

    rows = _transfers(session, history)
    context = TransferContext(
        gifts=[e for e in rows if isinstance(e, Gift)],
        donations=[e for e in rows if isinstance(e, Donation)],
        redemptions=[e for e in rows if isinstance(e, Redemption)],
    )
    return event, context
