"""Retry rules (pure): exponential backoff and when to give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Retry:
    """After failed attempt ``n`` (1-based) wait ``first * 2**(n-1)``, at most ``longest``;
    after ``max_attempts`` failures give up. Defaults: 1 min, 2, 4, 8, then given up
    (docs/policy.md)."""

    max_attempts: int = 5
    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=6)

    def delay_after(self, attempt: int) -> timedelta:
        if attempt < 1:
            raise ValueError("attempts count from 1")
        # Cap the exponent first: 2**attempt overflows timedelta long before it matters.
        doubled = self.first * (2 ** min(attempt - 1, 40))
        return min(doubled, self.longest)

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def schedule(self) -> list[timedelta]:
        """The waits between attempts, first to last (``max_attempts - 1`` of them)."""
        return [self.delay_after(n) for n in range(1, self.max_attempts)]
