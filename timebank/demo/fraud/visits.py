"""Planted visit fraud: one visit that shows one pattern, or a day that breaks the cap.

Each function plans ``count`` instances (fewer when the database has no room for them) and
returns the planned visits; visits whose id names the instance carry their rule, the rest
are labelled here.
"""

from __future__ import annotations

import math

import numpy as np

from timebank.demo.fraud.world import KM_LAT, KM_LON, OFFSET, World, local_at, local_day
from timebank.demo.fraud.write import PlannedVisit
from timebank.demo.synth import Label
from timebank.geodesy import haversine_m
from timebank.supervision.detection.facts import Rule

EVENING_END = 21 * 60 + 45  # honest visits end by then; the night starts at 22:00


def singles(w: World, rule: Rule, count: int) -> list[PlannedVisit]:
    """Late night, far check-in, same device, or a duration far beyond the usual."""
    out = []
    for _ in range(count):
        slot = w.free_day(w.old)
        if slot is None:
            break
        vol, day = slot
        elder = w.elder_for(vol)
        minutes = int(np.clip(w.usual_minutes(elder), 30, 120))
        start = local_at(day, 9 * 60 + int(w.rng.integers(0, 120)))
        extra: dict[str, object] = {"rule": rule}
        if rule is Rule.LATE_NIGHT:
            start, minutes = local_at(day, 22 * 60 + int(w.rng.integers(0, 30))), min(minutes, 90)
        elif rule is Rule.DURATION_OUTLIER:
            start = local_at(day, 7 * 60)
            factor = max(w.rng.uniform(6, 9), w.outlier_factor(elder))
            minutes = min(int(w.usual_minutes(elder) * factor), EVENING_END - 7 * 60)
        elif rule is Rule.FAR_CHECKIN:
            km, bearing = w.rng.uniform(2, 15), w.rng.uniform(0, 2 * math.pi)
            lat, lon, _ = w.place(elder)
            extra["checkin"] = (
                lat + km * math.cos(bearing) * KM_LAT,
                lon + km * math.sin(bearing) * KM_LON,
            )
        elif rule is Rule.SAME_DEVICE:
            extra["confirm_device"] = f"plant-v{vol}"
        out.append(w.visit(vol, elder, start, minutes, **extra))
    return out


def overlap(w: World, count: int) -> list[PlannedVisit]:
    """A second visit claimed while the volunteer's only visit that day was going on."""
    v = w.visits
    day = (v.start + OFFSET) // 86_400
    key = v.volunteer * 100_000 + day
    _, inverse, per_day = np.unique(key, return_inverse=True, return_counts=True)
    minute = ((v.start + OFFSET) % 86_400) // 60
    ok = (
        (per_day[inverse] == 1)
        & ~v.offline
        & (v.end - v.start >= 40 * 60)
        & (minute >= 7 * 60)
        & ((v.end + OFFSET) % 86_400 // 60 <= EVENING_END - 30)
        & np.isin(v.volunteer, np.array(w.old, np.int64))
        & (day >= w.lo)
        & (day <= w.hi)
    )
    out: list[PlannedVisit] = []
    for row in w.rng.permutation(np.flatnonzero(ok)).tolist():
        if len(out) == count:
            break
        vol, anchor_elder = int(v.volunteer[row]), int(v.elder[row])
        station = w.station_elders.get(int(v.station[row]), [])  # an elder counts once
        others = [e for e in station if e not in (vol, anchor_elder)]
        if not others or int(v.credited[row]) + 60 > w.policy.daily_credit_cap_minutes:
            continue
        elder = int(w.rng.choice(others))
        length = int(v.end[row] - v.start[row]) // 60
        start = int(v.start[row]) + (5 + int(w.rng.integers(0, length - 14))) * 60
        room = EVENING_END - ((start + OFFSET) % 86_400) // 60
        minutes = int(np.clip(w.usual_minutes(elder), 30, min(60, room)))
        out.append(w.visit(vol, elder, start, minutes, rule=Rule.OVERLAP))
    return out


def impossible_travel(w: World, count: int) -> list[PlannedVisit]:
    """Two visits the same morning at addresses too far apart for the time between them."""
    elders = np.array(list(w.elders), np.int64)
    lat = np.array([w.elders[e][0] for e in elders.tolist()])
    lon = np.array([w.elders[e][1] for e in elders.tolist()])
    out: list[PlannedVisit] = []
    for _ in range(count):
        slot = w.free_day(w.old)
        if slot is None:
            break
        vol, day = slot
        first = w.elder_for(vol)
        km = haversine_m(w.elders[first][0], w.elders[first][1], lat, lon) / 1000.0
        far = np.flatnonzero((km >= 25) & (km <= 50))
        far = far if len(far) else np.flatnonzero(km >= 5)
        if len(far) == 0:
            continue
        pick = int(w.rng.choice(far))
        m1 = int(np.clip(w.usual_minutes(first), 30, 120))
        a = w.visit(vol, first, local_at(day, 9 * 60), m1)
        gap = max(1, int(float(km[pick]) / 80 * 60))  # 80 km/h through the city
        second = int(elders[pick])
        m2 = int(np.clip(w.usual_minutes(second), 30, 120))
        b = w.visit(vol, second, a.start + (m1 + gap) * 60, m2, rule=Rule.IMPOSSIBLE_TRAVEL)
        out += [a, b]
    return out


def daily_cap(w: World, count: int, labels: set[Label]) -> list[PlannedVisit]:
    """One day with 540–720 credited minutes: the ledger's cap was bypassed."""
    out: list[PlannedVisit] = []
    for _ in range(count):
        slot = w.free_day(w.old)
        if slot is None:
            break
        vol, day = slot
        elder = w.elder_for(vol)
        unit = w.policy.credit_unit_minutes
        minutes = int(np.clip(round(w.usual_minutes(elder) / unit) * unit, unit, 120))
        target = int(w.rng.integers(w.policy.daily_credit_cap_minutes + 60, 721))
        start = local_at(day, 7 * 60)
        for _ in range(math.ceil(target / minutes)):
            out.append(w.visit(vol, elder, start, minutes, credit=minutes))
            start += (minutes + 5) * 60
        label = str(np.datetime64(local_day(local_at(day, 0)), "D"))
        labels.add((Rule.DAILY_CAP, "person_day", f"{vol}@{label}"))
    return out
