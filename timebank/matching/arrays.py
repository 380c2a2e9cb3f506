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
from timebank.matching.geo import FloatArray, haversine_vec, to_xyz
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
    return VolunteerArrays(
        volunteers=tuple(rows),
        ids=np.array([v.id for v in rows], dtype=np.int64),
        lat=lat,
        lon=lon,
        xyz=to_xyz(lat, lon).reshape(-1, 3),
        radius=np.array([v.radius_m for v in rows], dtype=np.float64),
        workload_min=np.array([v.workload_min for v in rows], dtype=np.int64),
        is_minor=np.array([v.guardian_id is not None for v in rows], dtype=np.bool_),
        serves=serves,
        valid_until=valid_until,
        seg_ptr=np.array(ptr, dtype=np.int64),
        seg_start=np.array(starts, dtype=np.int64),
        seg_end=np.array(ends, dtype=np.int64),
    )


def earliest_starts(na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray) -> IntArray:
    """``rules.earliest_fit`` per pair over the volunteer's free segments; NEVER if none fits."""
    count = va.seg_ptr[vi + 1] - va.seg_ptr[vi]
    out = np.full(len(ni), NEVER, dtype=np.int64)
    has = count > 0
    if not has.any():
        return out
    first = np.cumsum(count) - count
    pair = np.repeat(np.arange(len(ni)), count)
    seg = np.repeat(va.seg_ptr[vi] - first, count) + np.arange(int(count.sum()))
    start = np.maximum(va.seg_start[seg], na.earliest[ni[pair]])
    fits = (start <= na.latest[ni[pair]]) & (start + na.duration[ni[pair]] <= va.seg_end[seg])
    out[has] = np.minimum.reduceat(np.where(fits, start, NEVER), first[has])
    return out


def pair_fit(
    na: NeedArrays, va: VolunteerArrays, ni: IntArray, vi: IntArray
) -> tuple[BoolArray, IntArray, FloatArray]:
    """For each pair (ni[j], vi[j]): feasible?, earliest start, distance in metres."""
    dist = haversine_vec(na.lat[ni], na.lon[ni], va.lat[vi], va.lon[vi])
    ok = va.serves[vi, na.category[ni]] & (dist <= va.radius[vi])
    professional = na.qualification[ni] >= 0
    if professional.any():
        until = va.valid_until[vi, np.where(professional, na.qualification[ni], 0)]
        ok &= ~professional | (until >= na.latest[ni] + na.duration[ni])
    for j in np.flatnonzero(ok & va.is_minor[vi]):
        guardian = va.volunteers[vi[j]].guardian_id
        ok[j] = guardian in na.needs[ni[j]].attendee_ids
    start = np.full(len(ni), NEVER, dtype=np.int64)
    live = np.flatnonzero(ok)
    start[live] = earliest_starts(na, va, ni[live], vi[live])
    ok &= start != NEVER
    return ok, start, dist
