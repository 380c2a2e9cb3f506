"""A volunteer's nearby list and accepting from it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from tests.unit.matching.factories import DAY, HOUR, LAT, need, towns, volunteer
from timebank.errors import RuleViolation
from timebank.matching.models import Interval, Need, Volunteer
from timebank.matching.nearby import NearbyWeights, accept, build_need_index, nearby
from timebank.matching.rules import evaluate, is_feasible

NORTH_1KM = 0.008993


def test_ranked_by_distance_wait_preference_and_rating() -> None:
    index = build_need_index(
        [
            need(1, lat=LAT + 2 * NORTH_1KM),
            need(2, lat=LAT + 0.5 * NORTH_1KM),
            need(3, lat=LAT + 0.4 * NORTH_1KM, category="emotional_comfort"),  # less preferred
            need(4, earliest_start=DAY + 20 * HOUR, latest_start=DAY + 20 * HOUR),  # no time
            need(5, lat=LAT + 0.5 * NORTH_1KM, elder_rating=5.0),
        ]
    )
    v = volunteer(categories=("assistance", "emotional_comfort"))
    assert [r.need_id for r in nearby(v, index)] == [5, 2, 3, 1]
    assert [r.need_id for r in nearby(v, index, limit=2)] == [5, 2]
    by_distance = NearbyWeights(per_wait_hour=0, per_preference_step=0, per_rating_star=0)
    assert [r.need_id for r in nearby(v, index, weights=by_distance)] == [3, 2, 5, 1]


def test_wait_is_reported_and_ranked() -> None:
    index = build_need_index([need(1, latest_start=DAY + 12 * HOUR)])
    busy = volunteer(booked=(Interval(DAY + 8 * HOUR, DAY + 10 * HOUR),))
    (row,) = nearby(busy, index)
    assert (row.start, row.wait_s) == (DAY + 10 * HOUR, HOUR)


def test_empty_index() -> None:
    assert nearby(volunteer(), build_need_index([])) == []


@settings(max_examples=50)
@given(towns(max_needs=20, max_volunteers=4))
def test_lists_exactly_the_feasible_needs(town: tuple[list[Need], list[Volunteer]]) -> None:
    needs, vols = town
    index = build_need_index(needs)
    for v in vols:
        rows = nearby(v, index, limit=len(needs))
        assert sorted(r.need_id for r in rows) == sorted(
            n.id for n in needs if is_feasible(n, v) is None
        )
        by_id = {n.id: n for n in needs}
        for r in rows:
            assert r.start == evaluate(by_id[r.need_id], v).start
        assert [r.score for r in rows] == sorted(r.score for r in rows)


def test_accept_returns_the_assignment_or_names_the_rule() -> None:
    assert accept(need(1), volunteer(2)).start == DAY + 9 * HOUR
    with pytest.raises(RuleViolation) as e:
        accept(need(1, category="legal_aid"), volunteer(2))
    assert e.value.rule == "category"
