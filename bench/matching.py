"""Dispatch benchmark on a synthetic Beijing (DESIGN §5: < 10 s, optimal, nearby list < 50 ms).

    .venv/bin/python bench/matching.py --needs 10000 --volunteers 20000 --seed 1

Times sparse dispatch (k nearest feasible per need, min-cost flow), checks it against the exact
min-cost-flow optimum over every feasible pair and a greedy nearest-first baseline, checks every
assignment against the scalar rules, and times a volunteer's nearby list.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timebank.matching.arrays import need_arrays, volunteer_arrays
from timebank.matching.candidates import category_indexes, sparse_graph
from timebank.matching.models import DispatchParams, DispatchResult, Need, Volunteer
from timebank.matching.nearby import build_need_index, nearby
from timebank.matching.rules import is_feasible
from timebank.matching.solver import dispatch, exact_optimum, greedy_nearest_first
from timebank.matching.synthetic import synthetic_city

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def violations(needs: list[Need], vols: list[Volunteer], r: DispatchResult) -> int:
    """Infeasible pairs plus double bookings: must be 0."""
    by_need, by_vol = {n.id: n for n in needs}, {v.id: v for v in vols}
    bad = sum(
        is_feasible(by_need[a.need_id], by_vol[a.volunteer_id]) is not None for a in r.assignments
    )
    taken = [a.volunteer_id for a in r.assignments]
    return bad + len(taken) - len(set(taken))


def row(
    name: str, r: DispatchResult, secs: float, exact: DispatchResult | None, penalty: int
) -> str:
    n = len(r.assignments)
    cost = r.objective - penalty * len(r.unmatched)  # travel + waiting + workload, matched only
    gap = "—"
    if exact is not None:
        if len(exact.assignments) == n:
            exact_cost = exact.objective - penalty * len(exact.unmatched)
            gap = f"{100 * (cost - exact_cost) / exact_cost:+.4f}%"
        else:
            gap = f"{n - len(exact.assignments):+d} matched"
    return (
        f"| {name} | {secs:7.2f} | {r.candidate_arcs:>9,} | {n:>6,} | {100 * r.match_rate:6.2f}% "
        f"| {r.total_travel_m / 1000:10,.1f} | {r.total_travel_m / max(n, 1):7,.0f} "
        f"| {cost:>12,} | {gap} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--volunteers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--k", type=int, nargs="+", default=[20], help="candidates per need (several: a sweep)"
    )
    ap.add_argument("--kv", type=int, nargs="+", default=[5], help="needs per volunteer side")
    ap.add_argument("--no-exact", action="store_true", help="skip the full-graph optimum")
    ap.add_argument("--queries", type=int, default=1_000, help="nearby-list queries to time")
    args = ap.parse_args()

    (needs, vols), secs = timed(lambda: synthetic_city(args.needs, args.volunteers, seed=args.seed))
    print(f"city: {len(needs):,} needs × {len(vols):,} volunteers, seed {args.seed} ({secs:.2f} s)")
    penalty = DispatchParams().unmatched_penalty

    # Where dispatch's time goes (the same steps dispatch() runs, timed one by one).
    na, t_na = timed(lambda: need_arrays(needs))
    va, t_va = timed(lambda: volunteer_arrays(vols, na))
    idx, t_idx = timed(lambda: category_indexes(va))
    graph, t_graph = timed(partial(sparse_graph, na, va, args.k[0], idx, k_volunteer=args.kv[0]))
    print(
        f"k={args.k[0]} kv={args.kv[0]} steps: need arrays {t_na:.2f} s, "
        f"volunteer arrays {t_va:.2f} s, KD-trees {t_idx:.2f} s, "
        f"candidates {t_graph:.2f} s ({len(graph):,} arcs)"
    )

    exact = None
    results: list[tuple[str, DispatchResult, float]] = []
    if not args.no_exact:
        exact, secs = timed(lambda: exact_optimum(needs, vols))
        results.append(("exact (all feasible pairs)", exact, secs))
    for k in args.k:
        for kv in args.kv:
            r, secs = timed(partial(dispatch, needs, vols, k=k, k_volunteer=kv))
            results.append((f"dispatch k={k} kv={kv}", r, secs))
    greedy, secs = timed(lambda: greedy_nearest_first(needs, vols))
    results.append(("greedy nearest-first (all pairs)", greedy, secs))

    print()
    print(
        "| method | s | arcs | matched | rate | travel km | m/visit | cost (matched) | vs exact |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r, secs in results:
        print(row(name, r, secs, exact, penalty))
    print()
    for name, r, _ in results:
        print(
            f"{name}: violations {violations(needs, vols, r)}; unmatched by reason "
            + ", ".join(f"{k} {v}" for k, v in Counter(u.reason for u in r.unmatched).most_common())
        )
    again = dispatch(needs, vols, k=args.k[0], k_volunteer=args.kv[0])
    print(f"deterministic (second run identical): {again == results[1 if exact else 0][1]}")

    index, secs = timed(lambda: build_need_index(needs))
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(vols), size=min(args.queries, len(vols)), replace=False)
    lat_ms, lengths = [], []
    for i in picks.tolist():
        rows, s = timed(partial(nearby, vols[i], index))
        lat_ms.append(1000 * s)
        lengths.append(len(rows))
    lat_ms.sort()
    print(
        f"\nnearby list over {len(needs):,} open needs (index built in {secs:.2f} s), "
        f"{len(picks):,} volunteers: p50 {statistics.median(lat_ms):.2f} ms, "
        f"p95 {lat_ms[int(0.95 * (len(lat_ms) - 1))]:.2f} ms, max {lat_ms[-1]:.2f} ms; "
        f"mean list length {statistics.mean(lengths):.1f} (limit 20)"
    )


if __name__ == "__main__":
    main()
