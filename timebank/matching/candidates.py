"""Feasible (need, volunteer) arcs: a sparse set for dispatch (each need's k nearest feasible
volunteers, each volunteer's kv nearest feasible needs) or all of them, to check dispatch
against the exact optimum.

Volunteers are indexed per category, so a search never wastes slots on volunteers of another
category; the other rules filter the hits in bulk (``arrays.pair_fit``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.spatial import cKDTree

from timebank.geodesy import FloatArray, chord_for
from timebank.matching.arrays import (
    IntArray,
    NeedArrays,
    VolunteerArrays,
    pair_fit,
    servable_in_time,
)


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
class Tree:
    rows: IntArray  # tree point i is row rows[i] (of NeedArrays or VolunteerArrays)
    tree: cKDTree
    reach: float  # search bound: the chord of the widest radius that matters

    @classmethod
    def of(cls, rows: IntArray, xyz: FloatArray, reach: float) -> Tree:
        return cls(rows, cKDTree(xyz[rows]), reach)


@dataclass(frozen=True, eq=False)
class CategoryIndex:
    """The volunteers serving one category: all in one tree, and again split by radius class
    (up to 1, 2, 4, 8… km), because a tree takes one search bound per call and a few people
    willing to cross the city must not make every need search the whole city."""

    everyone: Tree
    by_radius: tuple[Tree, ...]


def _radius_class(radius_m: FloatArray) -> IntArray:
    return np.ceil(np.log2(np.maximum(radius_m, 1000.0) / 1000.0)).astype(np.int64)


def category_indexes(va: VolunteerArrays) -> list[CategoryIndex | None]:
    """One index per need category (``None`` where no volunteer serves it)."""
    out: list[CategoryIndex | None] = []
    for c in range(va.serves.shape[1]):
        rows = np.flatnonzero(va.serves[:, c])
        if rows.size == 0:
            out.append(None)
            continue
        classes = _radius_class(va.radius[rows])
        by_radius = tuple(
            Tree.of(
                rows[classes == r], va.xyz, chord_for(float(va.radius[rows[classes == r]].max()))
            )
            for r in np.unique(classes).tolist()
        )
        everyone = Tree.of(rows, va.xyz, max(t.reach for t in by_radius))
        out.append(CategoryIndex(everyone, by_radius))
    return out


def _feasible(na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray) -> Graph:
    ok, start, dist = pair_fit(na, va, ni, vi)
    return Graph(ni[ok], vi[ok], start[ok], np.rint(dist[ok]).astype(np.int64))


def _concat(parts: list[Graph], keep_per_need: int = 0) -> Graph:
    """One graph in canonical order, each pair once; with ``keep_per_need``, only that many
    shortest arcs per need."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Graph(empty, empty, empty, empty)
    g = Graph(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Graph)))
    order = np.lexsort((g.volunteer, g.travel_m, g.need))
    g = Graph(g.need[order], g.volunteer[order], g.start[order], g.travel_m[order])
    keep = np.ones(len(g), dtype=np.bool_)
    keep[1:] = (g.need[1:] != g.need[:-1]) | (g.volunteer[1:] != g.volunteer[:-1])
    g = Graph(g.need[keep], g.volunteer[keep], g.start[keep], g.travel_m[keep])
    if keep_per_need:
        new_need = np.ones(len(g), dtype=np.bool_)
        new_need[1:] = g.need[1:] != g.need[:-1]
        first = np.maximum.accumulate(np.where(new_need, np.arange(len(g)), 0))
        keep = np.arange(len(g)) - first < keep_per_need
        g = Graph(g.need[keep], g.volunteer[keep], g.start[keep], g.travel_m[keep])
    return g


