"""The honest year: visits from the plan in ``city``, plus gifts, donations and redemptions."""

from __future__ import annotations

import numpy as np

from timebank.demo.synth import city
from timebank.demo.synth.builder import CityBuilder
from timebank.supervision.detection.epoch import DAY_S
from timebank.supervision.detection.tables import DONATION, GIFT, REDEMPTION

SPRING_FESTIVAL_DAY = 40  # 2024-02-10
MID_AUTUMN_DAY = 260  # 2024-09-17
GIVING_DAY = 252  # 2024-09-09, "99 Giving Day"


def add_honest_visits(b: CityBuilder, n_visits: int) -> None:
    rng, pp = b.rng, b.people
    plan = city.honest_visit_plan(rng, pp, n_visits)
    vol, elder, day, block = plan["vol"], plan["elder"], plan["day"], plan["block"]
    n = len(vol)
    category = np.where(rng.random(n) < 0.8, b.need[elder], rng.integers(0, 6, n))
    room = city.BLOCKS[block, 1] - city.BLOCKS[block, 0]
    minutes = np.clip(np.rint(city.durations(rng, category)), 15, room - 10).astype(np.int64)
    offset = (rng.random(n) * (room - minutes)).astype(np.int64)
    start = city.local_start(day, city.BLOCKS[block, 0] + offset)
    end = start + minutes * 60
    keep = city.drop_implausible_travel(vol, start, end, pp.lat[elder], pp.lon[elder])
    order = np.flatnonzero(keep)
    order = order[np.lexsort((start[order],))]  # ids in time order, as a database would have
    b.add_visits(vol[order], elder[order], start[order], minutes[order], category[order])


def _at(rng: np.random.Generator, day: int | np.integer) -> int:
    """An instant during waking hours of a (fractional) local day of the period."""
    return int(city.PERIOD_START + int(day) * DAY_S + rng.integers(8 * 3600, 21 * 3600))


def add_honest_transfers(b: CityBuilder, n_visits: int) -> None:
    """Gifts to parents (often at festivals), occasional donations, redemptions of care."""
    rng, pp = b.rng, b.people
    vols, elders = np.flatnonzero(pp.volunteer), np.flatnonzero(pp.elder)
    givers = rng.choice(vols, max(1, n_visits // 120), replace=False)
    gifts: list[tuple[int, int, int, int]] = []  # giver, recipient, minutes, at
    for giver in givers.tolist():
        parents = rng.choice(elders, rng.integers(1, 3))
        for _ in range(min(5, 1 + rng.poisson(0.7))):
            festive = rng.random() < 0.3
            festival = SPRING_FESTIVAL_DAY if rng.random() < 0.6 else MID_AUTUMN_DAY
            day = festival + rng.integers(-5, 3) if festive else rng.integers(0, city.PERIOD_DAYS)
            minutes = int(rng.integers(20, 101)) * 30
            gifts.append((giver, int(rng.choice(parents)), minutes, _at(rng, day)))
    # Large families: several children each give to the same parent around Spring Festival.
    for parent in rng.choice(elders, max(1, n_visits // 5000), replace=False).tolist():
        for child in rng.choice(vols, rng.integers(3, 5), replace=False).tolist():
            day = SPRING_FESTIVAL_DAY + rng.integers(-7, 4)
            gifts.append((child, parent, int(rng.integers(20, 61)) * 30, _at(rng, day)))
    for giver, recipient, minutes, at in sorted(gifts, key=lambda g: g[3]):
        b.add_transfer(GIFT, giver + 1, recipient + 1, minutes, at)
        if rng.random() < 0.7:  # the parent spends some of it weeks later, one service a time
            delay = rng.lognormal(np.log(10 * DAY_S), 1.0)
            minutes_spent = int(rng.integers(2, 7)) * 30
            b.add_transfer(REDEMPTION, recipient + 1, -1, minutes_spent, int(at + delay))
    donors = rng.choice(vols, max(1, n_visits // 400), replace=False)
    for donor in donors.tolist():
        days = rng.integers(0, city.PERIOD_DAYS, rng.integers(1, 5))
        if rng.random() < 0.3:
            days[0] = GIVING_DAY
        for day in days.tolist():
            b.add_transfer(DONATION, donor + 1, -1, int(rng.integers(2, 21)) * 30, _at(rng, day))
    n = n_visits // 10
    spenders = rng.choice(elders, n) + 1
    spend_at = city.PERIOD_START + rng.integers(0, city.PERIOD_DAYS, n) * DAY_S
    spend_at += rng.integers(8 * 3600, 21 * 3600, n)
    spent = rng.integers(2, 7, n) * 30
    for row in zip(spenders.tolist(), spent.tolist(), spend_at.tolist(), strict=True):
        b.add_transfer(REDEMPTION, row[0], -1, row[1], row[2])
