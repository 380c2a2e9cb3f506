"""Injectors for station-level fraud: paper records take over, or a month's volume balloons.

These run first, on the honest year, so later injectors see the station's final records.
"""

from __future__ import annotations

import numpy as np

from timebank.demo.synth import city
from timebank.demo.synth.builder import CityBuilder
from timebank.demo.synth.inject_visits import minutes_for, old_volunteers
from timebank.supervision.detection.epoch import I64, local_month, local_month_label
from timebank.supervision.detection.facts import Rule
from timebank.supervision.detection.tables import NO_DEVICE


def _station_months(b: CityBuilder) -> tuple[I64, I64, I64, I64]:
    """Per honest station-month: station, month, record count; and each row's group."""
    h = b.honest
    key = h.station * 100_000 + local_month(h.start)
    groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return groups // 100_000, groups % 100_000, counts, inverse


def pick_station_months(b: CityBuilder, count: int) -> list[tuple[int, int, int]]:
    """Distinct busy station-months (station, month, group) for both station patterns."""
    station, month, counts, _ = _station_months(b)
    busy = np.flatnonzero(counts >= 40)
    chosen = b.rng.permutation(busy)[:count]
    return [(int(station[g]), int(month[g]), int(g)) for g in chosen]


def offline_share(b: CityBuilder, picks: list[tuple[int, int, int]]) -> None:
    """Most of a station's month re-entered from paper: no GPS, no devices to contradict it."""
    h = b.honest
    *_, inverse = _station_months(b)
    for station, month, group in picks:
        rows = np.flatnonzero((inverse == group) & ~h.offline)
        rows = b.rng.permutation(rows)[: int(len(rows) * b.rng.uniform(0.65, 0.85))]
        h.offline[rows] = True
        h.checkin_lat[rows] = h.checkin_lon[rows] = np.nan
        h.checkin_device[rows] = h.confirm_device[rows] = NO_DEVICE
        b.label(Rule.OFFLINE_SHARE, "station_month", f"{station}@{local_month_label(month)}")


def station_volume(b: CityBuilder, picks: list[tuple[int, int, int]]) -> None:
    """A month with 2.2–2.8 times the station's records, spread over its own volunteers."""
    rng, pp = b.rng, b.people
    _, _, counts, _ = _station_months(b)
    vols = old_volunteers(b)
    rows: list[tuple[int, int, int]] = []  # vol, elder, start
    for station, month, group in picks:
        mine = vols[pp.station[vols] == station]
        if len(mine) < 5:
            continue
        first = int(np.datetime64(month, "M").astype("datetime64[D]").astype(np.int64))
        last = int(np.datetime64(month + 1, "M").astype("datetime64[D]").astype(np.int64))
        lo, hi = first - int(city.FIRST_LOCAL_DAY), last - int(city.FIRST_LOCAL_DAY)
        extra = int(counts[group] * rng.uniform(1.2, 1.8))
        placed = 0
        for _ in range(extra * 20):
            vol, day = int(rng.choice(mine)), int(rng.integers(lo, hi))
            if not b.is_free(vol, day):
                continue
            b.busy.add(vol * city.PERIOD_DAYS + day)
            block = int(rng.choice(3, p=[0.5, 0.4, 0.1]))
            rows.append((vol, day, block))
            placed += 1
            if placed == extra:
                break
        b.label(Rule.STATION_VOLUME, "station_month", f"{station}@{local_month_label(month)}")
    if not rows:
        return
    arr = np.array(rows, np.int64)
    elder = city.station_elders(rng, pp, pp.station[arr[:, 0]])
    arr, elder = (
        arr[(elder >= 0) & (elder != arr[:, 0])],
        elder[(elder >= 0) & (elder != arr[:, 0])],
    )
    vols_, days, blocks = arr[:, 0], arr[:, 1], arr[:, 2]
    category = b.need[elder]
    room = city.BLOCKS[blocks, 1] - city.BLOCKS[blocks, 0]
    minutes = minutes_for(b, category, 15, room - 10)
    offset = (rng.random(len(vols_)) * (room - minutes)).astype(np.int64)
    start = city.local_start(days, city.BLOCKS[blocks, 0] + offset)
    b.add_visits(vols_, elder, start, minutes, category)
