"""The retry schedule: exponential, capped, and given up after the configured attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from timebank.notices.rules import Retry

M = timedelta(minutes=1)


def test_the_default_schedule_doubles_from_a_minute_and_gives_up_after_five() -> None:
    retry = Retry()
    assert retry.schedule() == [1 * M, 2 * M, 4 * M, 8 * M]
    assert [retry.gives_up_after(n) for n in range(1, 6)] == [False] * 4 + [True]


def test_waits_are_capped() -> None:
    retry = Retry(max_attempts=30, first=M, longest=timedelta(hours=1))
    assert retry.delay_after(7) == 60 * M  # 64 min capped at 60
    assert retry.delay_after(1000) == 60 * M  # no overflow


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        Retry().delay_after(0)
