"""A deterministic honest city: people, stations and a year of visits that break no rule.

Honest behaviour is modelled to sit close to the thresholds where it plausibly would: evening
visits end by 21:45, GPS is off by up to a few hundred metres, some neighbours help each other
both ways a few times, volunteers cross town when their day allows it. What it cannot model is
real honest behaviour the rules would flag (a couple of old neighbours who truly help each
other every week), so precision measured on it is an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timebank.geodesy import haversine_m
from timebank.supervision.detection.epoch import DAY_S, F64, I64, LOCAL_OFFSET_S

PERIOD_START = 1_704_038_400  # 2024-01-01 00:00 Asia/Shanghai
PERIOD_DAYS = 366
FIRST_LOCAL_DAY = (PERIOD_START + LOCAL_OFFSET_S) // DAY_S
CATEGORIES = ("companionship", "cleaning", "shopping", "meal", "escort", "personal_care")
CAT_MEDIAN = np.array([90.0, 120.0, 60.0, 45.0, 120.0, 60.0])  # minutes
CAT_SIGMA = np.array([0.30, 0.25, 0.35, 0.30, 0.35, 0.30])  # of ln minutes
BLOCKS = np.array([[7 * 60, 12 * 60], [13 * 60, 18 * 60], [18 * 60 + 30, 21 * 60 + 45]])
MONTH_WEIGHT = np.array([1.0, 0.8, 1.0, 1.0, 1.05, 1.0, 0.95, 0.95, 1.05, 1.0, 1.0, 1.05])
TABLET = 10_000_000  # station tablets confirm for elders without a phone
KM_LAT, KM_LON = 1 / 111.0, 1 / 85.0  # degrees per km around Beijing


@dataclass
class People:
    """Person ``i`` has id ``i + 1``; ages, homes and roles are fixed for the year."""

    age: I64
    station: I64
    lat: F64
    lon: F64
    volunteer: np.ndarray
    elder: np.ndarray
    created_at: I64
    has_phone: np.ndarray
    roster: I64  # (people, 3) elder indices a volunteer visits regularly, −1 for none
    buddy: I64  # a neighbour of the same generation helped now and then, −1 for none

    @property
    def ids(self) -> I64:
        return np.arange(1, len(self.age) + 1, dtype=np.int64)


@dataclass
class Stations:
    lat: F64
    lon: F64
    offline_share: F64


def make_stations(rng: np.random.Generator, n: int) -> Stations:
    return Stations(
        lat=rng.uniform(39.75, 40.10, n),
        lon=rng.uniform(116.15, 116.65, n),
        offline_share=rng.uniform(0.02, 0.25, n),
    )


def make_people(rng: np.random.Generator, n: int, st: Stations) -> People:
    role = rng.choice(3, n, p=[0.40, 0.15, 0.45])  # young volunteer, both, old elder
    age = np.select([role == 0, role == 1], [rng.integers(18, 60, n), rng.integers(60, 73, n)])
    age = np.where(role == 2, rng.integers(73, 96, n), age).astype(np.int64)
    size = rng.lognormal(0, 0.5, len(st.lat))
    station = rng.choice(len(st.lat), n, p=size / size.sum()).astype(np.int64)
    lat = st.lat[station] + rng.normal(0, 1.0, n) * KM_LAT
    lon = st.lon[station] + rng.normal(0, 1.0, n) * KM_LON
    years = rng.uniform(0, 4, n) * 365 * DAY_S
    created = PERIOD_START - years
    joins = (role < 2) & (rng.random(n) < 0.15)  # volunteers who sign up during the year
    created = np.where(joins, PERIOD_START + rng.uniform(0, 330, n) * DAY_S, created)
    people = People(
        age=age,
        station=station,
        lat=lat,
        lon=lon,
        volunteer=role < 2,
        elder=role > 0,
        created_at=created.astype(np.int64),
        has_phone=(role < 2) | (rng.random(n) < 0.7),
        roster=np.full((n, 3), -1, np.int64),
        buddy=np.full(n, -1, np.int64),
    )
    people.roster = _rosters(rng, people)
    people.buddy = _buddies(rng, people)
    return people


def _buddies(rng: np.random.Generator, pp: People) -> I64:
    """Pairs of low-age elders in one station who help each other: honest two-way service."""
    both = np.flatnonzero(pp.volunteer & pp.elder & (rng.random(len(pp.age)) < 0.3))
    both = both[np.lexsort((rng.random(len(both)), pp.station[both]))]
    buddy = np.full(len(pp.age), -1, np.int64)
    a, c = both[:-1:2], both[1::2]
    same = pp.station[a] == pp.station[c]
    buddy[a[same]], buddy[c[same]] = c[same], a[same]
    return buddy


def _rosters(rng: np.random.Generator, pp: People) -> I64:
    """Regular elders in the volunteer's station, older by five years or more.

    Younger serving older (低龄服务高龄) is how the scheme is meant to work, and it is what
    keeps honest heavy edges from closing into rings.
    """
    elders = np.flatnonzero(pp.elder)
    order = elders[np.lexsort((pp.age[elders], pp.station[elders]))]
    key = pp.station[order] * 1000 + pp.age[order]
    vols = np.flatnonzero(pp.volunteer)
    min_age = np.where(pp.age[vols] >= 60, pp.age[vols] + 5, 0)
    lo = np.searchsorted(key, pp.station[vols] * 1000 + min_age)
    hi = np.searchsorted(key, pp.station[vols] * 1000 + 999)
    roster = np.full((len(pp.age), 3), -1, np.int64)
    ok = hi > lo
    for k in range(3):
        pick = lo + (rng.random(len(vols)) * (hi - lo)).astype(np.int64)
        roster[vols[ok], k] = order[np.minimum(pick, len(order) - 1)][ok]
    return roster


def station_elders(rng: np.random.Generator, pp: People, station: I64) -> I64:
    """A random elder index of each given station (−1 where the station has none)."""
    elders = np.flatnonzero(pp.elder)
    elders = elders[np.argsort(pp.station[elders], kind="stable")]
    lo = np.searchsorted(pp.station[elders], station, "left")
    hi = np.searchsorted(pp.station[elders], station, "right")
    pick = lo + (rng.random(len(station)) * (hi - lo)).astype(np.int64)
    return np.where(hi > lo, elders[np.minimum(pick, len(elders) - 1)], -1)


def durations(rng: np.random.Generator, category: I64) -> F64:
    return np.asarray(
        CAT_MEDIAN[category] * np.exp(CAT_SIGMA[category] * rng.normal(size=len(category)))
    )


def honest_visit_plan(rng: np.random.Generator, pp: People, n_visits: int) -> dict[str, I64]:
    """Who serves whom on which day and block; times come from ``schedule``."""
    vols = np.flatnonzero(pp.volunteer)
    rate = rng.lognormal(0, 0.6, len(vols))
    # A few newcomers start keen and stay keen: the honest end of "a new account earning fast".
    keen = (pp.created_at[vols] > PERIOD_START) & (rng.random(len(vols)) < 0.05)
    rate = np.where(keen, rng.uniform(3, 7, len(vols)), rate)
    first_day = np.clip((pp.created_at[vols] - PERIOD_START) // DAY_S + 1, 0, PERIOD_DAYS - 1)
    weight = rate * (PERIOD_DAYS - first_day)
    counts = rng.poisson(weight / weight.sum() * n_visits * 1.12)
    vol = np.repeat(vols, counts)
    first = np.repeat(first_day, counts)
    day_weight = np.repeat(MONTH_WEIGHT, 31)[:PERIOD_DAYS]  # roughly calendar months
    span = PERIOD_DAYS - first
    u = rng.random(len(vol))
    day = first + (u * span).astype(np.int64)
    keep = rng.random(len(vol)) < day_weight[day] / day_weight.max()
    # Newcomers ease in: half their first month's visits never happen.
    fresh = (PERIOD_START + day * DAY_S - pp.created_at[vol]) < 30 * DAY_S
    keep &= ~fresh | (rng.random(len(vol)) < 0.5) | np.repeat(keen, counts)
    block = rng.choice(3, len(vol), p=[0.5, 0.4, 0.1])
    slot = (vol * PERIOD_DAYS + day) * 3 + block
    _, first_of_slot = np.unique(np.where(keep, slot, -1 - np.arange(len(slot))), return_index=True)
    chosen = np.zeros(len(vol), bool)
    chosen[first_of_slot] = True
    chosen &= keep
    vol, day, block = vol[chosen], day[chosen], block[chosen]
    take = rng.permutation(len(vol))[:n_visits]
    vol, day, block = vol[take], day[take], block[take]
    elder = _pick_elders(rng, pp, vol)
    ok = (elder >= 0) & (elder != vol)
    return {"vol": vol[ok], "elder": elder[ok], "day": day[ok], "block": block[ok]}


def _pick_elders(rng: np.random.Generator, pp: People, vol: I64) -> I64:
    kind = rng.choice(3, len(vol), p=[0.80, 0.18, 0.02])  # roster, own station, anywhere
    which = rng.choice(3, len(vol), p=[0.5, 0.3, 0.2])
    elder = pp.roster[vol, which]
    local = station_elders(rng, pp, pp.station[vol])
    anywhere = station_elders(rng, pp, rng.integers(0, pp.station.max() + 1, len(vol)))
    elder = np.where((kind == 1) | (elder < 0), local, elder)
    elder = np.where(kind == 2, anywhere, elder)
    to_buddy = (pp.buddy[vol] >= 0) & (rng.random(len(vol)) < 0.1)
    return np.where(to_buddy, pp.buddy[vol], elder)


def day_label(day: int) -> str:
    """The local date of a day of the period."""
    return str(np.datetime64(int(FIRST_LOCAL_DAY + day), "D"))


def local_start(day: I64, minute_of_day: I64) -> I64:
    return PERIOD_START + day * DAY_S + minute_of_day * 60


def minute_of_day(t: I64) -> I64:
    return ((t + LOCAL_OFFSET_S) % DAY_S) // 60


def drop_implausible_travel(vol: I64, start: I64, end: I64, lat: F64, lon: F64) -> np.ndarray:
    """Mask of visits to keep so that no honest volunteer travels faster than 25 km/h."""
    keep = np.ones(len(vol), bool)
    order = np.lexsort((start, vol))
    for _ in range(4):
        o = order[keep[order]]
        gap_h = np.maximum(start[o[1:]] - end[o[:-1]], 60) / 3600
        km = haversine_m(lat[o[:-1]], lon[o[:-1]], lat[o[1:]], lon[o[1:]]) / 1000.0
        bad = (vol[o[1:]] == vol[o[:-1]]) & ((km / gap_h > 25) | (start[o[1:]] < end[o[:-1]]))
        if not bad.any():
            break
        keep[o[1:][bad]] = False
    return keep
