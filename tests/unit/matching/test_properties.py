"""Properties of dispatch over random crowded towns (Hypothesis)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.matching.factories import towns
from timebank.matching.arrays import need_arrays, pair_fit, servable_in_time, volunteer_arrays
from timebank.matching.candidates import full_graph, sparse_graph
from timebank.matching.models import DispatchResult, Need, Volunteer
from timebank.matching.rules import (
    RULES,
    earliest_fit,
    evaluate,
    free_segments,
    haversine_m,
    is_feasible,
)
from timebank.matching.solver import dispatch, exact_optimum, greedy_nearest_first

Town = tuple[list[Need], list[Volunteer]]


def check_sound(needs: list[Need], vols: list[Volunteer], result: DispatchResult) -> None:
    """Never an infeasible pair, never a double booking, every need accounted for once."""
    by_need = {n.id: n for n in needs}
    by_vol = {v.id: v for v in vols}
    for a in result.assignments:
        n, v = by_need[a.need_id], by_vol[a.volunteer_id]
        fit = evaluate(n, v)
        assert fit.reason is None
        assert a.start == fit.start
        assert a.travel_m == round(haversine_m(v.lat, v.lon, n.lat, n.lon))
    taken = [a.volunteer_id for a in result.assignments]
    assert len(taken) == len(set(taken))
    accounted = [a.need_id for a in result.assignments] + [u.need_id for u in result.unmatched]
    assert sorted(accounted) == sorted(by_need)
    for u in result.unmatched:
        feasible = [v for v in vols if is_feasible(by_need[u.need_id], v) is None]
        if u.reason == "volunteers_taken":
            assert feasible
        else:
            assert u.reason in RULES
            assert not feasible


@given(towns(), st.integers(1, 4), st.integers(0, 3))
def test_dispatch_is_sound(town: Town, k: int, kv: int) -> None:
    needs, vols = town
    check_sound(needs, vols, dispatch(needs, vols, k=k, k_volunteer=kv))


@settings(max_examples=50)
@given(towns(), st.integers(1, 4), st.integers(0, 3), st.randoms(use_true_random=False))
def test_same_input_same_output_in_any_order(
    town: Town, k: int, kv: int, rnd: random.Random
) -> None:
    needs, vols = town
    first = dispatch(needs, vols, k=k, k_volunteer=kv)
    assert dispatch(needs, vols, k=k, k_volunteer=kv) == first
    shuffled_needs, shuffled_vols = list(needs), list(vols)
    rnd.shuffle(shuffled_needs)
    rnd.shuffle(shuffled_vols)
    assert dispatch(shuffled_needs, shuffled_vols, k=k, k_volunteer=kv) == first


@settings(max_examples=60)
@given(towns(), st.integers(1, 4), st.integers(0, 3))
def test_sparse_is_never_better_than_exact_and_exact_beats_greedy(
    town: Town, k: int, kv: int
) -> None:
    needs, vols = town
    exact = exact_optimum(needs, vols)
    check_sound(needs, vols, exact)
    greedy = greedy_nearest_first(needs, vols)
    check_sound(needs, vols, greedy)
    assert exact.objective <= dispatch(needs, vols, k=k, k_volunteer=kv).objective
    assert exact.objective <= greedy.objective
    # With every volunteer a candidate the sparse graph is the full one.
    assert dispatch(needs, vols, k=max(1, len(vols))).objective == exact.objective


@settings(max_examples=60)
@given(towns())
def test_vectorised_rules_agree_with_the_scalar_rules(town: Town) -> None:
    needs, vols = town
    na = need_arrays(needs)
    va = volunteer_arrays(vols, na)
    ni, vi = (a.ravel().astype(np.int64) for a in np.indices((len(needs), len(vols))))
    ok, start, _ = pair_fit(na, va, ni, vi)
    for j in range(len(ni)):
        fit = evaluate(na.needs[ni[j]], va.volunteers[vi[j]])
        assert ok[j] == (fit.reason is None)
        if ok[j]:
            assert start[j] == fit.start
    anyone = servable_in_time(na, va, np.arange(len(needs)), np.arange(len(vols)))
    for n, need in enumerate(na.needs):
        fits = [earliest_fit(need, free_segments(v)) is not None for v in va.volunteers]
        assert anyone[n] == any(fits)
    full = full_graph(na, va, chunk=3)  # small chunks exercise the chunking
    assert sorted(zip(full.need.tolist(), full.volunteer.tolist(), strict=True)) == sorted(
        zip(ni[ok].tolist(), vi[ok].tolist(), strict=True)
    )


def nearest(travel: np.ndarray, kept: np.ndarray, k: int) -> None:
    """``kept`` holds the ``k`` shortest of ``travel`` (ties may go either way)."""
    everything, kept = np.sort(travel), np.sort(kept)
    assert len(kept) >= min(k, len(everything))
    assert (kept[: min(k, len(everything))] == everything[: min(k, len(everything))]).all()


@settings(max_examples=50)
@given(towns(), st.integers(1, 4), st.integers(0, 3))
def test_sparse_graph_keeps_the_k_nearest_feasible(town: Town, k: int, kv: int) -> None:
    needs, vols = town
    na = need_arrays(needs)
    va = volunteer_arrays(vols, na)
    full, sparse = full_graph(na, va), sparse_graph(na, va, k, k_volunteer=kv)
    pairs = set(zip(sparse.need.tolist(), sparse.volunteer.tolist(), strict=True))
    assert pairs <= set(zip(full.need.tolist(), full.volunteer.tolist(), strict=True))
    assert len(pairs) == len(sparse)  # no pair twice
    for n in range(len(needs)):
        nearest(full.travel_m[full.need == n], sparse.travel_m[sparse.need == n], k)
    for v in range(len(vols)):
        for c in range(len(na.categories)):
            mine = na.category[full.need] == c
            nearest(
                full.travel_m[(full.volunteer == v) & mine],
                sparse.travel_m[(sparse.volunteer == v) & (na.category[sparse.need] == c)],
                kv,
            )
    if kv == 0:
        assert np.bincount(sparse.need, minlength=len(needs)).max(initial=0) <= k
