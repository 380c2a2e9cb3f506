"""Assembles a synthetic city: honest records first, then injected fraud with its labels."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from timebank.demo.synth import city
from timebank.supervision.detection.epoch import I64, local_day
from timebank.supervision.detection.facts import Rule
from timebank.supervision.detection.tables import NO_DEVICE, AccountTable, TransferTable, VisitTable

Label = tuple[Rule, str, str]  # (rule, subject_kind, subject_id) of one injected instance


@dataclass(frozen=True)
class SynthCity:
    visits: VisitTable
    transfers: TransferTable
    accounts: AccountTable
    truth: frozenset[Label]
    injected: dict[Rule, int]  # instances injected per pattern
    honest_visits: int


@dataclass
class CityBuilder:
    rng: np.random.Generator
    people: city.People
    stations: city.Stations
    need: I64  # each person's usual care category when served
    batches: list[VisitTable] = field(default_factory=list)  # the honest year is batch 0
    bypass_cap: list[np.ndarray] = field(default_factory=list)  # per batch
    transfers: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    truth: set[Label] = field(default_factory=set)
    injected: dict[Rule, int] = field(default_factory=dict)
    busy: set[int] = field(default_factory=set)  # vol index * days + local day index

    @classmethod
    def empty(cls, seed: int, n_people: int, n_stations: int) -> CityBuilder:
        rng = np.random.default_rng(seed)
        stations = city.make_stations(rng, n_stations)
        people = city.make_people(rng, n_people, stations)
        need = rng.choice(len(city.CATEGORIES), n_people, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.15])
        return cls(rng, people, stations, need.astype(np.int64))

    @property
    def honest(self) -> VisitTable:
        return self.batches[0]

    @property
    def visit_count(self) -> int:
        return sum(len(b) for b in self.batches)

    def add_volunteers(self, station: I64, created_at: I64) -> I64:
        """New adult volunteers living near the given stations; returns their indices."""
        pp, n, rng = self.people, len(station), self.rng
        first = len(pp.age)
        extra = {
            "age": rng.integers(25, 56, n),
            "station": station,
            "lat": self.stations.lat[station] + rng.normal(0, 1.0, n) * city.KM_LAT,
            "lon": self.stations.lon[station] + rng.normal(0, 1.0, n) * city.KM_LON,
            "volunteer": np.ones(n, bool),
            "elder": np.zeros(n, bool),
            "created_at": created_at,
            "has_phone": np.ones(n, bool),
            "roster": np.full((n, 3), -1, np.int64),
            "buddy": np.full(n, -1, np.int64),
        }
        for name, values in extra.items():
            setattr(pp, name, np.concatenate([getattr(pp, name), values]))
        self.need = np.concatenate([self.need, np.zeros(n, np.int64)])
        return np.arange(first, first + n, dtype=np.int64)

    def day_of(self, t: I64) -> I64:
        return local_day(t) - local_day(np.array([city.PERIOD_START]))[0]

    def is_free(self, vol: int, day: int) -> bool:
        return vol * city.PERIOD_DAYS + day not in self.busy

    def add_visits(
        self,
        vol: I64,
        elder: I64,
        start: I64,
        minutes: I64,
        category: I64,
        offline: np.ndarray | None = None,
        bypass_cap: bool = False,
    ) -> I64:
        """Append visits (person indices in, ids out), filling GPS, devices and station."""
        n, rng, pp = len(vol), self.rng, self.people
        if offline is None:
            share = self.stations.offline_share[pp.station[elder]]
            offline = rng.random(n) < share
        noisy = rng.random(n) < 0.03  # indoors or among tall buildings
        metres = np.where(noisy, 150.0, 20.0)
        lat = pp.lat[elder] + rng.normal(0, 1, n) * metres / 1000 * city.KM_LAT
        lon = pp.lon[elder] + rng.normal(0, 1, n) * metres / 1000 * city.KM_LON
        phone = pp.has_phone[elder]
        confirm = np.where(phone, elder + 1, city.TABLET + pp.station[elder])
        first = self.visit_count + 1
        ids = np.arange(first, first + n, dtype=np.int64)
        batch = VisitTable(
            id=ids,
            volunteer=vol + 1,
            elder=elder + 1,
            start=start,
            end=start + minutes * 60,
            category=category,
            credited=(minutes // 30) * 30,  # capped per day by ``finish``, as the ledger does
            station=pp.station[elder],
            elder_lat=pp.lat[elder],
            elder_lon=pp.lon[elder],
            checkin_lat=np.where(offline, np.nan, lat),
            checkin_lon=np.where(offline, np.nan, lon),
            checkin_device=np.where(offline, NO_DEVICE, vol + 1),
            confirm_device=np.where(offline, NO_DEVICE, confirm),
            offline=offline,
            categories=city.CATEGORIES,
        )
        self.batches.append(batch)
        self.bypass_cap.append(np.full(n, bypass_cap))
        self.reserve(vol, start)
        return ids

    def reserve(self, vol: I64, start: I64) -> None:
        days = self.day_of(start)
        self.busy.update((vol * city.PERIOD_DAYS + days).tolist())

    def add_transfer(self, kind: int, actor: int, recipient: int, minutes: int, at: int) -> int:
        tid = len(self.transfers) + 1
        self.transfers.append((tid, kind, actor, recipient, minutes, at))
        return tid

    def label(self, rule: Rule, kind: str, subject: str) -> None:
        self.truth.add((rule, kind, subject))
        self.injected[rule] = self.injected.get(rule, 0) + 1

    def finish(self) -> SynthCity:
        t = self.batches[0]
        for batch in self.batches[1:]:
            t = t.concat(batch)
        visits = dataclasses.replace(t, credited=_ledger_credit(t, np.concatenate(self.bypass_cap)))
        rows = np.array(self.transfers or np.zeros((0, 6)), np.int64).reshape(-1, 6)
        transfers = TransferTable(*(np.ascontiguousarray(c) for c in rows.T))
        accounts = AccountTable.build(self.people.ids, self.people.created_at)
        truth = frozenset(self.truth)
        return SynthCity(visits, transfers, accounts, truth, self.injected, len(self.honest))


def _ledger_credit(t: VisitTable, bypass: np.ndarray, cap: int = 8 * 60) -> I64:
    """Credit in write order, capped per volunteer per local day, except records that bypass."""
    order = np.lexsort((t.start, local_day(t.start), t.volunteer))
    raw = np.where(bypass, 0, t.credited)[order]
    group = np.r_[
        True, (np.diff(t.volunteer[order]) != 0) | (np.diff(local_day(t.start[order])) != 0)
    ]
    total = np.cumsum(raw)
    before = total - raw - np.maximum.accumulate(np.where(group, total - raw, 0))
    capped = np.clip(cap - before, 0, raw)
    out = np.empty(len(t), np.int64)
    out[order] = np.where(bypass[order], t.credited[order], capped)
    return out