def _nearest_feasible(
    na: NeedArrays,
    va: VolunteerArrays,
    k: int,
    queries: IntArray,
    from_needs: bool,
    index: Tree,
    *,
    rounds: int = -1,
) -> tuple[list[Graph], IntArray]:
    """For each query row (a need, or a volunteer), its ``k`` nearest feasible targets.

    A query first looks at 3k geometric neighbours; one that found fewer than k feasible
    among a full answer looks again at twice as many, so rare categories and busy streets
    still get their k, and a need with any feasible volunteer gets an arc. Each round starts
    from the nearest again: among equidistant points (one address, one building) the tree
    may rank them differently for a different k, so "the next ones" is not well defined.
    After ``rounds`` rounds (unless -1) the queries still short come back, without arcs.
    """
    parts: list[Graph] = []
    size = index.rows.size
    ask = min(3 * k, size)
    pending = queries
    while pending.size and rounds != 0:
        points = na.xyz[pending] if from_needs else va.xyz[pending]
        chord, hit = index.tree.query(
            points, k=[*range(1, ask + 1)], distance_upper_bound=index.reach
        )
        found = hit < size
        rows, cols = np.nonzero(found)
        near = index.rows[hit[rows, cols]]
        ni, vi = (pending[rows], near) if from_needs else (near, pending[rows])
        ok, start, dist = pair_fit(na, va, ni, vi, chord[rows, cols])
        grid = np.zeros(found.shape, dtype=np.bool_)
        grid[rows, cols] = ok
        short = (grid.sum(axis=1) < k) & found[:, -1] & (ask < size)
        keep = (grid & (np.cumsum(grid, axis=1) <= k))[rows, cols] & ~short[rows]
        parts.append(Graph(ni[keep], vi[keep], start[keep], np.rint(dist[keep]).astype(np.int64)))
        pending, ask, rounds = pending[short], min(2 * ask, size), rounds - 1
    return parts, pending


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
    best options in the graph. Needs no one can serve at that hour skip the search.
    """
    if k < 1 or k_volunteer < 0:
        raise ValueError("k must be at least 1 and k_volunteer at least 0")
    indexes = category_indexes(va) if indexes is None else indexes
    parts: list[Graph] = []
    for c, index in enumerate(indexes):
        need_rows = np.flatnonzero(na.category == c)
        if index is None or need_rows.size == 0:
            continue
        servable = need_rows[servable_in_time(na, va, need_rows, index.everyone.rows)]
        # One cheap round over everyone settles most needs; the rest search class by class,
        # each within its own reach, and keep the k nearest found in any class.
        found, short = _nearest_feasible(na, va, k, servable, True, index.everyone, rounds=1)
        parts += found
        if short.size:
            by_class = [
                g for t in index.by_radius for g in _nearest_feasible(na, va, k, short, True, t)[0]
            ]
            parts.append(_concat(by_class, keep_per_need=k))
        if k_volunteer:
            needs = Tree.of(need_rows, na.xyz, 0.0)
            for t in index.by_radius:
                bounded = Tree(needs.rows, needs.tree, t.reach)
                parts += _nearest_feasible(na, va, k_volunteer, t.rows, False, bounded)[0]
    return _concat(parts)


def full_graph(na: NeedArrays, va: VolunteerArrays, *, chunk: int = 2_000) -> Graph:
    """Every feasible pair. Each radius class is searched within its own reach, and needs go
    in chunks so the within-reach pairs of one chunk, most of which the time rules then drop,
    never all sit in memory at once."""
    parts: list[Graph] = []
    for c, index in enumerate(category_indexes(va)):
        rows = np.flatnonzero(na.category == c)
        if index is None or rows.size == 0:
            continue
        for lo in range(0, rows.size, chunk):
            part = rows[lo : lo + chunk]
            needs = cKDTree(na.xyz[part])
            for t in index.by_radius:
                near = needs.sparse_distance_matrix(t.tree, t.reach, output_type="ndarray")
                ni = part[near["i"].astype(np.int64)]
                vi = t.rows[near["j"].astype(np.int64)]
                parts.append(_feasible(na, va, ni, vi))
    return _concat(parts)
