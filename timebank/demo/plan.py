"""What a demo city is made of: its size, its seed, and the knobs of its behaviour.

Everything random in the demo draws from one ``random.Random(seed)`` in a fixed order, so the
same seed and size build the same city, id for id and minute for minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from timebank.demo.draw import Draw


class Size(StrEnum):
    SMALL = "small"  # ≈ 1,500 people, ≈ 15,000 transfers: seconds on SQLite
    CITY = "city"  # ≈ 100,000 people, ≈ 1,000,000 transfers: minutes on PostgreSQL


PEOPLE = {Size.SMALL: 1_500, Size.CITY: 100_000}


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    size: Size
    people: int
    # Population.
    elder_share: float = 0.45  # the rest volunteer
    second_station_share: float = 0.4  # streets with two stations rather than one
    qualified_share: float = 0.06  # volunteers holding a verified professional licence
    registered_before_start: float = 0.78  # the rest join during the demo year
    # Activity: service slots per volunteer per ordinary weekday (activity varies ~20-fold).
    slots_per_volunteer_day: float = 0.045
    community_share: float = 0.25  # station-organised group activities, paid by nobody
    unfunded_to_community: float = 0.5  # an unfunded need becomes a group activity this often
    cancel_chance: float = 0.03  # a paid need the elder calls off the day before
    # Money of the time bank (minutes).
    gift_month_chance: float = 0.7  # a volunteer with elderly kin tops them up this month
    gift_share: float = 0.9  # of the volunteer's available coins, at most
    donation_month_chance: float = 0.2
    allocation_minutes: int = 300  # monthly pool allocation to a priority elder running low
    allocation_below: int = 120  # ... whose usable coins are below this
    reversal_chance: float = 0.001  # a confirmed visit later found recorded twice

    @property
    def prefix(self) -> str:
        """Idempotency keys start with this, so a retried run cannot post twice."""
        return f"demo:{self.seed}"

    def rng(self, stream: str) -> Draw:
        """An independent generator per stream, so changing one phase never shifts another."""
        return Draw(f"{self.seed}:{stream}")


def make_plan(seed: int, size: Size | str) -> DemoPlan:
    size = Size(size)
    return DemoPlan(seed=seed, size=size, people=PEOPLE[size])
