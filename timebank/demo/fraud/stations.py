"""Planted station fraud: a month re-entered from paper, or a month whose volume balloons.

These run first, so later patterns see each station's final records.
"""

from __future__ import annotations

import numpy as np

from timebank.demo.fraud.visits import EVENING_END
from timebank.demo.fraud.world import DAY, OFFSET, World, local_at
from timebank.demo.fraud.write import PlannedVisit
from timebank.demo.synth import Label
from timebank.supervision.detection.epoch import local_month, local_month_label
from timebank.supervision.detection.facts import Rule

BUSY_MONTH = 40  # records a station-month needs before it is planted on


def station_months(w: World) -> list[tuple[int, int]]:
    """Busy (station, month) pairs inside the planting days, in random order."""
    v = w.visits
    day = (v.start + OFFSET) // DAY
    inside = (v.station > 0) & (day >= w.lo) & (day <= w.hi)
    keys, counts = np.unique(
        v.station[inside] * 100_000 + local_month(v.start[inside]), return_counts=True
    )
    busy = keys[counts >= BUSY_MONTH]
    return [(int(k // 100_000), int(k % 100_000)) for k in w.rng.permutation(busy)]


def _rows(w: World, station: int, month: int) -> np.ndarray:
    v = w.visits
    return np.flatnonzero((v.station == station) & (local_month(v.start) == month))


def offline_share(w: World, picks: list[tuple[int, int]], labels: set[Label]) -> list[int]:
    """Convert most of each month's app records to paper ones; returns the visit ids."""
    v, out = w.visits, []
    for station, month in picks:
        rows = _rows(w, station, month)
        online = rows[~v.offline[rows]]
        share = w.rng.uniform(0.65, 0.85)
        need = int(np.ceil(share * len(rows))) - (len(rows) - len(online))
        if need <= 0:
            continue
        out += v.id[w.rng.permutation(online)[:need]].tolist()
        labels.add((Rule.OFFLINE_SHARE, "station_month", f"{station}@{local_month_label(month)}"))
    return out


def station_volume(
    w: World, picks: list[tuple[int, int]], labels: set[Label]
) -> list[PlannedVisit]:
    """Raise each month to 2.2–2.8 times its records, spread over the station's volunteers."""
    out: list[PlannedVisit] = []
    for station, month in picks:
        mine = [p for p in w.old if w.station_of(p) == station]
        elders = w.station_elders.get(station, [])
        if len(mine) < 5 or len(elders) < 2:
            continue
        first = int(np.datetime64(month, "M").astype("datetime64[D]").astype(np.int64))
        last = int(np.datetime64(month + 1, "M").astype("datetime64[D]").astype(np.int64)) - 1
        lo, hi = max(first, w.lo), min(last, w.hi)
        extra = int(len(_rows(w, station, month)) * w.rng.uniform(1.3, 1.8))
        planned = []
        for _ in range(extra):
            slot = w.free_day(mine, lo, hi)
            if slot is None:
                break
            vol, day = slot
            elder = int(w.rng.choice([e for e in elders if e != vol]))
            minutes = int(np.clip(w.usual_minutes(elder), 30, 120))
            begin = 8 * 60 + int(w.rng.integers(0, EVENING_END - 8 * 60 - minutes))
            planned.append(w.visit(vol, elder, local_at(day, begin), minutes))
        if len(planned) < extra:
            continue  # the month could not be filled: plant nothing there
        out += planned
        labels.add((Rule.STATION_VOLUME, "station_month", f"{station}@{local_month_label(month)}"))
    return out
