"""Feasible (need, volunteer) arcs: the k nearest feasible per need (sparse, for dispatch) or all
of them (for checking dispatch against the exact optimum).

One KD-tree per category holds the volunteers who serve it, so a query never wastes slots on
volunteers of another category; the other rules filter the hits in bulk (``arrays.pair_fit``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.spatial import cKDTree

from timebank.matching.arrays import IntArray, NeedArrays, VolunteerArrays, pair_fit
from timebank.matching.geo import chord_for


@dataclass(frozen=True, eq=False)
class Graph:
    """Feasible arcs in canonical order: by need row, then travel, then volunteer row."""

    need: IntArray  # rows of NeedArrays
    volunteer: IntArray  # rows of VolunteerArrays
    start: IntArray  # earliest feasible start of the visit
    travel_m: IntArray

    def __len__(self) -> int:
        return len(self.need)


@dataclass(frozen=True, eq=False)
class CategoryIndex:
    volunteers: IntArray  # rows serving the category; tree point i is volunteers[i]
    tree: cKDTree
    reach: float  # chord of the widest radius among them


def category_indexes(va: VolunteerArrays) -> list[CategoryIndex | None]:
    """One index per need category (``None`` where no volunteer serves it)."""
    out: list[CategoryIndex | None] = []
    for c in range(va.serves.shape[1]):
        rows = np.flatnonzero(va.serves[:, c])
        if rows.size == 0:
            out.append(None)
            continue
        reach = chord_for(float(va.radius[rows].max()))
        out.append(CategoryIndex(rows, cKDTree(va.xyz[rows]), reach))
    return out


def _feasible(na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray) -> Graph:
    ok, start, dist = pair_fit(na, va, ni, vi)
    return Graph(ni[ok], vi[ok], start[ok], np.rint(dist[ok]).astype(np.int64))


def _concat(parts: list[Graph]) -> Graph:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Graph(empty, empty, empty, empty)
    g = Graph(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Graph)))
    order = np.lexsort((g.volunteer, g.travel_m, g.need))
    return Graph(g.need[order], g.volunteer[order], g.start[order], g.travel_m[order])


def sparse_graph(
    na: NeedArrays, va: VolunteerArrays, k: int, indexes: list[CategoryIndex | None] | None = None
) -> Graph:
    """For each need, its ``k`` nearest feasible volunteers (fewer only if fewer exist).

    A query asks for a few times k geometric neighbours; a need that found fewer than k feasible
    ones among a full answer asks again with twice as many, so rare categories or busy streets
    still get their k, and a need with any feasible volunteer always gets at least one arc.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    indexes = category_indexes(va) if indexes is None else indexes
    parts: list[Graph] = []
    for c, index in enumerate(indexes):
        pending = np.flatnonzero(na.category == c)
        if index is None or pending.size == 0:
            continue
        size = index.volunteers.size
        ask = min(3 * k, size)
        while pending.size:
            _, hit = index.tree.query(
                na.xyz[pending], k=[*range(1, ask + 1)], distance_upper_bound=index.reach
            )
            found = hit < size
            rows, cols = np.nonzero(found)
            g_ok = np.zeros(found.shape, dtype=np.bool_)
            ni, vi = pending[rows], index.volunteers[hit[rows, cols]]
            ok, start, dist = pair_fit(na, va, ni, vi)
            g_ok[rows, cols] = ok
            kept = g_ok & (np.cumsum(g_ok, axis=1) <= k)
            short = (g_ok.sum(axis=1) < k) & found[:, -1] & (ask < size)
            keep = kept[rows, cols] & ~short[rows]
            travel = np.rint(dist[keep]).astype(np.int64)
            parts.append(Graph(ni[keep], vi[keep], start[keep], travel))
            pending, ask = pending[short], min(2 * ask, size)
    return _concat(parts)


def full_graph(na: NeedArrays, va: VolunteerArrays, *, chunk: int = 2_000) -> Graph:
    """Every feasible pair. Needs go in chunks so the within-reach pairs of one chunk, most of
    which the time rules then drop, never all sit in memory at once."""
    parts: list[Graph] = []
    for c, index in enumerate(category_indexes(va)):
        rows = np.flatnonzero(na.category == c)
        if index is None or rows.size == 0:
            continue
        for lo in range(0, rows.size, chunk):
            part = rows[lo : lo + chunk]
            near = cKDTree(na.xyz[part]).sparse_distance_matrix(
                index.tree, index.reach, output_type="ndarray"
            )
            ni = part[near["i"].astype(np.int64)]
            vi = index.volunteers[near["j"].astype(np.int64)]
            parts.append(_feasible(na, va, ni, vi))
    return _concat(parts)
