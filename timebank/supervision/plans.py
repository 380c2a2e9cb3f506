"""What a case decision will do, computed once: the confirmation page states this plan and
``cases.decide_case`` carries it out, so the page can never promise other consequences than
the act has.

A plan names the people the decision is about (disqualified on confirmed fraud, warned, or
taken off the watch list), the transfers it reverses (the service credits the alerts name,
plus those the reviewer adds, minus any another case or a correction already took back) and
the institutions it puts on the untrustworthy list (the reviewer's, plus the stations of
station alerts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank.ledger.models import Transfer
from timebank.supervision.credits import named_credits
from timebank.supervision.models import Alert, Case
from timebank.supervision.queries import case_alerts, case_people


@dataclass(frozen=True)
class DecisionPlan:
    case_id: int
    outcome: str
    alerts: tuple[Alert, ...]
    people: tuple[int, ...]
    reversals: tuple[int, ...] = ()
    minutes: int = 0
    organisations: tuple[int, ...] = ()


def reversal_key(case_id: int, transfer_id: int) -> str:
    return f"case:{case_id}:reverse:{transfer_id}"


def _left_to_reverse(session: Session, case_id: int, transfer_ids: set[int]) -> list[int]:
    """Drop transfers reversed before by another case or a correction (a retry of this
    case's own reversal stays in: the ledger key makes it a no-op)."""
    if not transfer_ids:
        return []
    earlier = session.execute(
        select(Transfer.reverses_id, Transfer.key).where(
            Transfer.reverses_id.in_(sorted(transfer_ids))
        )
    ).tuples()
    taken = {t for t, key in earlier if t is not None and key != reversal_key(case_id, t)}
    return sorted(transfer_ids - taken)


def _minutes(session: Session, transfer_ids: Sequence[int]) -> int:
    if not transfer_ids:
        return 0
    total = session.execute(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.id.in_(list(transfer_ids))
        )
    ).scalar_one()
    return int(total)


def plan_decision(
    session: Session,
    case: Case,
    outcome: str,
    *,
    person_ids: Sequence[int] | None = None,
    organisation_ids: Sequence[int] = (),
    transfer_ids: Sequence[int] = (),
) -> DecisionPlan:
    """``person_ids`` defaults to everyone the case's alerts name."""
    alerts = tuple(case_alerts(session, case.id))
    people = tuple(sorted(set(case_people(session, case.id) if person_ids is None else person_ids)))
    if outcome != "confirm_fraud":
        return DecisionPlan(case.id, outcome, alerts, people)
    credits = set(named_credits(session, alerts, people)) | set(transfer_ids)
    reversals = tuple(_left_to_reverse(session, case.id, credits))
    stations = {a.station_id for a in alerts if a.subject_kind == "station_month" and a.station_id}
    return DecisionPlan(
        case.id,
        outcome,
        alerts,
        people,
        reversals=reversals,
        minutes=_minutes(session, reversals),
        organisations=tuple(sorted(set(organisation_ids) | stations)),
    )
