"""Builders for needs and volunteers with sensible defaults, and Hypothesis strategies for small
crowded towns where every rule gets exercised."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from timebank.matching.models import Interval, Need, Qualification, Volunteer

DAY = 1_780_000_000 - 1_780_000_000 % 86_400  # a UTC midnight
HOUR = 3600
LAT, LON = 39.9087, 116.3975  # Tiananmen


def need(id: int = 1, **kw: Any) -> Need:
    base: dict[str, Any] = {
        "category": "assistance",
        "lat": LAT,
        "lon": LON,
        "earliest_start": DAY + 9 * HOUR,
        "latest_start": DAY + 9 * HOUR,
        "duration_s": HOUR,
    }
    return Need(id=id, **(base | kw))


def volunteer(id: int = 1, **kw: Any) -> Volunteer:
    base: dict[str, Any] = {
        "lat": LAT,
        "lon": LON,
        "radius_m": 3000.0,
        "categories": ("assistance",),
        "windows": (Interval(DAY + 8 * HOUR, DAY + 18 * HOUR),),
    }
    return Volunteer(id=id, **(base | kw))


CATS = ("assistance", "emotional_comfort", "legal_aid")
grid = st.integers(-10, 10)  # a ~4.4 km square on a ~220 m grid, so distances tie often
slot = st.integers(0, 24).map(lambda h: DAY + h * HOUR // 2)  # 00:00–12:00 on the half hour


@st.composite
def intervals(draw: st.DrawFn, min_size: int, max_size: int, longest: int) -> tuple[Interval, ...]:
    out = []
    for _ in range(draw(st.integers(min_size, max_size))):
        start = draw(slot)
        out.append(Interval(start, start + draw(st.integers(1, longest)) * HOUR // 2))
    return tuple(out)


@st.composite
def needs_st(draw: st.DrawFn, nid: int) -> Need:
    category = draw(st.sampled_from(CATS))
    earliest = draw(slot)
    return Need(
        id=nid,
        category=category,
        lat=LAT + draw(grid) * 0.002,
        lon=LON + draw(grid) * 0.0026,
        earliest_start=earliest,
        latest_start=earliest + draw(st.sampled_from([0, HOUR // 2, 2 * HOUR])),
        duration_s=draw(st.sampled_from([HOUR // 2, HOUR, 2 * HOUR])),
        qualification="lawyer" if category == "legal_aid" else None,
        attendee_ids=frozenset(draw(st.sets(st.integers(1, 3), max_size=2))),
        elder_rating=draw(st.sampled_from([0.0, 3.5, 5.0])),
    )


@st.composite
def volunteers_st(draw: st.DrawFn, vid: int) -> Volunteer:
    quals = draw(
        st.lists(
            st.builds(
                Qualification,
                kind=st.sampled_from(["lawyer", "medical"]),
                verified=st.sampled_from([True, True, False]),
                expires_at=st.one_of(st.none(), slot),
            ),
            max_size=2,
        )
    )
    return Volunteer(
        id=vid,
        lat=LAT + draw(grid) * 0.002,
        lon=LON + draw(grid) * 0.0026,
        radius_m=float(draw(st.sampled_from([3000, 8000, 1500, 800, 0]))),
        categories=tuple(
            draw(st.lists(st.sampled_from(CATS), min_size=1, max_size=3, unique=True))
        ),
        windows=draw(intervals(1, 3, 24)),
        booked=draw(intervals(0, 2, 3)),
        qualifications=tuple(quals),
        guardian_id=draw(st.sampled_from([None] * 5 + [1, 2, 3])),
        workload_min=draw(st.integers(0, 20)) * 30,
    )


@st.composite
def towns(
    draw: st.DrawFn, max_needs: int = 12, max_volunteers: int = 12
) -> tuple[list[Need], list[Volunteer]]:
    """Needs and volunteers with unique ids, in a random order (ids are not positions)."""
    n = draw(st.integers(0, max_needs))
    m = draw(st.integers(0, max_volunteers))
    need_ids = draw(st.permutations(range(1, n + 1)))
    vol_ids = draw(st.permutations(range(1, m + 1)))
    needs = [draw(needs_st(i)) for i in need_ids]
    vols = [draw(volunteers_st(i)) for i in vol_ids]
    return needs, vols
