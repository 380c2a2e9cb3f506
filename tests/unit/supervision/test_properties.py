"""Hypothesis: honest histories stay silent, and the night arithmetic matches a clock."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.demo.synth import make_honest_city
from timebank.supervision.detection.epoch import night_seconds
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.schedule import overlap
from timebank.supervision.detection.rules.single_visit import late_night
from timebank.supervision.detection.tables import VisitTable

from .factories import local, visit

P = DetectorParams()

# One honest day: visits between 06:00 and 22:00 local, one after another, never overlapping.
day_plan = st.lists(
    st.tuples(st.integers(0, 120), st.integers(15, 240)),  # gap before, duration (minutes)
    min_size=1,
    max_size=6,
)


@st.composite
def honest_history(draw):
    visits = []
    for volunteer in range(1, draw(st.integers(1, 3)) + 1):
        for day in draw(st.lists(st.integers(1, 28), min_size=1, max_size=5, unique=True)):
            clock = local(day, 6)
            end_of_day = local(day, 22)
            for gap, minutes in draw(day_plan):
                start = clock + timedelta(minutes=gap)
                if start + timedelta(minutes=minutes) > end_of_day:
                    break
                visits.append(visit(start, minutes, volunteer=volunteer, elder=volunteer + 50))
                clock = start + timedelta(minutes=minutes)
    return visits


@given(honest_history())
@settings(max_examples=60, deadline=None)
def test_honest_days_raise_no_overlap_or_late_night(visits):
    table = VisitTable.from_visits(visits)
    assert overlap(table, P) == []
    assert late_night(table, P) == []


@given(honest_history(), st.integers(1, 59))
@settings(max_examples=40, deadline=None)
def test_a_claim_inside_another_visit_is_always_caught(visits, into):
    host = max(visits, key=lambda v: v.end - v.start)
    length = int((host.end - host.start).total_seconds() // 60)
    into = min(into, length - 1)
    if length - into <= P.overlap_tolerance_minutes:
        return
    extra = visit(host.start + timedelta(minutes=into), 30, volunteer=host.volunteer_id, elder=99)
    alerts = overlap(VisitTable.from_visits([*visits, extra]), P)
    assert str(extra.id) in {a.subject_id for a in alerts}


@given(
    st.integers(0, 7 * 24 * 60), st.integers(0, 3 * 24 * 60), st.integers(0, 23), st.integers(0, 23)
)
@settings(max_examples=200, deadline=None)
def test_night_seconds_match_a_minute_by_minute_count(start_min, length, night_start, night_end):
    start = local(4, 0) + timedelta(minutes=start_min)
    minutes = [start + timedelta(minutes=i) for i in range(length)]
    hours = [(m + timedelta(hours=8)).hour for m in minutes]  # UTC+8 wall clock
    if night_start > night_end:
        expected = sum(h >= night_start or h < night_end for h in hours)
    else:
        expected = sum(night_start <= h < night_end for h in hours)
    t0 = int(start.timestamp())
    got = night_seconds(np.array([t0]), np.array([t0 + length * 60]), night_start, night_end)
    assert got[0] == expected * 60


@given(st.integers(0, 10_000))
@settings(max_examples=5, deadline=None)
def test_generated_honest_cities_raise_no_overlap_or_late_night(seed):
    city = make_honest_city(3_000, seed)
    assert overlap(city.visits, P) == []
    assert late_night(city.visits, P) == []
