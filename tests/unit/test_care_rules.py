"""The need and visit state machines, check-in windows and payments, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from timebank.care import rules
from timebank.care.models import NEED_STATES, VISIT_STATES
from timebank.errors import Conflict

NEED_ALLOWED = {
    ("pending_review", "open"),
    ("pending_review", "rejected"),
    ("pending_review", "cancelled"),
    ("pending_review", "expired"),
    ("open", "assigned"),
    ("open", "cancelled"),
    ("open", "expired"),
    ("assigned", "in_progress"),
    ("assigned", "open"),
    ("assigned", "cancelled"),
    ("in_progress", "completed"),
    ("completed", "confirmed"),
    ("completed", "disputed"),
    ("disputed", "confirmed"),
    ("disputed", "cancelled"),
}
VISIT_ALLOWED = {
    ("scheduled", "checked_in"),
    ("scheduled", "no_show"),
    ("scheduled", "cancelled"),
    ("checked_in", "checked_out"),
    ("checked_out", "confirmed"),
    ("checked_out", "disputed"),
    ("disputed", "confirmed"),
    ("disputed", "rejected"),
    ("pending_approval", "confirmed"),
    ("pending_approval", "rejected"),
}


@pytest.mark.parametrize("old", NEED_STATES)
@pytest.mark.parametrize("new", NEED_STATES)
def test_every_need_transition_is_allowed_or_refused(old: str, new: str) -> None:
    if (old, new) in NEED_ALLOWED:
        rules.require_move(rules.NEED_FLOW, "need", old, new)
    else:
        with pytest.raises(Conflict) as err:
            rules.require_move(rules.NEED_FLOW, "need", old, new)
        assert err.value.rule == "need_state"


@pytest.mark.parametrize("old", VISIT_STATES)
@pytest.mark.parametrize("new", VISIT_STATES)
def test_every_visit_transition_is_allowed_or_refused(old: str, new: str) -> None:
    assert rules.can_move(rules.VISIT_FLOW, old, new) == ((old, new) in VISIT_ALLOWED)


def test_final_states_are_final() -> None:
    for final in ("confirmed", "rejected", "cancelled", "expired"):
        assert not rules.NEED_FLOW.get(final)
    for final in ("confirmed", "rejected", "no_show", "cancelled"):
        assert not rules.VISIT_FLOW.get(final)


def test_check_in_window() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    end = start + timedelta(hours=2)
    assert rules.check_in_window_ok(start, end, start - timedelta(minutes=30))
    assert not rules.check_in_window_ok(start, end, start - timedelta(minutes=31))
    assert rules.check_in_window_ok(start, end, end)
    assert not rules.check_in_window_ok(start, end, end + timedelta(seconds=1))


def test_duration_and_payment() -> None:
    t = datetime(2026, 3, 2, tzinfo=UTC)
    assert rules.duration_minutes(t, t + timedelta(minutes=89, seconds=59)) == 89
    assert rules.duration_minutes(t, t - timedelta(minutes=5)) == 0
    assert rules.payment_minutes(89, 120, 30) == 60
    assert rules.payment_minutes(200, 120, 30) == 120  # never more than was held
