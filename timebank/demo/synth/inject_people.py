"""Injectors that plant people: fast-earning new accounts, colluding pairs and rings."""

from __future__ import annotations

import numpy as np

from timebank.demo.synth import city
from timebank.demo.synth.builder import CityBuilder
from timebank.demo.synth.inject_visits import old_volunteers
from timebank.supervision.detection.epoch import DAY_S
from timebank.supervision.detection.facts import Rule


class _Batch:
    """Visits collected across many planted instances, added in one go."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, int, int]] = []  # vol, elder, start, minutes, cat

    def add(
        self, b: CityBuilder, vol: int, elder: int, day: int, categories: list[int], block: int = -1
    ) -> None:
        block = int(b.rng.integers(0, 3)) if block < 0 else block
        lo, hi = (int(x) for x in city.BLOCKS[block])
        category = int(b.rng.choice(categories))
        median = city.CAT_MEDIAN[category] * np.exp(city.CAT_SIGMA[category] * b.rng.normal())
        minutes = int(np.clip(round(median), 40, hi - lo - 10))
        start = (
            city.PERIOD_START + day * DAY_S + (lo + int(b.rng.integers(0, hi - lo - minutes))) * 60
        )
        self.rows.append((vol, elder, start, minutes, category))

    def flush(self, b: CityBuilder) -> None:
        if self.rows:
            arr = np.array(self.rows, np.int64)
            b.add_visits(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4])


def new_account_fast(b: CityBuilder, count: int) -> None:
    """A new account that logs two or three visits a day from its first week."""
    rng = b.rng
    created_day = rng.integers(0, city.PERIOD_DAYS - 40, count)
    created = city.PERIOD_START + created_day * DAY_S + rng.integers(9 * 3600, 17 * 3600, count)
    # Stations weighted by their population: 65 visits in a month would swamp a tiny one.
    station = b.people.station[rng.integers(0, len(b.people.age), count)]
    people = b.add_volunteers(station.astype(np.int64), created)
    slots: list[tuple[int, int, int]] = []  # person, day, block
    for person, first in zip(people.tolist(), created_day.tolist(), strict=True):
        for day in range(first + 1, first + 1 + int(rng.integers(24, 28))):
            blocks = rng.permutation(3)[: 3 if rng.random() < 0.6 else 2]
            slots += [(person, day, block) for block in blocks.tolist()]
        b.label(Rule.NEW_ACCOUNT_FAST, "person", str(person + 1))
    if not slots:
        return
    vol, day, block = np.array(slots, np.int64).T
    elder = city.station_elders(rng, b.people, b.people.station[vol])
    category = rng.choice([0, 1, 4], len(vol))
    room = city.BLOCKS[block, 1] - city.BLOCKS[block, 0]
    minutes = np.clip(np.rint(city.durations(rng, category)), 40, room - 10).astype(np.int64)
    offset = (rng.random(len(vol)) * (room - minutes)).astype(np.int64)
    start = city.local_start(day, city.BLOCKS[block, 0] + offset)
    b.add_visits(vol, elder, start, minutes, category)


def _free_for_both(b: CityBuilder, a: int, c: int, lo: int, hi: int) -> int | None:
    for _ in range(60):
        day = int(b.rng.integers(lo, hi))
        if b.is_free(a, day) and b.is_free(c, day):
            b.busy.update((a * city.PERIOD_DAYS + day, c * city.PERIOD_DAYS + day))
            return day
    return None


def _collude(b: CityBuilder, batch: _Batch, members: list[int]) -> bool:
    """Each member serves the next (cyclically) five to eight times within ~45 days.

    All or nothing: a half-planted ring would be an unlabelled fraud in the benchmark.
    """
    w0 = int(b.rng.integers(0, city.PERIOD_DAYS - 50))
    edges = list(zip(members, [*members[1:], members[0]], strict=True))
    if len(members) == 2:
        edges = edges[:1]
        edges.append((members[1], members[0]))
    planted = _Batch()
    for server, served in edges:
        for _ in range(int(b.rng.integers(5, 9))):
            day = _free_for_both(b, server, served, w0, w0 + 45)
            if day is None:
                return False
            planted.add(b, server, served, day, [int(b.need[served])])
    batch.rows += planted.rows
    return True


def _groups(b: CityBuilder, count: int, size_of: list[int], used: set[int]) -> list[list[int]]:
    """Disjoint groups of low-age elders who volunteer, each group within one station."""
    both = old_volunteers(b, both_roles=True)
    both = both[b.rng.permutation(len(both))]
    by_station: dict[int, list[int]] = {}
    for person in both.tolist():
        if person not in used:
            by_station.setdefault(int(b.people.station[person]), []).append(person)
    groups = []
    for size in size_of[:count]:
        pools = [p for p in by_station.values() if len(p) >= size]
        if not pools:
            break
        pool = pools[int(b.rng.integers(0, len(pools)))]
        group = [pool.pop() for _ in range(size)]
        used.update(group)
        groups.append(group)
    return groups


def two_way_pairs(b: CityBuilder, count: int, used: set[int]) -> None:
    batch = _Batch()
    for a, c in _groups(b, count, [2] * count, used):
        if _collude(b, batch, [a, c]):
            lo, hi = sorted((a + 1, c + 1))
            b.label(Rule.TWO_WAY_PAIR, "pair", f"{lo}-{hi}")
    batch.flush(b)


def rings(b: CityBuilder, count: int, used: set[int]) -> None:
    batch = _Batch()
    sizes = [3 if b.rng.random() < 0.7 else 4 for _ in range(count)]
    for group in _groups(b, count, sizes, used):
        if _collude(b, batch, group):
            ids = [g + 1 for g in group]
            first = ids.index(min(ids))
            b.label(Rule.RING, "ring", "-".join(str(x) for x in ids[first:] + ids[:first]))
    batch.flush(b)
