"""Dispatch benchmark on a synthetic Beijing (DESIGN §5: < 10 s, optimal, nearby list < 50 ms).

    .venv/bin/python bench/matching.py --needs 10000 --volunteers 20000 --seed 1

Times sparse dispatch (k nearest feasible per need and per volunteer, min-cost flow), checks
it against the exact min-cost-flow optimum over every feasible pair and a greedy nearest-first
baseline, checks every assignment against the scalar rules, and times the nearby list.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.matching_city import synthetic_city
from timebank.matching.arrays import need_arrays, volunteer_arrays
from timebank.matching.candidates import category_indexes, sparse_graph
from timebank.matching.models import DispatchParams, DispatchResult, Need, Volunteer
from timebank.matching.nearby import build_need_index, nearby
from timebank.matching.rules import is_feasible
from timebank.matching.solver import dispatch, exact_optimum, greedy_nearest_first

T = TypeVar("T")
PENALTY = DispatchParams().unmatched_penalty


class Timed(NamedTuple, Generic[T]):
    value: T
    wall: float
    cpu: float  # process time: less disturbed than wall time when the machine is shared


def timed(fn: Callable[[], T]) -> Timed[T]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return Timed(value, time.perf_counter() - wall, time.process_time() - cpu)


def best_of(n: int, fn: Callable[[], T]) -> Timed[T]:
    """The fastest of ``n`` runs (wall and cpu minimised separately): on a shared machine the
    minimum is the figure least disturbed by other work."""
    runs = [timed(fn) for _ in range(max(1, n))]
    return Timed(runs[0].value, min(r.wall for r in runs), min(r.cpu for r in runs))


def stress(
    needs: list[Need], vols: list[Volunteer], seed: int
) -> tuple[list[Need], list[Volunteer]]:
    """The cases that make a naive spatial search scan the city: 15% of needs at 23:00, when
    nobody is free, and 2% of volunteers willing to travel 30 km."""
    rng = np.random.default_rng(seed + 1)
    late = set(rng.choice(len(needs), len(needs) * 15 // 100, replace=False).tolist())
    far = set(rng.choice(len(vols), len(vols) * 2 // 100, replace=False).tolist())
    at = needs[0].earliest_start - needs[0].earliest_start % 86_400 + 15 * 3600  # 23:00 +08
    needs = [
        dataclasses.replace(n, earliest_start=at, latest_start=at) if i in late else n
        for i, n in enumerate(needs)
    ]
    vols = [
        dataclasses.replace(v, radius_m=30_000.0) if i in far else v for i, v in enumerate(vols)
    ]
    return needs, vols


def violations(needs: list[Need], vols: list[Volunteer], r: DispatchResult) -> int:
    """Infeasible pairs plus double bookings: must be 0."""
    by_need, by_vol = {n.id: n for n in needs}, {v.id: v for v in vols}
    bad = sum(
        is_feasible(by_need[a.need_id], by_vol[a.volunteer_id]) is not None for a in r.assignments
    )
    taken = [a.volunteer_id for a in r.assignments]
    return bad + len(taken) - len(set(taken))


def row(name: str, t: Timed[DispatchResult], exact: DispatchResult | None) -> str:
    r, n = t.value, len(t.value.assignments)
    cost = r.objective - PENALTY * len(r.unmatched)  # travel + waiting + workload, matched only
    gap = "—"
    if exact is not None and len(exact.assignments) == n:
        exact_cost = exact.objective - PENALTY * len(exact.unmatched)
        gap = f"{100 * (cost - exact_cost) / exact_cost:+.4f}%"
    elif exact is not None:
        gap = f"{n - len(exact.assignments):+d} matched"
    return (
        f"| {name} | {t.wall:.2f} | {t.cpu:.2f} | {r.candidate_arcs:,} | {n:,} "
        f"| {100 * r.match_rate:.2f}% | {r.total_travel_m / 1000:,.1f} "
        f"| {r.total_travel_m / max(n, 1):,.0f} | {cost:,} | {gap} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--volunteers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, nargs="+", default=[20], help="volunteers per need")
    ap.add_argument("--kv", type=int, nargs="+", default=[5], help="needs per volunteer")
    ap.add_argument("--stress", action="store_true", help="add unservable needs, 30 km radii")
    ap.add_argument("--no-exact", action="store_true", help="skip the full-graph optimum")
    ap.add_argument("--repeat", type=int, default=3, help="dispatch runs; the fastest counts")
    ap.add_argument("--queries", type=int, default=1_000, help="nearby lists to time")
    args = ap.parse_args()

    city = timed(lambda: synthetic_city(args.needs, args.volunteers, seed=args.seed))
    needs, vols = stress(*city.value, args.seed) if args.stress else city.value
    print(f"city: {len(needs):,} needs × {len(vols):,} volunteers, seed {args.seed}", end="")
    print(f"{', stressed' if args.stress else ''} ({city.wall:.2f} s)")

    k, kv = args.k[0], args.kv[0]
    na = timed(lambda: need_arrays(needs))
    va = timed(lambda: volunteer_arrays(vols, na.value))
    idx = timed(lambda: category_indexes(va.value))
    graph = timed(partial(sparse_graph, na.value, va.value, k, idx.value, k_volunteer=kv))
    print(
        f"dispatch k={k} kv={kv} steps (wall s): need arrays {na.wall:.2f}, volunteer arrays "
        f"{va.wall:.2f}, KD-trees {idx.wall:.2f}, candidates {graph.wall:.2f} "
        f"({len(graph.value):,} arcs), then the flow"
    )

    results: list[tuple[str, Timed[DispatchResult]]] = []
    exact = None if args.no_exact else timed(lambda: exact_optimum(needs, vols))
    if exact is not None:
        results.append(("exact, all feasible pairs", exact))
    for k_ in args.k:
        for kv_ in args.kv:
            run = best_of(args.repeat, partial(dispatch, needs, vols, k=k_, k_volunteer=kv_))
            results.append((f"dispatch k={k_} kv={kv_}", run))
    results.append(
        ("greedy nearest-first, all pairs", timed(lambda: greedy_nearest_first(needs, vols)))
    )

    print("\n| method | wall s | cpu s | arcs | matched | rate ", end="")
    print("| travel km | m/visit | cost | vs exact |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, t in results:
        print(row(name, t, exact.value if exact else None))
    print()
    for name, t in results:
        reasons = Counter(u.reason for u in t.value.unmatched).most_common()
        print(f"{name}: violations {violations(needs, vols, t.value)}; unmatched: ", end="")
        print(", ".join(f"{reason} {count}" for reason, count in reasons))
    first = results[1 if exact else 0][1].value
    same = dispatch(needs, vols, k=args.k[0], k_volunteer=args.kv[0]) == first
    print(f"second run of dispatch k={k} kv={kv} identical: {same}")

    # Collect the benchmark's own garbage first (millions of arcs and results from above), so
    # a full collection of it does not land inside one timed query.
    gc.collect()
    index = timed(lambda: build_need_index(needs))
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(vols), size=min(args.queries, len(vols)), replace=False).tolist()
    lists = [timed(partial(nearby, vols[i], index.value)) for i in picks]
    ms = sorted(1000 * t.wall for t in lists)
    print(
        f"\nnearby list over {len(needs):,} open needs (index built in {index.wall:.2f} s), "
        f"{len(picks):,} volunteers: p50 {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms, max {ms[-1]:.2f} ms; "
        f"mean length {statistics.mean(len(t.value) for t in lists):.1f} (limit 20)"
    )


if __name__ == "__main__":
    main()
