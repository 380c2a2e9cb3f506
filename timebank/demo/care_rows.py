"""The demo year's visits as care rows: one reviewed need and one visit per planned visit, so
visit history, dashboards and supervision scans see the same year the ledger records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceItem
from timebank.demo.activity import Activity
from timebank.demo.families import Population
from timebank.demo.planned import POOL, owner
from timebank.demo.progress import Advance

CHUNK = 5_000


def _next_id(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def insert_care(
    session: Session,
    pop: Population,
    activity: Activity,
    *,
    first_person: int,
    first_org: int,
    advance: Advance,
) -> int:
    """Insert the needs and visits; returns how many visits were written."""
    items: dict[str, int] = {}
    for category, item_id in session.execute(
        select(ServiceItem.category_code, ServiceItem.id)
        .where(ServiceItem.district_code.is_(None))
        .order_by(ServiceItem.id)
    ).tuples():
        items.setdefault(category, item_id)
    need_id, visit_id = _next_id(session, Need), _next_id(session, Visit)
    needs: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    for n, v in enumerate(activity.visits):
        elder = pop.people[v.elder]
        start, end = v.start, v.start + timedelta(minutes=v.minutes)
        payer_slot = v.holds[0][0] if v.holds else None
        payer = v.elder if payer_slot in (None, POOL) else owner(payer_slot)
        status = "cancelled" if v.cancelled else "confirmed"
        needs.append(
            {
                "id": need_id + n,
                "elder_id": first_person + v.elder,
                "payer_id": first_person + (payer if payer is not None else v.elder),
                "item_id": items.get(v.category, items["emotional_comfort"]),
                "district_code": elder.district,
                "station_id": first_org + v.station,
                "description": "演示服务",
                "address": elder.address,
                "lat": elder.lat,
                "lon": elder.lon,
                "window_start": start - timedelta(minutes=30),
                "window_end": end + timedelta(minutes=60),
                "expected_minutes": max(v.booked or v.minutes, 1),
                "preferences": {},
                "attendee_ids": [],
                "funding": "pool" if payer_slot == POOL else "own",
                "source": "online",
                "status": status,
                "series_id": None,
                "volunteer_id": first_person + v.volunteer,
                "published_by": "demo",
                "reviewed_by": f"station:{first_org + v.station}",
                "reason": None,
                "created_at": start - timedelta(days=1),
                "updated_at": end,
            }
        )
        done = not v.cancelled
        visits.append(
            {
                "id": visit_id + n,
                "need_id": need_id + n,
                "volunteer_id": first_person + v.volunteer,
                "elder_id": first_person + v.elder,
                "status": status,
                "source": "online",
                "scheduled_start": start,
                "scheduled_end": end,
                "check_in_at": start if done else None,
                "check_in_method": "code" if done else None,
                "check_out_at": end if done else None,
                "duration_minutes": v.minutes if done else None,
                "credited_minutes": v.credited,
                "paid_minutes": sum(v.paid),
                "rating": (5 - v.number % 3 // 2) if done else None,
                "confirmed_by": f"elder:{first_person + v.elder}" if done else None,
                "confirmed_at": end if done else None,
                "created_at": start - timedelta(days=1),
            }
        )
    for rows, model in ((needs, Need), (visits, Visit)):
        for i in range(0, len(rows), CHUNK):
            session.execute(insert(cast(Table, model.__table__)), rows[i : i + CHUNK])
            advance(len(rows[i : i + CHUNK]) // 2)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("needs", "visits"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                    "HAVING max(id) IS NOT NULL"
                )
            )
    return len(visits)
