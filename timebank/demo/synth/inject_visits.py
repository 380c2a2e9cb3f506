"""Injectors for fraud on single visits and schedules, each labelling what it planted.

Each planted record is placed where it shows only its own pattern: on a day the volunteer is
otherwise free, credited through the ledger's daily cap, inside normal durations. So a miss or
a false alarm in the benchmark is the detector's, not an accident of placement.
"""

from __future__ import annotations

import numpy as np

from timebank.demo.synth import city
from timebank.demo.synth.builder import CityBuilder
from timebank.geodesy import haversine_m
from timebank.supervision.detection.epoch import I64
from timebank.supervision.detection.facts import Rule
from timebank.supervision.detection.tables import NO_DEVICE

OLD = 60 * 86_400  # accounts at least this old before the year are used for planting


def old_volunteers(b: CityBuilder, both_roles: bool = False) -> I64:
    pp = b.people
    ok = pp.volunteer & (pp.created_at < city.PERIOD_START - OLD)
    return np.flatnonzero(ok & pp.elder if both_roles else ok)


def free_days(b: CityBuilder, count: int, spare_next: bool = False) -> list[tuple[int, int]]:
    """(volunteer, day) pairs with nothing booked (nor the next day, if asked), now reserved."""
    vols, tries = old_volunteers(b), 0
    out: list[tuple[int, int]] = []
    while len(out) < count and tries < count * 50:
        tries += 1
        v, d = int(b.rng.choice(vols)), int(b.rng.integers(0, city.PERIOD_DAYS - 1))
        days = (d, d + 1) if spare_next else (d,)
        if all(b.is_free(v, x) for x in days):
            b.busy.update(v * city.PERIOD_DAYS + x for x in days)
            out.append((v, d))
    return out


def home_elder(b: CityBuilder, vol: I64) -> I64:
    """A regular elder of each volunteer, or any elder of their station."""
    first = b.people.roster[vol, 0]
    local = city.station_elders(b.rng, b.people, b.people.station[vol])
    elder = np.where(first >= 0, first, local)
    return np.where(elder == vol, local, elder)


def minutes_for(b: CityBuilder, category: I64, low: int, high: I64 | int) -> I64:
    return np.clip(np.rint(city.durations(b.rng, category)), low, high).astype(np.int64)


def _single_visit_days(b: CityBuilder) -> I64:
    """Honest rows that are their volunteer's only visit that day, by an old online account."""
    h = b.honest
    key = h.volunteer * 1000 + b.day_of(h.start)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    created = b.people.created_at[h.volunteer - 1]
    ok = (counts[inverse] == 1) & ~h.offline & (created < city.PERIOD_START - OLD)
    return np.flatnonzero(ok)


def _anchors(b: CityBuilder, taken: set[int]) -> I64:
    rows = b.rng.permutation(_single_visit_days(b))
    return np.array([r for r in rows.tolist() if r not in taken], np.int64)


