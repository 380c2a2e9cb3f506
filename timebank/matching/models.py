"""Plain values the matching core takes and returns: no ORM, no settings, no clock.

Times are integer epoch seconds (UTC); intervals are half-open ``[start, end)`` so a visit ending
at 10:00 and one starting at 10:00 do not overlap. Ids are the database's integer ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from timebank.errors import InvalidInput


def epoch_s(at: datetime) -> int:
    """Whole epoch seconds of an aware datetime; naive ones are refused, never guessed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("matching needs aware datetimes", field="at")
    return math.floor(at.timestamp())


@dataclass(frozen=True, slots=True)
class Interval:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(f"interval ends before it starts: {self}", field="end")


@dataclass(frozen=True, slots=True)
class Qualification:
    kind: str  # lawyer, financial, medical… (Policy.qualification_types)
    verified: bool
    expires_at: int | None = None  # None: does not expire


@dataclass(frozen=True, slots=True)
class Need:
    """An open, reviewed need. The visit may start anywhere in ``[earliest_start, latest_start]``;
    a fixed appointment has both equal. Starting later than ``earliest_start`` is waiting."""

    id: int
    category: str
    lat: float
    lon: float
    earliest_start: int
    latest_start: int
    duration_s: int
    qualification: str | None = None  # required kind for professional items
    attendee_ids: frozenset[int] = frozenset()  # people already attending (a minor's guardian)
    elder_rating: float = 0.0  # 0–5, how volunteers rated visiting this elder

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise InvalidInput(f"need {self.id}: duration must be positive", field="duration_s")
        if self.latest_start < self.earliest_start:
            raise InvalidInput(f"need {self.id}: latest before earliest", field="latest_start")
        _check_position(self.id, self.lat, self.lon)

    @property
    def latest_end(self) -> int:
        return self.latest_start + self.duration_s


@dataclass(frozen=True, slots=True)
class Volunteer:
    """An active volunteer as dispatch sees them.

    ``categories`` is in order of preference (first = most wanted). ``guardian_id`` is set only
    for a minor. ``workload_min`` is what they served in the fairness period, so dispatch can
    spread work; ``booked`` are visits already accepted, which new ones must not overlap.
    """

    id: int
    lat: float
    lon: float
    radius_m: float
    categories: tuple[str, ...]
    windows: tuple[Interval, ...]
    booked: tuple[Interval, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    guardian_id: int | None = None
    workload_min: int = 0

    def __post_init__(self) -> None:
        if not self.radius_m >= 0:
            raise InvalidInput(f"volunteer {self.id}: radius must be ≥ 0", field="radius_m")
        if self.workload_min < 0:
            raise InvalidInput(f"volunteer {self.id}: workload must be ≥ 0", field="workload_min")
        _check_position(self.id, self.lat, self.lon)


def _check_position(row: int, lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InvalidInput(f"{row}: position ({lat}, {lon}) is not on Earth", field="lat")


class Assignment(NamedTuple):
    need_id: int
    volunteer_id: int
    travel_m: int
    start: int


class Unmatched(NamedTuple):
    need_id: int
    reason: str  # a rule name, or "volunteers_taken" when feasible ones went to other needs


@dataclass(frozen=True, slots=True)
class DispatchParams:
    """Weights turning waiting and workload into metres of travel, so one integer cost compares
    them (an hour's wait = 1.2 km; ten hours served this period = 500 m).

    Leaving a need unmatched costs 1,000 km: about a hundred times the dearest arc when radii
    are under 10 km, so the flow gives up a match only if it would have to reshuffle a hundred
    others to make it. Larger penalties change nothing in practice and slow the solver down
    (cost scaling runs one phase per doubling of the largest cost)."""

    metres_per_wait_minute: int = 20
    metres_per_workload_hour: int = 50
    unmatched_penalty: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("metres_per_wait_minute", "metres_per_workload_hour", "unmatched_penalty"):
            value = getattr(self, name)
            # The flow's integer costs must stay far inside int64 once scaled by the solver.
            if not isinstance(value, int) or not 0 <= value <= 10**12:
                raise InvalidInput(f"{name} must be a whole number in 0..10^12", field=name)


@dataclass(frozen=True, slots=True)
class DispatchResult:
    assignments: tuple[Assignment, ...]  # sorted by need id
    unmatched: tuple[Unmatched, ...]  # sorted by need id
    objective: int  # the flow's cost, unmatched penalties included
    candidate_arcs: int  # need→volunteer arcs the solver saw

    @property
    def total_travel_m(self) -> int:
        return sum(a.travel_m for a in self.assignments)

    @property
    def match_rate(self) -> float:
        total = len(self.assignments) + len(self.unmatched)
        return len(self.assignments) / total if total else 1.0
