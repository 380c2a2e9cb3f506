"""Write planned visits (a need and a confirmed visit each) and their credits, in bulk.

Planted history is written as the care flow leaves it: the need confirmed, the visit confirmed
with its check-in, check-out and devices, the volunteer credited by a ``service_credit`` whose
reference is ``visit:{id}``. Credits go through the ledger's posting engine (locks, balances,
idempotency keys), but not through the daily cap: a planted cap breach is a bypass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from timebank.clock import local_date
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import ISSUANCE_ID, Account
from timebank.supervision.detection.epoch import from_epoch
from timebank.supervision.detection.facts import Rule

_BATCH = 5000


@dataclass
class PlannedVisit:
    volunteer: int
    elder: int
    start: int  # epoch seconds
    minutes: int
    item_id: int
    station: int  # organisation id, 0 for none
    district: str
    lat: float  # the elder's address
    lon: float
    checkin: tuple[float, float] | None = None  # None: offline
    device: str | None = None
    confirm_device: str | None = None
    credit: int = 0
    rule: Rule | None = None  # the pattern this visit shows, labelled once it has an id


def insert_visits(
    session: Session, planned: Sequence[PlannedVisit], *, by: str, at: datetime
) -> list[int]:
    """Needs and visits for the plan; returns the visit ids in plan order."""
    from timebank.care.models import Need, Visit

    ids: list[int] = []
    for i in range(0, len(planned), _BATCH):
        chunk = planned[i : i + _BATCH]
        needs: list[dict[str, Any]] = [
            {
                "elder_id": p.elder,
                "payer_id": p.elder,
                "item_id": p.item_id,
                "district_code": p.district,
                "station_id": p.station or None,
                "description": "记录",
                "address": "",
                "lat": p.lat,
                "lon": p.lon,
                "window_start": from_epoch(p.start),
                "window_end": from_epoch(p.start + p.minutes * 60),
                "expected_minutes": max(p.minutes, 1),
                "preferences": {},
                "attendee_ids": [],
                "funding": "own",
                "source": "online" if p.checkin else "offline",
                "status": "confirmed",
                "published_by": by,
                "volunteer_id": p.volunteer,
                "created_at": from_epoch(p.start),
                "updated_at": at,
            }
            for p in chunk
        ]
        need_ids = insert_rows(session, Need.__table__, needs)
        visits = [
            {
                "need_id": need_id,
                "volunteer_id": p.volunteer,
                "elder_id": p.elder,
                "status": "confirmed",
                "source": "online" if p.checkin else "offline",
                "scheduled_start": from_epoch(p.start),
                "scheduled_end": from_epoch(p.start + p.minutes * 60),
                "check_in_at": from_epoch(p.start),
                "check_in_lat": p.checkin[0] if p.checkin else None,
                "check_in_lon": p.checkin[1] if p.checkin else None,
                "check_in_method": "code" if p.checkin else "paper",
                "check_in_device": p.device,
                "check_out_at": from_epoch(p.start + p.minutes * 60),
                "duration_minutes": p.minutes,
                "credited_minutes": p.credit,
                "paid_minutes": 0,
                "rating": 5,
                "confirmed_by": by,
                "confirm_device": p.confirm_device,
                "confirmed_at": from_epoch(p.start + p.minutes * 60),
                "entered_by": None if p.checkin else by,
                "created_at": from_epoch(p.start),
            }
            for p, need_id in zip(chunk, need_ids, strict=True)
        ]
        ids += insert_rows(session, Visit.__table__, visits)
    return ids


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """A multi-row insert returning the new ids in row order.

    ``RETURNING`` in row order costs a round trip per row on SQLite and a fresh statement per
    batch on PostgreSQL, so the ids are known beforehand: on PostgreSQL drawn from the table's
    sequence, on SQLite counted on from the largest (a SQLite transaction holds the write lock
    from its first statement, and a table's rowids grow by one per row).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": len(rows)},
            ).scalars()
        )
        session.execute(insert(table), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
        return ids
    first = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    session.execute(insert(table), rows)
    return list(range(first, first + len(rows)))


def credit_visits(
    session: Session,
    planned: Sequence[PlannedVisit],
    visit_ids: Sequence[int],
    *,
    key_prefix: str,
    actor: str,
    at: datetime,
) -> int:
    """Post each planned credit (issuance → the volunteer's earned account); returns minutes."""
    people = sorted({p.volunteer for p in planned if p.credit > 0})
    earned = dict(
        session.execute(
            select(Account.person_id, Account.id).where(
                Account.person_id.in_(people), Account.kind == "earned"
            )
        )
        .tuples()
        .all()
    )
    specs = [
        TransferSpec(
            key=f"{key_prefix}:visit:{vid}:credit",
            kind="service_credit",
            debit_account_id=ISSUANCE_ID,
            credit_account_id=earned[p.volunteer],
            amount=p.credit,
            reference=f"visit:{vid}",
            value_date=local_date(from_epoch(p.start)),
        )
        for p, vid in zip(planned, visit_ids, strict=True)
        if p.credit > 0
    ]
    for i in range(0, len(specs), _BATCH):
        post_transfers(session, specs[i : i + _BATCH], actor=actor, at=at)
    return sum(s.amount or 0 for s in specs)
