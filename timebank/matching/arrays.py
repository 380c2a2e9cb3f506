"""Columnar copies of needs and volunteers, and the rules of ``rules.evaluate`` over arrays of
(need, volunteer) pairs, so candidate generation touches no Python object per pair."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from timebank.errors import InvalidInput
from timebank.geodesy import FloatArray, chord_for_vec, haversine_m, to_xyz
from timebank.matching.models import Need, Volunteer
from timebank.matching.rules import free_segments

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NEVER = np.iinfo(np.int64).max  # "no feasible start" / "qualification never expires"
NONE_HELD = np.iinfo(np.int64).min  # "holds no verified qualification of this kind"


@dataclass(frozen=True, eq=False)
class NeedArrays:
    needs: tuple[Need, ...]  # sorted by id; row i of every array is needs[i]
    ids: IntArray
    lat: FloatArray
    lon: FloatArray
    xyz: FloatArray
    earliest: IntArray
    latest: IntArray
    duration: IntArray
    category: IntArray  # index into ``categories``
    qualification: IntArray  # index into ``qualification_kinds``, -1 when none is required
    categories: tuple[str, ...]
    qualification_kinds: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class VolunteerArrays:
    volunteers: tuple[Volunteer, ...]  # sorted by id
    ids: IntArray
    lat: FloatArray
    lon: FloatArray
    xyz: FloatArray
    radius: FloatArray
    reach: FloatArray  # chord_for(radius): the KD-tree distance that radius allows
    workload_min: IntArray
    is_minor: BoolArray
    serves: BoolArray  # (volunteers, need categories)
    valid_until: IntArray  # (volunteers, qualification kinds): latest verified expiry
    seg_ptr: IntArray  # free segments of volunteer v are seg_ptr[v]:seg_ptr[v + 1]
    seg_start: IntArray
    seg_end: IntArray


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_HasId)


def _sorted_unique(rows: Iterable[R], what: str) -> list[R]:
    out = sorted(rows, key=lambda r: r.id)
    for a, b in pairwise(out):
        if a.id == b.id:
            raise InvalidInput(f"{what} id {a.id} appears twice", field="id")
    return out


def need_arrays(needs: Iterable[Need]) -> NeedArrays:
    rows: list[Need] = _sorted_unique(needs, "need")
    categories = tuple(sorted({n.category for n in rows}))
    kinds = tuple(sorted({n.qualification for n in rows if n.qualification is not None}))
    cat_ix = {c: i for i, c in enumerate(categories)}
    kind_ix = {k: i for i, k in enumerate(kinds)}
    lat = np.array([n.lat for n in rows], dtype=np.float64)
    lon = np.array([n.lon for n in rows], dtype=np.float64)
    return NeedArrays(
        needs=tuple(rows),
        ids=np.array([n.id for n in rows], dtype=np.int64),
        lat=lat,
        lon=lon,
        xyz=to_xyz(lat, lon).reshape(-1, 3),
        earliest=np.array([n.earliest_start for n in rows], dtype=np.int64),
        latest=np.array([n.latest_start for n in rows], dtype=np.int64),
        duration=np.array([n.duration_s for n in rows], dtype=np.int64),
        category=np.array([cat_ix[n.category] for n in rows], dtype=np.int64),
        qualification=np.array(
            [-1 if n.qualification is None else kind_ix[n.qualification] for n in rows],
            dtype=np.int64,
        ),
        categories=categories,
        qualification_kinds=kinds,
    )


def volunteer_arrays(volunteers: Iterable[Volunteer], na: NeedArrays) -> VolunteerArrays:
    """Volunteers as arrays, with categories and qualifications coded as ``na`` codes them."""
    rows: list[Volunteer] = _sorted_unique(volunteers, "volunteer")
    cat_ix = {c: i for i, c in enumerate(na.categories)}
    kind_ix = {k: i for i, k in enumerate(na.qualification_kinds)}
    serves = np.zeros((len(rows), len(cat_ix)), dtype=np.bool_)
    valid_until = np.full((len(rows), len(kind_ix)), NONE_HELD, dtype=np.int64)
    ptr, starts, ends = [0], [], []
    for v, vol in enumerate(rows):
        for c in vol.categories:
            if c in cat_ix:
                serves[v, cat_ix[c]] = True
        for q in vol.qualifications:
            if q.verified and q.kind in kind_ix:
                until = NEVER if q.expires_at is None else q.expires_at
                k = kind_ix[q.kind]
                valid_until[v, k] = max(valid_until[v, k], until)
        for a, b in free_segments(vol):
            starts.append(a)
            ends.append(b)
        ptr.append(len(starts))
    lat = np.array([v.lat for v in rows], dtype=np.float64)
    lon = np.array([v.lon for v in rows], dtype=np.float64)
    radius = np.array([v.radius_m for v in rows], dtype=np.float64)
    return VolunteerArrays(
        volunteers=tuple(rows),
        ids=np.array([v.id for v in rows], dtype=np.int64),
        lat=lat,
        lon=lon,
        xyz=to_xyz(lat, lon).reshape(-1, 3),
        radius=radius,
        reach=chord_for_vec(radius),
        workload_min=np.array([v.workload_min for v in rows], dtype=np.int64),
        is_minor=np.array([v.guardian_id is not None for v in rows], dtype=np.bool_),
        serves=serves,
        valid_until=valid_until,
        seg_ptr=np.array(ptr, dtype=np.int64),
        seg_start=np.array(starts, dtype=np.int64),
        seg_end=np.array(ends, dtype=np.int64),
    )


def _segments(va: VolunteerArrays, vi: IntArray) -> tuple[IntArray, IntArray]:
    """All free segments of the volunteers ``vi``: (position in ``vi``, segment index)."""
    count = va.seg_ptr[vi + 1] - va.seg_ptr[vi]
    first = np.cumsum(count) - count
    pair = np.repeat(np.arange(len(vi)), count)
    return pair, np.repeat(va.seg_ptr[vi] - first, count) + np.arange(int(count.sum()))


def earliest_starts(na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray) -> IntArray:
    """``rules.earliest_fit`` per pair over the volunteer's free segments; NEVER if none fits."""
    out = np.full(len(ni), NEVER, dtype=np.int64)
    pair, seg = _segments(va, vi)
    if seg.size == 0:
        return out
    count = va.seg_ptr[vi + 1] - va.seg_ptr[vi]
    first = np.cumsum(count) - count
    has = count > 0
    start = np.maximum(va.seg_start[seg], na.earliest[ni[pair]])
    fits = (start <= na.latest[ni[pair]]) & (start + na.duration[ni[pair]] <= va.seg_end[seg])
    out[has] = np.minimum.reduceat(np.where(fits, start, NEVER), first[has])
    return out


