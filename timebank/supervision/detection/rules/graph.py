"""Collusion on the graph of services (server → served): two-way pairs and short rings.

The whole graph is one giant strongly connected component and a bounded cycle search over it
does not finish, so both rules first keep only heavy edges (enough services over the table),
which leaves a tiny graph, and then confirm each candidate in an exact sliding window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from timebank.supervision.detection.epoch import I64, iso
from timebank.supervision.detection.facts import Alert, Rule, make_alert, severity
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.common import split_by
from timebank.supervision.detection.tables import VisitTable


def _edges(t: VisitTable) -> tuple[I64, I64, I64]:
    """Distinct directed edges (sorted keys src<<32|dst) with their counts; no self-loops."""
    real = t.volunteer != t.elder
    keys = (t.volunteer[real] << 32) | t.elder[real]
    uniq, counts = np.unique(keys, return_counts=True)
    return keys, uniq, counts


def _times_by_edge(t: VisitTable, wanted: I64) -> dict[int, I64]:
    keys = (t.volunteer << 32) | t.elder
    rows = np.flatnonzero(np.isin(keys, wanted))
    rows = rows[np.lexsort((t.start[rows], keys[rows]))]
    uniq, chunks = split_by(keys[rows], rows)
    return {int(k): t.start[chunk] for k, chunk in zip(uniq, chunks, strict=True)}


def _best_window(edge_times: Sequence[I64], window_s: int) -> tuple[int, int, list[int]]:
    """The trailing window (ending at an event) that maximises the weakest edge's count.

    Returns (weakest count, window end, count per edge) — counts only rise at events, so
    checking windows that end at event times is exact.
    """
    ends = np.unique(np.concatenate(edge_times))
    per_edge = np.array(
        [
            np.searchsorted(ts, ends, "right") - np.searchsorted(ts, ends - window_s, "right")
            for ts in edge_times
        ]
    )
    weakest = per_edge.min(axis=0)
    best = int(np.argmax(weakest))
    return int(weakest[best]), int(ends[best]), [int(c) for c in per_edge[:, best]]


def two_way_pair(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """A and B each served the other at least ``pair_min_each_way`` times within the window."""
    if focus is not None:
        a, b = t.volunteer[focus], t.elder[focus]
        t = t.take(((t.volunteer == a) & (t.elder == b)) | ((t.volunteer == b) & (t.elder == a)))
    _, uniq, counts = _edges(t)
    if len(uniq) == 0:
        return []
    src, dst = uniq >> 32, uniq & 0xFFFFFFFF
    reverse = (dst << 32) | src
    pos = np.clip(np.searchsorted(uniq, reverse), 0, len(uniq) - 1)
    back = (uniq[pos] == reverse) & (counts[pos] >= p.pair_min_each_way)
    cand = np.flatnonzero((counts >= p.pair_min_each_way) & (src < dst) & back)
    times = _times_by_edge(t, np.concatenate([uniq[cand], reverse[cand]]))
    out = []
    for c in cand:
        a, b = int(src[c]), int(dst[c])
        edge_times = [times[int(uniq[c])], times[int(reverse[c])]]
        weakest, end, per_edge = _best_window(edge_times, p.pair_window_days * 86_400)
        if weakest < p.pair_min_each_way:
            continue
        evidence: dict[str, Any] = {
            "people": [a, b],
            "a_served_b": per_edge[0],
            "b_served_a": per_edge[1],
            "window_days": p.pair_window_days,
            "window_end": iso(end),
        }
        score = severity(weakest, p.pair_min_each_way)
        out.append(make_alert(Rule.TWO_WAY_PAIR, "pair", f"{a}-{b}", score, evidence, [a, b]))
    return out


def _cycles(src: I64, dst: I64, max_len: int) -> list[tuple[int, ...]]:
    """Simple directed cycles of length 3..max_len, each once, starting at its smallest node."""
    adjacency: dict[int, list[int]] = {}
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        adjacency.setdefault(a, []).append(b)
    found: list[tuple[int, ...]] = []
    for start in sorted(adjacency):
        stack: list[tuple[int, tuple[int, ...]]] = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in adjacency.get(node, ()):
                if nxt == start and len(path) >= 3:
                    found.append(path)
                elif nxt > start and nxt not in path and len(path) < max_len:
                    stack.append((nxt, (*path, nxt)))
    return found


def rings(t: VisitTable, p: DetectorParams) -> list[Alert]:
    """A→B→C(→D)→A with every edge heavy inside one window (scan only: needs the whole graph)."""
    _, uniq, counts = _edges(t)
    heavy = uniq[counts >= p.ring_min_edge]
    src, dst = heavy >> 32, heavy & 0xFFFFFFFF
    if len(heavy) < 3:
        return []
    # Cycles live inside strongly connected components of the heavy graph, which are small.
    nodes, idx = np.unique(np.concatenate([src, dst]), return_inverse=True)
    graph = coo_matrix((np.ones(len(src)), (idx[: len(src)], idx[len(src) :])), (len(nodes),) * 2)
    _, label = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label)
    keep = (label[idx[: len(src)]] == label[idx[len(src) :]]) & (size[label[idx[: len(src)]]] >= 3)
    cycles = _cycles(src[keep], dst[keep], p.ring_max_length)
    times = _times_by_edge(t, heavy[keep])
    out = []
    for cycle in cycles:
        edges = [(a << 32) | b for a, b in zip(cycle, (*cycle[1:], cycle[0]), strict=True)]
        weakest, end, per_edge = _best_window(
            [times[e] for e in edges], p.ring_window_days * 86_400
        )
        if weakest < p.ring_min_edge:
            continue
        evidence = {
            "people": list(cycle),
            "services_per_edge": per_edge,
            "window_days": p.ring_window_days,
            "window_end": iso(end),
        }
        subject = "-".join(str(x) for x in cycle)
        score = severity(weakest, p.ring_min_edge)
        out.append(make_alert(Rule.RING, "ring", subject, score, evidence, cycle))
    return out
