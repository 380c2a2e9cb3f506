"""What the planter knows about an existing database: who serves whom, where, when, and who
holds coins, so each planted record shows only its own pattern.

A planted visit goes on a day its volunteer is otherwise free, at an elder they already serve
(or one of the station's), for a duration usual for the category, credited within the cap
unless the pattern is a cap breach.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank.catalog.models import ServiceItem
from timebank.demo.fraud.write import PlannedVisit
from timebank.ledger.models import Account
from timebank.people.models import Person
from timebank.policy import Policy
from timebank.policy_store import load_policy
from timebank.supervision import repository
from timebank.supervision.detection.params import DEFAULT_PARAMS
from timebank.supervision.detection.rules.single_visit import duration_baseline
from timebank.supervision.detection.tables import (
    DONATION,
    GIFT,
    REDEMPTION,
    TransferTable,
    VisitTable,
)

DAY, OFFSET = 86_400, 8 * 3600
OLD_DAYS = 60  # accounts at least this old are planted on (a new one is its own pattern)
KM_LAT, KM_LON = 1 / 111.0, 1 / 85.0  # degrees per km around Beijing


def local_day(t: int) -> int:
    return (t + OFFSET) // DAY


def local_at(day: int, minute: int) -> int:
    return day * DAY - OFFSET + minute * 60


@dataclass
class World:
    rng: np.random.Generator
    policy: Policy
    visits: VisitTable
    transfers: TransferTable
    lo: int  # first and last local day a planted record may fall on
    hi: int
    old: list[int]  # volunteers with an old account and a record of service
    regular: dict[int, int]  # volunteer → the elder they serve most
    elders: dict[int, tuple[float, float, int]]  # elder → (lat, lon, station)
    station_elders: dict[int, list[int]]
    home: dict[int, tuple[float | None, float | None, str]]  # person → lat, lon, district
    items: dict[str, int]  # category → a city-wide, non-professional item
    category_of: dict[int, str]  # elder → the category they are usually served in
    median: dict[str, float]  # category → median minutes
    spread: dict[str, float]  # category → robust sigma of ln minutes (as the baseline has it)
    available: dict[int, int]  # person → own-earned minutes they may still move
    busy: set[tuple[int, int]] = field(default_factory=set)  # (person, local day)
    gave: set[int] = field(default_factory=set)
    donated: set[int] = field(default_factory=set)
    spent: set[int] = field(default_factory=set)

    def free(self, person: int, day: int) -> bool:
        return (person, day) not in self.busy

    def free_day(
        self, people: list[int], lo: int | None = None, hi: int | None = None
    ) -> tuple[int, int] | None:
        """A (person, day) with nothing booked, now reserved; None when none is found."""
        lo, hi = self.lo if lo is None else lo, self.hi if hi is None else hi
        for _ in range(200):
            person = int(self.rng.choice(people))
            day = int(self.rng.integers(lo, hi + 1))
            if self.free(person, day):
                self.busy.add((person, day))
                return person, day
        return None

    def elder_for(self, volunteer: int) -> int:
        """The elder the volunteer serves most (every planted-on volunteer has one)."""
        return self.regular[volunteer]

    def station_of(self, volunteer: int) -> int:
        return self.elders[self.regular[volunteer]][2]

    def usual_minutes(self, elder: int) -> int:
        return round(self.median[self.category_of.get(elder, next(iter(self.median)))])

    def outlier_factor(self, elder: int) -> float:
        """How many times the usual duration lies clearly beyond the duration rule's
        threshold in this database (its categories' spread is its own)."""
        sigma = self.spread.get(self.category_of.get(elder, ""), 0.0)
        return math.exp((DEFAULT_PARAMS.duration_z + 1.0) * sigma)

    def credit(self, minutes: int) -> int:
        unit = self.policy.credit_unit_minutes
        return min(minutes // unit * unit, self.policy.daily_credit_cap_minutes)

    def visit(
        self, volunteer: int, elder: int, start: int, minutes: int, **extra: object
    ) -> PlannedVisit:
        lat, lon, station = self.place(elder)
        category = self.category_of.get(elder, next(iter(self.items)))
        noise = self.rng.normal(0, 0.02, 2)  # 20 m of GPS error
        planned = PlannedVisit(
            volunteer=volunteer,
            elder=elder,
            start=start,
            minutes=minutes,
            item_id=self.items.get(category, next(iter(self.items.values()))),
            station=station,
            district=self.home[elder][2],
            lat=lat,
            lon=lon,
            checkin=(lat + noise[0] * KM_LAT, lon + noise[1] * KM_LON),
            device=f"plant-v{volunteer}",
            confirm_device=f"plant-e{elder}",
            credit=self.credit(minutes),
        )
        for name, value in extra.items():
            setattr(planned, name, value)
        return planned

    def place(self, person: int) -> tuple[float, float, int]:
        if person in self.elders:
            return self.elders[person]
        lat, lon, _ = self.home[person]
        station = next(iter(self.station_elders))
        return (lat if lat is not None else 39.9, lon if lon is not None else 116.4, station)


def load_world(session: Session, *, seed: int, until: int) -> World:
    v = repository.load_visits(session)
    tt = repository.load_transfers(session)
    accounts = repository.load_accounts(session)
    if len(v) == 0:
        raise ValueError("the database has no visits to plant among")
    lo, hi = (
        local_day(int(v.start.min())) + 30,
        min(local_day(int(v.start.max())), local_day(until) - 1),
    )
    vols, counts = np.unique(v.volunteer, return_counts=True)
    created = accounts.created(vols)
    ok = (counts >= 5) & (created < local_at(lo, 0) - OLD_DAYS * DAY)
    pairs = Counter(zip(v.volunteer.tolist(), v.elder.tolist(), strict=True))
    regular: dict[int, int] = {}
    for (vol, elder), _ in pairs.most_common():
        regular.setdefault(vol, elder)
    elders: dict[int, tuple[float, float, int]] = {}
    category_of: dict[int, str] = {}
    station_elders: dict[int, list[int]] = {}
    for row in range(len(v)):
        elder = int(v.elder[row])
        if elder not in elders:
            elders[elder] = (float(v.elder_lat[row]), float(v.elder_lon[row]), int(v.station[row]))
            category_of[elder] = v.categories[int(v.category[row])]
            station_elders.setdefault(int(v.station[row]), []).append(elder)
    minutes = (v.end - v.start) / 60
    median = {
        c: float(np.median(minutes[v.category == i]))
        for i, c in enumerate(v.categories)
        if (v.category == i).any()
    }
    spread = {c: sigma for c, (_, sigma) in duration_baseline(v, DEFAULT_PARAMS).items()}
    items = dict(
        session.execute(
            select(ServiceItem.category_code, func.min(ServiceItem.id))
            .where(
                ServiceItem.active, ~ServiceItem.professional, ServiceItem.district_code.is_(None)
            )
            .group_by(ServiceItem.category_code)
        )
        .tuples()
        .all()
    )
    home = {
        pid: (lat, lon, district)
        for pid, lat, lon, district in session.execute(
            select(Person.id, Person.lat, Person.lon, Person.district_code).where(
                Person.status == "active"
            )
        ).all()
    }
    available = dict(
        session.execute(
            select(Account.person_id, Account.balance - Account.pending).where(
                Account.kind == "earned"
            )
        )
        .tuples()
        .all()
    )
    world = World(
        rng=np.random.default_rng(seed),
        policy=load_policy(session),
        visits=v,
        transfers=tt,
        lo=lo,
        hi=hi,
        old=[int(p) for p in vols[ok] if int(p) in home],
        regular=regular,
        elders=elders,
        station_elders=station_elders,
        home=home,
        items=items,
        category_of=category_of,
        median=median,
        spread=spread,
        available={int(k): int(a) for k, a in available.items() if k is not None},
    )
    world.busy = set(zip(v.volunteer.tolist(), ((v.start + OFFSET) // DAY).tolist(), strict=True))
    world.gave = set(tt.actor[tt.kind == GIFT].tolist())
    world.donated = set(tt.actor[tt.kind == DONATION].tolist())
    world.spent = set(tt.actor[tt.kind == REDEMPTION].tolist())
    return world
