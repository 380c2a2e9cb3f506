"""Pure care rules: the need and visit state machines, check-in windows, what is paid."""

from __future__ import annotations

from datetime import datetime, timedelta

from timebank.errors import Conflict

NEED_FLOW: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"open", "rejected", "cancelled", "expired"}),
    "open": frozenset({"assigned", "cancelled", "expired"}),
    "assigned": frozenset({"in_progress", "open", "cancelled"}),
    "in_progress": frozenset({"completed"}),
    "completed": frozenset({"confirmed", "disputed"}),
    "disputed": frozenset({"confirmed", "cancelled"}),
}
VISIT_FLOW: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"checked_in", "no_show", "cancelled"}),
    "checked_in": frozenset({"checked_out"}),
    "checked_out": frozenset({"confirmed", "disputed"}),
    "disputed": frozenset({"confirmed", "rejected"}),
    "pending_approval": frozenset({"confirmed", "rejected"}),
}
EARLY_CHECK_IN = timedelta(minutes=30)
LATE_CHECK_OUT = timedelta(hours=4)
MAX_EXPECTED_MINUTES = 8 * 60
MAX_SERIES = 26  # a half-year of weekly visits


def can_move(flow: dict[str, frozenset[str]], old: str, new: str) -> bool:
    return new in flow.get(old, frozenset())


def require_move(flow: dict[str, frozenset[str]], what: str, old: str, new: str) -> None:
    if not can_move(flow, old, new):
        raise Conflict(f"a {what} that is {old} cannot become {new}", rule=f"{what}_state")


def check_in_window_ok(window_start: datetime, window_end: datetime, at: datetime) -> bool:
    """Check-in is allowed from 30 minutes before the window opens until it closes."""
    return window_start - EARLY_CHECK_IN <= at <= window_end


def duration_minutes(check_in: datetime, check_out: datetime) -> int:
    return max(int((check_out - check_in).total_seconds() // 60), 0)


def payment_minutes(duration: int, held: int, unit: int) -> int:
    """The elder pays for the service received, rounded down to the unit, at most the hold."""
    return min(duration // unit * unit, held)
