"""The named feasibility rules for giving one need to one volunteer.

These scalar functions are the authority. The vectorised filter in ``arrays`` only makes them
fast, and tests check that the two agree; dispatch re-checks every assignment here as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from timebank.geodesy import haversine_m
from timebank.matching.models import Interval, Need, Volunteer

__all__ = [
    "RULES",
    "Fit",
    "category_ok",
    "earliest_fit",
    "evaluate",
    "free_segments",
    "guardian_ok",
    "haversine_m",
    "is_feasible",
    "merge",
    "overlaps",
    "qualification_ok",
    "within_radius",
]

# The order rules are checked in. For an unmatched need the last rule any nearby volunteer got
# to is the binding one: "availability" means some volunteer passed category, qualification,
# guardian and radius, so more hours would help, not more recruits in another district.
RULES = ("category", "qualification", "minor_without_guardian", "radius", "availability", "overlap")

Segment = tuple[int, int]


def overlaps(a: Interval, b: Interval) -> bool:
    return a.start < b.end and b.start < a.end


def merge(intervals: Iterable[Interval]) -> list[Segment]:
    """Sorted union; touching intervals join, so 9–12 and 12–15 hold a visit 11–13."""
    out: list[Segment] = []
    for iv in sorted(intervals, key=lambda i: (i.start, i.end)):
        if out and iv.start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], iv.end))
        else:
            out.append((iv.start, iv.end))
    return out


def _subtract(segments: list[Segment], booked: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for a, b in segments:
        cur = a
        for s, e in booked:
            if e <= cur or s >= b:
                continue
            if s > cur:
                out.append((cur, s))
            cur = max(cur, e)
        if cur < b:
            out.append((cur, b))
    return out


def free_segments(volunteer: Volunteer) -> list[Segment]:
    """Available time not yet booked: sorted, disjoint, half-open."""
    return _subtract(merge(volunteer.windows), merge(volunteer.booked))


def earliest_fit(need: Need, segments: Iterable[Segment]) -> int | None:
    """The earliest start in the need's window whose whole visit fits in one segment."""
    for a, b in segments:
        start = max(a, need.earliest_start)
        if start <= need.latest_start and start + need.duration_s <= b:
            return start
    return None


def category_ok(need: Need, volunteer: Volunteer) -> bool:
    return need.category in volunteer.categories


def qualification_ok(need: Need, volunteer: Volunteer) -> bool:
    """Professional items need a verified qualification of the kind, valid until the latest the
    visit could end: dispatch fixes the start later, and check-in tests the same thing again."""
    if need.qualification is None:
        return True
    return any(
        q.kind == need.qualification
        and q.verified
        and (q.expires_at is None or q.expires_at >= need.latest_end)
        for q in volunteer.qualifications
    )


def guardian_ok(need: Need, volunteer: Volunteer) -> bool:
    """A minor serves only in sessions the guardian attends (DESIGN §2)."""
    return volunteer.guardian_id is None or volunteer.guardian_id in need.attendee_ids


def within_radius(distance_m: float, volunteer: Volunteer) -> bool:
    return distance_m <= volunteer.radius_m


@dataclass(frozen=True, slots=True)
class Fit:
    reason: str | None  # the first rule broken, None when feasible
    start: int | None  # earliest feasible start, when feasible
    distance_m: float


def evaluate(need: Need, volunteer: Volunteer) -> Fit:
    distance = haversine_m(volunteer.lat, volunteer.lon, need.lat, need.lon)
    if not category_ok(need, volunteer):
        return Fit("category", None, distance)
    if not qualification_ok(need, volunteer):
        return Fit("qualification", None, distance)
    if not guardian_ok(need, volunteer):
        return Fit("minor_without_guardian", None, distance)
    if not within_radius(distance, volunteer):
        return Fit("radius", None, distance)
    if earliest_fit(need, merge(volunteer.windows)) is None:
        return Fit("availability", None, distance)
    start = earliest_fit(need, free_segments(volunteer))
    if start is None:
        return Fit("overlap", None, distance)
    return Fit(None, start, distance)


def is_feasible(need: Need, volunteer: Volunteer) -> str | None:
    """None when the volunteer may take the need, else the name of the first rule broken."""
    return evaluate(need, volunteer).reason
