"""Dispatch on small hand-made cases whose right answer is obvious."""

from __future__ import annotations

import pytest

from tests.support.matching_city import synthetic_city
from tests.unit.matching.factories import DAY, HOUR, LAT, need, volunteer
from timebank.errors import InvalidInput
from timebank.matching.models import DispatchParams, Interval
from timebank.matching.solver import dispatch, exact_optimum, greedy_nearest_first

NORTH_1KM = 0.008993  # degrees of latitude per kilometre, near enough


def test_optimal_beats_nearest_first() -> None:
    # Volunteer 1 sits between both needs; greedy gives it need 1 and strands need 2.
    needs = [need(1, lat=LAT + 0.1 * NORTH_1KM), need(2, lat=LAT - 0.5 * NORTH_1KM)]
    vols = [volunteer(1), volunteer(2, lat=LAT + 1.2 * NORTH_1KM, radius_m=1500)]
    best = dispatch(needs, vols)
    assert [(a.need_id, a.volunteer_id) for a in best.assignments] == [(1, 2), (2, 1)]
    greedy = greedy_nearest_first(needs, vols)
    assert len(greedy.assignments) == 1
    assert greedy.unmatched[0].need_id == 2
    assert greedy.unmatched[0].reason == "volunteers_taken"
    assert best.objective == exact_optimum(needs, vols).objective < greedy.objective


def test_one_volunteer_gets_at_most_one_need_per_batch() -> None:
    morning = need(1)
    afternoon = need(2, earliest_start=DAY + 14 * HOUR, latest_start=DAY + 14 * HOUR)
    result = dispatch([morning, afternoon], [volunteer(1)])
    assert len(result.assignments) == 1
    assert result.unmatched[0].reason == "volunteers_taken"


def test_fairness_prefers_the_less_busy_of_two_about_equally_near() -> None:
    nearer_but_busy = volunteer(1, workload_min=600)
    idle = volunteer(2, lat=LAT + 0.1 * NORTH_1KM)  # 100 m further; 10 h of work is 500 m
    assert dispatch([need(1)], [nearer_but_busy, idle]).assignments[0].volunteer_id == 2
    unfair = DispatchParams(metres_per_workload_hour=0)
    picked = dispatch([need(1)], [nearer_but_busy, idle], params=unfair).assignments[0]
    assert picked.volunteer_id == 1


def test_waiting_costs_like_travel() -> None:
    flexible = need(1, latest_start=DAY + 12 * HOUR)
    near_but_late = volunteer(1, windows=(Interval(DAY + 11 * HOUR, DAY + 18 * HOUR),))
    far_but_free = volunteer(2, lat=LAT + 1 * NORTH_1KM)
    picked = dispatch([flexible], [near_but_late, far_but_free]).assignments[0]
    assert (picked.volunteer_id, picked.start) == (2, DAY + 9 * HOUR)  # 2 h wait > 1 km
    patient = DispatchParams(metres_per_wait_minute=1)
    picked = dispatch([flexible], [near_but_late, far_but_free], params=patient).assignments[0]
    assert (picked.volunteer_id, picked.start) == (1, DAY + 11 * HOUR)


@pytest.mark.parametrize(
    ("vol_kw", "reason"),
    [
        ({"categories": ("training",)}, "category"),
        ({"lat": LAT + 5 * NORTH_1KM}, "radius"),
        ({"windows": (Interval(DAY + 17 * HOUR, DAY + 20 * HOUR),)}, "availability"),
        ({"booked": (Interval(DAY + 9 * HOUR, DAY + 10 * HOUR),)}, "overlap"),
        ({"guardian_id": 9}, "minor_without_guardian"),
    ],
)
def test_unmatched_needs_say_which_rule_bound(vol_kw: dict[str, object], reason: str) -> None:
    result = dispatch([need(1)], [volunteer(1, **vol_kw)])
    assert result.assignments == ()
    assert [(u.need_id, u.reason) for u in result.unmatched] == [(1, reason)]
    assert result.objective == DispatchParams().unmatched_penalty


def test_no_volunteers_serving_the_category() -> None:
    assert dispatch([need(1, category="legal_aid")], []).unmatched[0].reason == "category"


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(InvalidInput):
        dispatch([need(1), need(1)], [volunteer(1)])
    with pytest.raises(InvalidInput):
        dispatch([need(1)], [volunteer(1), volunteer(1)])


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError):
        dispatch([need(1)], [volunteer(1)], k=0)


def test_synthetic_city_sparse_matches_the_exact_optimum() -> None:
    needs, vols = synthetic_city(400, 800, seed=3)
    assert synthetic_city(400, 800, seed=3) == (needs, vols)
    sparse, exact = dispatch(needs, vols, k=10), exact_optimum(needs, vols)
    assert len(sparse.assignments) == len(exact.assignments) > 250
    assert sparse.objective == exact.objective
    assert sparse.candidate_arcs < exact.candidate_arcs


def test_weights_must_be_whole_and_in_range() -> None:
    with pytest.raises(InvalidInput) as e:
        DispatchParams(metres_per_wait_minute=-1)
    assert e.value.field == "metres_per_wait_minute"
    with pytest.raises(InvalidInput):
        DispatchParams(unmatched_penalty=10**13)


def test_equidistant_volunteers_never_hide_the_feasible_one() -> None:
    # Everyone at one address: the KD-tree may rank equal distances differently for different
    # k, so widening a search must restart from the nearest (a shrunk Hypothesis failure).
    needs = [need(i, earliest_start=DAY, latest_start=DAY, duration_s=1800) for i in range(1, 12)]
    late = (Interval(DAY + 1800, DAY + 3600),)
    vols = [volunteer(i, windows=late) for i in (1, 2, 3)]
    vols.append(volunteer(4, windows=(Interval(DAY, DAY + 1800),)))
    result = dispatch(needs, vols, k=1, k_volunteer=0)
    assert [(a.need_id, a.volunteer_id) for a in result.assignments] != []
    assert {u.reason for u in result.unmatched} == {"volunteers_taken"}
