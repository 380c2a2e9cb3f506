"""Batch dispatch: open needs to volunteers by min-cost flow over feasible arcs.

Network: each need supplies one unit; it flows to the sink through a volunteer (cost = travel
+ waiting + the volunteer's workload, all in metres) or through its own "unmatched" arc at a
large penalty, so every need ends matched or reported. Each volunteer passes at most one unit
per batch. Capacity one is the sound choice: the flow cannot see time, so two units through
one volunteer could be two overlapping visits; with one, a batch never double-books anyone,
and the fairness term (workload so far) decides who among near volunteers gets the next need.
A second batch, with the first batch's visits in ``booked``, gives busy districts more.

Determinism: rows are sorted by id and arcs are built in one canonical order, so the solver
sees the same network for the same needs and volunteers in any input order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from timebank.matching.arrays import (
    IntArray,
    NeedArrays,
    VolunteerArrays,
    need_arrays,
    volunteer_arrays,
)
from timebank.matching.candidates import (
    CategoryIndex,
    Graph,
    category_indexes,
    full_graph,
    sparse_graph,
)
from timebank.matching.models import (
    Assignment,
    DispatchParams,
    DispatchResult,
    Need,
    Unmatched,
    Volunteer,
)
from timebank.matching.rules import RULES, evaluate

DEFAULT_K = 20
DEFAULT_K_VOLUNTEER = 5
EXPLAIN_NEAREST = 32  # volunteers of the category looked at to say why a need went unmatched


def dispatch(
    needs: Iterable[Need],
    volunteers: Iterable[Volunteer],
    *,
    k: int = DEFAULT_K,
    k_volunteer: int = DEFAULT_K_VOLUNTEER,
    params: DispatchParams = DispatchParams(),
) -> DispatchResult:
    """Optimal assignment over each need's ``k`` nearest feasible volunteers and each
    volunteer's ``k_volunteer`` nearest feasible needs (per category it serves)."""
    na, va, indexes = _prepare(needs, volunteers)
    graph = sparse_graph(na, va, k, indexes, k_volunteer=k_volunteer)
    return _optimise(na, va, indexes, graph, params)


def exact_optimum(
    needs: Iterable[Need],
    volunteers: Iterable[Volunteer],
    *,
    params: DispatchParams = DispatchParams(),
) -> DispatchResult:
    """The optimum over every feasible pair: the yardstick for ``dispatch``."""
    na, va, indexes = _prepare(needs, volunteers)
    return _optimise(na, va, indexes, full_graph(na, va), params)


def greedy_nearest_first(
    needs: Iterable[Need],
    volunteers: Iterable[Volunteer],
    *,
    k: int | None = None,
    params: DispatchParams = DispatchParams(),
) -> DispatchResult:
    """Baseline: take feasible pairs shortest trip first while both sides are free (over every
    feasible pair, or each need's ``k`` nearest)."""
    na, va, indexes = _prepare(needs, volunteers)
    graph = full_graph(na, va) if k is None else sparse_graph(na, va, k, indexes)
    order = np.lexsort((graph.volunteer, graph.need, graph.travel_m))
    need_free = [True] * len(na.ids)
    vol_free = [True] * len(va.ids)
    chosen: list[int] = []
    limit = min(len(need_free), len(vol_free))
    for arc, n, v in zip(
        order.tolist(), graph.need[order].tolist(), graph.volunteer[order].tolist(), strict=True
    ):
        if need_free[n] and vol_free[v]:
            need_free[n] = vol_free[v] = False
            chosen.append(arc)
            if len(chosen) == limit:
                break
    return _result(na, va, indexes, graph, np.array(sorted(chosen), dtype=np.int64), params)


def _prepare(
    needs: Iterable[Need], volunteers: Iterable[Volunteer]
) -> tuple[NeedArrays, VolunteerArrays, list[CategoryIndex | None]]:
    na = need_arrays(needs)
    va = volunteer_arrays(volunteers, na)
    return na, va, category_indexes(va)