def servable_in_time(na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray) -> BoolArray:
    """For each need in ``ni``: does any volunteer in ``vi``, wherever they live, have free
    time the visit fits in? Needs that no one can serve then skip the spatial search, which
    would otherwise scan every volunteer in reach before giving up.

    A segment [a, b) holds a need (earliest e, latest l, duration d) iff either a ≤ e and
    b ≥ e + d, or e < a ≤ l and b - a ≥ d: a prefix maximum and a range maximum over the
    segments sorted by start.
    """
    _, seg = _segments(va, vi)
    if seg.size == 0:
        return np.zeros(len(ni), dtype=np.bool_)
    order = np.argsort(va.seg_start[seg], kind="stable")
    a, b = va.seg_start[seg][order], va.seg_end[seg][order]
    first, last, length = na.earliest[ni], na.latest[ni], na.duration[ni]
    i = np.searchsorted(a, first, side="right")  # segments a[:i] start by e
    j = np.searchsorted(a, last, side="right")  # segments a[i:j] start in (e, l]
    reach_right = np.maximum.accumulate(b)
    ok = (i > 0) & (reach_right[np.maximum(i - 1, 0)] >= first + length)
    # Sparse table: level p holds the longest segment in each run of 2**p from a position.
    levels = [b - a]
    while 2 ** len(levels) <= len(a):
        prev, half = levels[-1], 2 ** (len(levels) - 1)
        levels.append(np.maximum(prev[:-half], prev[half:]))
    span = np.maximum(j - i, 1)
    p = np.floor(np.log2(span)).astype(np.int64)
    longest = np.zeros(len(ni), dtype=np.int64)
    for level in np.unique(p[j > i]).tolist():
        rows = np.flatnonzero((p == level) & (j > i))
        table = levels[level]
        longest[rows] = np.maximum(table[i[rows]], table[j[rows] - 2**level])
    return ok | ((j > i) & (longest >= length))


def pair_fit(
    na: NeedArrays,
    va: VolunteerArrays,
    ni: IntArray,
    vi: IntArray,
    chord: FloatArray | None = None,
) -> tuple[BoolArray, IntArray, FloatArray]:
    """For each pair (ni[j], vi[j]): feasible?, earliest start, distance in metres (the last
    two only meaningful where feasible).

    ``chord`` (the KD-tree's straight-line distances, when the caller has them) lets the far
    pairs drop before any trigonometry; the cheap rules go first for the same reason.
    """
    ok = va.serves[vi, na.category[ni]]
    if chord is not None:
        ok &= chord <= va.reach[vi]
    professional = na.qualification[ni] >= 0
    if professional.any():
        until = va.valid_until[vi, np.where(professional, na.qualification[ni], 0)]
        ok &= ~professional | (until >= na.latest[ni] + na.duration[ni])
    for j in np.flatnonzero(ok & va.is_minor[vi]):
        guardian = va.volunteers[vi[j]].guardian_id
        ok[j] = guardian in na.needs[ni[j]].attendee_ids
    live = np.flatnonzero(ok)
    dist = np.full(len(ni), np.inf)
    dist[live] = haversine_m(na.lat[ni[live]], na.lon[ni[live]], va.lat[vi[live]], va.lon[vi[live]])
    ok &= dist <= va.radius[vi]
    start = np.full(len(ni), NEVER, dtype=np.int64)
    live = np.flatnonzero(ok)
    start[live] = earliest_starts(na, va, ni[live], vi[live])
    ok &= start != NEVER
    return ok, start, dist
