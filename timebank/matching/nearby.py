"""A volunteer's side: the ranked list of nearby open needs ('就近就便'), and accepting one.

The open needs are indexed once (a KD-tree plus columns); each query is one ball search within
the volunteer's radius and the rules over the hits in bulk, a few milliseconds at city scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from timebank.errors import RuleViolation
from timebank.geodesy import FloatArray, chord_for, to_xyz
from timebank.matching.arrays import NeedArrays, need_arrays, pair_fit, volunteer_arrays
from timebank.matching.models import Assignment, Need, Volunteer
from timebank.matching.rules import evaluate


@dataclass(frozen=True, eq=False)
class NeedIndex:
    arrays: NeedArrays
    tree: cKDTree
    rating: FloatArray


def build_need_index(open_needs: Iterable[Need]) -> NeedIndex:
    arrays = need_arrays(open_needs)
    rating = np.array([n.elder_rating for n in arrays.needs], dtype=np.float64)
    return NeedIndex(arrays, cKDTree(arrays.xyz), rating)


@dataclass(frozen=True, slots=True)
class NearbyWeights:
    """Score points (lower ranks first). The defaults make 1 km of travel weigh as much as two
    hours of waiting, or as five steps down the volunteer's category preferences."""

    per_km: float = 1.0
    per_wait_hour: float = 0.5
    per_preference_step: float = 0.2
    per_rating_star: float = 0.1  # subtracted: well-rated elders rank a little higher


class NearbyNeed(NamedTuple):
    need_id: int
    distance_m: int
    start: int  # earliest start that fits the volunteer's free time
    wait_s: int  # start minus the need's earliest start
    score: float


def nearby(
    volunteer: Volunteer,
    index: NeedIndex,
    *,
    limit: int = 20,
    weights: NearbyWeights = NearbyWeights(),
) -> list[NearbyNeed]:
    """The open needs this volunteer may take, best first; ties go to the nearer, then lower id."""
    na = index.arrays
    if not na.needs:
        return []
    here = to_xyz(np.array([volunteer.lat]), np.array([volunteer.lon]))[0]
    ni = np.array(sorted(index.tree.query_ball_point(here, chord_for(volunteer.radius_m))))
    if ni.size == 0:
        return []
    ni = ni.astype(np.int64)
    ok, start, dist = pair_fit(na, volunteer_arrays([volunteer], na), ni, np.zeros_like(ni))
    ni, start, dist = ni[ok], start[ok], dist[ok]
    rank = {c: i for i, c in enumerate(volunteer.categories)}
    step = np.array([rank.get(c, 0) for c in na.categories], dtype=np.float64)
    wait = start - na.earliest[ni]
    score = (
        weights.per_km * dist / 1000
        + weights.per_wait_hour * wait / 3600
        + weights.per_preference_step * step[na.category[ni]]
        - weights.per_rating_star * index.rating[ni]
    )
    distance = np.rint(dist).astype(np.int64)
    order = np.lexsort((na.ids[ni], distance, score))[:limit]
    return [
        NearbyNeed(
            int(na.ids[ni[j]]), int(distance[j]), int(start[j]), int(wait[j]), float(score[j])
        )
        for j in order
    ]


def accept(need: Need, volunteer: Volunteer) -> Assignment:
    """The assignment a volunteer gets by taking a need, or the rule that forbids it.

    The caller must pass the volunteer's current ``booked`` visits and, on success, book this
    one in the same transaction, so two accepts cannot overlap.
    """
    fit = evaluate(need, volunteer)
    if fit.reason is not None or fit.start is None:
        raise RuleViolation(
            f"volunteer {volunteer.id} may not take need {need.id}: {fit.reason}",
            rule=fit.reason,
            details={"need_id": need.id, "volunteer_id": volunteer.id},
        )
    return Assignment(need.id, volunteer.id, round(fit.distance_m), fit.start)
