"""Feasible (need, volunteer) arcs: the k nearest feasible per need (sparse, for dispatch) or all
of them (for checking dispatch against the exact optimum).

One KD-tree per category holds the volunteers who serve it, so a query never wastes slots on
volunteers of another category; the other rules filter the hits in bulk (``arrays.pair_fit``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.spatial import cKDTree

from timebank.matching.arrays import (
    IntArray,
    NeedArrays,
    VolunteerArrays,
    pair_fit,
    servable_in_time,
)
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
    g = Graph(g.need[order], g.volunteer[order], g.start[order], g.travel_m[order])
    # Both sides of the sparse graph may propose the same pair; keep it once.
    dup = np.zeros(len(g), dtype=np.bool_)
    dup[1:] = (g.need[1:] == g.need[:-1]) & (g.volunteer[1:] == g.volunteer[:-1])
    return Graph(g.need[~dup], g.volunteer[~dup], g.start[~dup], g.travel_m[~dup])


def _nearest_feasible(
    na: NeedArrays,
    va: VolunteerArrays,
    k: int,
    queries: IntArray,
    from_needs: bool,
    tree: cKDTree,
    targets: IntArray,
    reach: float,
) -> list[Graph]:
    """For each query row (a need, or a volunteer), its ``k`` nearest feasible targets.

    A query first looks at 3k geometric neighbours; one that found fewer than k feasible
    among a full answer looks at the next ones, twice as many each round, so rare categories
    and busy streets still get their k, and a need with any feasible volunteer gets an arc.
    """
    parts: list[Graph] = []
    size = targets.size
    seen, ask = 0, min(3 * k, size)
    pending = queries
    have = np.zeros(pending.size, dtype=np.int64)
    while pending.size:
        points = na.xyz[pending] if from_needs else va.xyz[pending]
        chord, hit = tree.query(points, k=[*range(seen + 1, ask + 1)], distance_upper_bound=reach)
        found = hit < size
        rows, cols = np.nonzero(found)
        near = targets[hit[rows, cols]]
        ni, vi = (pending[rows], near) if from_needs else (near, pending[rows])
        ok, start, dist = pair_fit(na, va, ni, vi, chord[rows, cols])
        grid = np.zeros(found.shape, dtype=np.bool_)
        grid[rows, cols] = ok
        keep = (grid & (have[:, None] + np.cumsum(grid, axis=1) <= k))[rows, cols]
        parts.append(Graph(ni[keep], vi[keep], start[keep], np.rint(dist[keep]).astype(np.int64)))
        have += grid.sum(axis=1)
        short = (have < k) & found[:, -1] & (ask < size)
        pending, have = pending[short], have[short]
        seen, ask = ask, min(2 * ask, size)
    return parts


def sparse_graph(
    na: NeedArrays,
    va: VolunteerArrays,
    k: int,
    indexes: list[CategoryIndex | None] | None = None,
    *,
    k_volunteer: int = 0,
) -> Graph:
    """The union of each need's ``k`` nearest feasible volunteers and each volunteer's
    ``k_volunteer`` nearest feasible needs per category it serves.

    The need side alone suffices while volunteers are plentiful; where they are scarce, many
    needs share the same few near volunteers and the volunteer side keeps each volunteer's own
    best options in the graph.
    """
    if k < 1 or k_volunteer < 0:
        raise ValueError("k must be at least 1 and k_volunteer at least 0")
    indexes = category_indexes(va) if indexes is None else indexes
    parts: list[Graph] = []
    for c, index in enumerate(indexes):
        need_rows = np.flatnonzero(na.category == c)
        if index is None or need_rows.size == 0:
            continue
        servable = need_rows[servable_in_time(na, va, need_rows, index.volunteers)]
        parts += _nearest_feasible(
            na, va, k, servable, True, index.tree, index.volunteers, index.reach
        )
        if k_volunteer == 0:
            continue
        need_tree = cKDTree(na.xyz[need_rows])
        # Trees take one search bound per call: group volunteers by radius (rounded up to
        # 500 m) so each searches about its own reach, not the widest one.
        step = np.ceil(va.radius[index.volunteers] / 500.0)
        for s in np.unique(step).tolist():
            group = index.volunteers[step == s]
            parts += _nearest_feasible(
                na, va, k_volunteer, group, False, need_tree, need_rows, chord_for(500.0 * s)
            )
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
