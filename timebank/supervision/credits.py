"""Which service credits a case's alerts name as fraudulent.

Visit rules name their visits; the daily cap names the day's visits; a two-way pair or a ring
names the services along its edges inside the alert's window; a new account that earned too
fast names its visits of the first days. Gift, donation and station alerts name no service
credit: the reviewer lists what to reverse.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from timebank.care.models import Visit
from timebank.ledger.models import Account, Transfer
from timebank.supervision.models import Alert

visit_start = func.coalesce(Visit.check_in_at, Visit.scheduled_start)


def _edges(people: list[int], ring: bool) -> list[tuple[int, int]]:
    if not ring:
        a, b = people
        return [(a, b), (b, a)]
    return list(zip(people, [*people[1:], people[0]], strict=True))


def _time(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def visit_conditions(alerts: Iterable[Alert]) -> tuple[set[int], list[Any]]:
    """Visit ids named outright, and SQL conditions for visits named by a window."""
    ids: set[int] = set()
    windows: list[Any] = []
    for alert in alerts:
        ev = alert.evidence
        if alert.subject_kind == "visit" and "visit_id" in ev:
            ids.add(int(ev["visit_id"]))
        ids.update(int(v) for v in ev.get("visit_ids", ()))
        if alert.rule in ("two_way_pair", "ring"):
            end = _time(ev["window_end"])
            begin = end - timedelta(days=int(ev["window_days"]))
            for a, b in _edges([int(p) for p in ev["people"]], alert.rule == "ring"):
                windows.append(
                    and_(
                        Visit.volunteer_id == a,
                        Visit.elder_id == b,
                        visit_start > begin,
                        visit_start <= end,
                    )
                )
        elif alert.rule == "new_account_fast":
            begin = _time(ev["created_at"])
            windows.append(
                and_(
                    Visit.volunteer_id == int(ev["volunteer_id"]),
                    visit_start >= begin,
                    visit_start < begin + timedelta(days=int(ev["days"])),
                )
            )
    return ids, windows


def named_credits(
    session: Session, alerts: Iterable[Alert], volunteers: Collection[int]
) -> list[int]:
    """Service-credit transfer ids of the named visits whose volunteer is being sanctioned."""
    ids, windows = visit_conditions(alerts)
    if not ids and not windows:
        return []
    visit_ids = set(ids)
    if windows:
        visit_ids |= set(session.execute(select(Visit.id).where(or_(false(), *windows))).scalars())
    references = sorted(f"visit:{v}" for v in visit_ids)
    found: set[int] = set()
    for i in range(0, len(references), 500):
        found |= set(
            session.execute(
                select(Transfer.id)
                .join(Account, Account.id == Transfer.credit_account_id)
                .where(
                    Transfer.kind == "service_credit",
                    Transfer.reference.in_(references[i : i + 500]),
                    Account.person_id.in_(list(volunteers)),
                )
            ).scalars()
        )
    return sorted(found)