def _optimise(
    na: NeedArrays,
    va: VolunteerArrays,
    indexes: list[CategoryIndex | None],
    graph: Graph,
    params: DispatchParams,
) -> DispatchResult:
    chosen = _flow(na, graph, arc_costs(na, va, graph, params), params)
    return _result(na, va, indexes, graph, chosen, params)


def arc_costs(
    na: NeedArrays, va: VolunteerArrays, graph: Graph, params: DispatchParams
) -> IntArray:
    """Integer cost per arc in metres: travel, waiting past the earliest start, and workload."""
    wait_s = graph.start - na.earliest[graph.need]
    return (
        graph.travel_m
        + params.metres_per_wait_minute * wait_s // 60
        + params.metres_per_workload_hour * va.workload_min[graph.volunteer] // 60
    )


def _flow(na: NeedArrays, graph: Graph, cost: IntArray, params: DispatchParams) -> IntArray:
    """Indexes of the arcs the min-cost flow uses."""
    n = len(na.ids)
    used, vol_node = np.unique(graph.volunteer, return_inverse=True)
    sink = n + used.size
    arcs = len(graph)
    needs = np.arange(n, dtype=np.int64)
    tails = np.concatenate((graph.need, n + np.arange(used.size), needs))
    heads = np.concatenate(
        (n + vol_node.astype(np.int64), np.full(used.size + n, sink, dtype=np.int64))
    )
    costs = np.concatenate(
        (cost, np.zeros(used.size, np.int64), np.full(n, params.unmatched_penalty))
    )
    smcf = SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), np.ones(tails.size, np.int64), costs
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status!r}")
    flows = smcf.flows(np.arange(arcs, dtype=np.int32))
    return np.flatnonzero(flows > 0).astype(np.int64)


def _result(
    na: NeedArrays,
    va: VolunteerArrays,
    indexes: list[CategoryIndex | None],
    graph: Graph,
    chosen: IntArray,
    params: DispatchParams,
) -> DispatchResult:
    cost = arc_costs(na, va, graph, params)
    assignments: list[Assignment] = []
    unmatched: list[Unmatched] = []
    objective = 0
    done = np.zeros(len(na.ids), dtype=np.bool_)
    for arc in chosen.tolist():
        n, v = int(graph.need[arc]), int(graph.volunteer[arc])
        need, volunteer = na.needs[n], va.volunteers[v]
        done[n] = True
        # The scalar rules have the last word; the arrays only made the search fast (tests hold
        # the two equal, so this never drops anything unless they drift apart).
        fit = evaluate(need, volunteer)
        if fit.reason is not None or fit.start is None:
            unmatched.append(Unmatched(need.id, fit.reason or "availability"))
            objective += params.unmatched_penalty
            continue
        assignments.append(Assignment(need.id, volunteer.id, int(graph.travel_m[arc]), fit.start))
        objective += int(cost[arc])
    has_arc = np.zeros(len(na.ids), dtype=np.bool_)
    has_arc[graph.need] = True
    for n in np.flatnonzero(~done).tolist():
        reason = "volunteers_taken" if has_arc[n] else _explain(na, va, indexes, n)
        unmatched.append(Unmatched(int(na.ids[n]), reason))
        objective += params.unmatched_penalty
    return DispatchResult(
        assignments=tuple(sorted(assignments)),
        unmatched=tuple(sorted(unmatched)),
        objective=objective,
        candidate_arcs=len(graph),
    )


def _explain(
    na: NeedArrays, va: VolunteerArrays, indexes: list[CategoryIndex | None], n: int
) -> str:
    """The furthest rule (in ``RULES`` order) any nearby volunteer of the category passed."""
    index = indexes[int(na.category[n])]
    if index is None:
        return "category"
    ask = min(EXPLAIN_NEAREST, index.everyone.rows.size)
    _, hit = index.everyone.tree.query(na.xyz[n], k=[*range(1, ask + 1)])
    need = na.needs[n]
    deepest = 0
    for i in np.atleast_1d(hit).tolist():
        reason = evaluate(need, va.volunteers[int(index.everyone.rows[i])]).reason
        if reason is not None:
            deepest = max(deepest, RULES.index(reason))
    return RULES[deepest]