def overlap(b: CityBuilder, count: int, taken: set[int]) -> None:
    """A second visit claimed while the first was still going on."""
    h, rng = b.honest, b.rng
    rows = _anchors(b, taken)
    rows = rows[(h.end[rows] - h.start[rows]) >= 40 * 60][: count * 2]
    vol = h.volunteer[rows] - 1
    tod = city.minute_of_day(h.start[rows])
    block_end = np.select([tod < 12 * 60, tod < 18 * 60], [12 * 60, 18 * 60], 21 * 60 + 45)
    lead = ((h.end[rows] - h.start[rows]) // 60 - 15) * rng.random(len(rows))
    start = h.start[rows] + (5 + lead.astype(np.int64)) * 60
    room = block_end - city.minute_of_day(start)
    elder = city.station_elders(rng, b.people, b.people.station[vol])
    ok = (room >= 20) & (elder >= 0) & (elder != h.elder[rows] - 1) & (elder != vol)
    keep = np.flatnonzero(ok)[:count]
    taken.update(rows[keep].tolist())
    category = b.need[elder[keep]]
    minutes = minutes_for(b, category, 20, room[keep])
    ids = b.add_visits(vol[keep], elder[keep], start[keep], minutes, category)
    for vid in ids.tolist():
        b.label(Rule.OVERLAP, "visit", str(vid))


def _on_days(b: CityBuilder, picks: list[tuple[int, int]]) -> tuple[I64, I64]:
    arr = np.array(picks, np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def late_night(b: CityBuilder, count: int) -> None:
    vol, day = _on_days(b, free_days(b, count, spare_next=True))
    start = city.local_start(day, 22 * 60 + b.rng.integers(0, 6 * 60, len(vol)))
    elder = home_elder(b, vol)
    category = b.need[elder]
    ids = b.add_visits(vol, elder, start, minutes_for(b, category, 30, 120), category)
    for vid in ids.tolist():
        b.label(Rule.LATE_NIGHT, "visit", str(vid))


def daily_cap(b: CityBuilder, count: int) -> None:
    """A paper batch for one day that claims more than the cap (entered past the ledger)."""
    vol, day = _on_days(b, free_days(b, count))
    n, rng = len(vol), b.rng
    for block, cats, low, high in (
        (0, [1, 4], 215, 285),
        (1, [1, 4], 215, 285),
        (2, [0], 120, 180),
    ):
        minutes = rng.integers(low, high + 1, n)
        room = city.BLOCKS[block, 1] - city.BLOCKS[block, 0] - minutes
        start = city.local_start(
            day, city.BLOCKS[block, 0] + (rng.random(n) * room).astype(np.int64)
        )
        elder = home_elder(b, vol)
        category = rng.choice(cats, n)
        b.add_visits(vol, elder, start, minutes, category, np.ones(n, bool), bypass_cap=True)
    for v, d in zip(vol.tolist(), day.tolist(), strict=True):
        b.label(Rule.DAILY_CAP, "person_day", f"{v + 1}@{city.day_label(d)}")


def duration_outlier(b: CityBuilder, count: int) -> None:
    """A visit claimed at six to nine times its category's usual length."""
    vol, day = _on_days(b, free_days(b, count))
    start = city.local_start(day, 7 * 60 + b.rng.integers(0, 60, len(vol)))
    category = b.rng.integers(0, len(city.CATEGORIES), len(vol))
    factor = b.rng.uniform(6, 9, len(vol))
    minutes = np.minimum(city.CAT_MEDIAN[category] * factor, 780).astype(np.int64)
    ids = b.add_visits(vol, home_elder(b, vol), start, minutes, category)
    for vid in ids.tolist():
        b.label(Rule.DURATION_OUTLIER, "visit", str(vid))


def impossible_travel(b: CityBuilder, count: int, taken: set[int]) -> None:
    """A visit across town that starts minutes after a morning visit ended."""
    h, rng, pp, st = b.honest, b.rng, b.people, b.stations
    rows = _anchors(b, taken)
    rows = rows[city.minute_of_day(h.start[rows]) < 11 * 60][: count * 3]
    km = haversine_m(h.elder_lat[rows, None], h.elder_lon[rows, None], st.lat, st.lon) / 1000.0
    far = (km > 25) & (km < 50)
    pick = np.argmax(far * rng.random(km.shape), axis=1)
    elder = city.station_elders(rng, pp, pick.astype(np.int64))
    start = h.end[rows] + rng.integers(8, 21, len(rows)) * 60
    vol = h.volunteer[rows] - 1
    gap_h = (start - h.end[rows]) / 3600
    dist = haversine_m(h.elder_lat[rows], h.elder_lon[rows], pp.lat[elder], pp.lon[elder]) / 1000.0
    keep = np.flatnonzero(far.any(axis=1) & (elder >= 0) & (elder != vol) & (dist / gap_h > 60))
    keep = keep[:count]
    taken.update(rows[keep].tolist())
    category = b.need[elder[keep]]
    minutes = minutes_for(b, category, 30, 180)
    ids = b.add_visits(vol[keep], elder[keep], start[keep], minutes, category)
    for vid in ids.tolist():
        b.label(Rule.IMPOSSIBLE_TRAVEL, "visit", str(vid))


def _honest_online(b: CityBuilder, count: int, taken: set[int]) -> I64:
    h = b.honest
    rows = b.rng.permutation(np.flatnonzero(~h.offline & (h.confirm_device != NO_DEVICE)))
    rows = np.array([r for r in rows[: count * 2].tolist() if r not in taken][:count], np.int64)
    taken.update(rows.tolist())
    return rows


def far_checkin(b: CityBuilder, count: int, taken: set[int]) -> None:
    """Checked in from home, kilometres away from the elder."""
    h, rng = b.honest, b.rng
    rows = _honest_online(b, count, taken)
    km, angle = rng.uniform(2, 15, len(rows)), rng.uniform(0, 2 * np.pi, len(rows))
    h.checkin_lat[rows] = h.elder_lat[rows] + km * np.sin(angle) * city.KM_LAT
    h.checkin_lon[rows] = h.elder_lon[rows] + km * np.cos(angle) * city.KM_LON
    for vid in h.id[rows].tolist():
        b.label(Rule.FAR_CHECKIN, "visit", str(vid))


def same_device(b: CityBuilder, count: int, taken: set[int]) -> None:
    """The volunteer confirmed the visit on their own phone."""
    h = b.honest
    rows = _honest_online(b, count, taken)
    h.confirm_device[rows] = h.checkin_device[rows]
    for vid in h.id[rows].tolist():
        b.label(Rule.SAME_DEVICE, "visit", str(vid))
