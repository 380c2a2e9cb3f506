"""Planted collusion and new accounts: two-way pairs, short rings, a newcomer earning fast."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from timebank.actors import SYSTEM
from timebank.demo.fraud.world import World, local_at
from timebank.demo.fraud.write import PlannedVisit
from timebank.demo.synth import Label
from timebank.errors import Conflict
from timebank.ledger import services as ledger
from timebank.people.idcard import make_id_number
from timebank.people.models import Person
from timebank.people.registration import register_person
from timebank.supervision.detection.epoch import from_epoch
from timebank.supervision.detection.facts import Rule

SPAN_DAYS = 45  # planted collusion happens inside the detectors' windows


def _services(w: World, server: int, served: int, n: int, first: int) -> list[PlannedVisit] | None:
    """``n`` visits of ``server`` at ``served``'s home on free days within the span."""
    lat, lon, _ = w.place(served)
    station = w.station_of(server)
    out = []
    for _ in range(n):
        slot = w.free_day([server], first, min(first + SPAN_DAYS - 1, w.hi))
        if slot is None:
            return None
        start = local_at(slot[1], 9 * 60 + int(w.rng.integers(0, 120)))
        minutes = int(np.clip(w.usual_minutes(served), 30, 120))
        out.append(w.visit(server, served, start, minutes, station=station, lat=lat, lon=lon))
    return out


def _group(w: World, size: int, used: set[int]) -> list[int] | None:
    """``size`` distinct old volunteers of one station not used by another pattern."""
    for _ in range(50):
        first = int(w.rng.choice(w.old))
        station = w.station_of(first)
        mates = [p for p in w.old if w.station_of(p) == station and p not in used]
        if first in used or len(mates) < size:
            continue
        members = [
            first,
            *w.rng.choice([m for m in mates if m != first], size - 1, replace=False).tolist(),
        ]
        used.update(members)
        return [int(m) for m in members]
    return None


def collusion(
    w: World, rule: Rule, count: int, used: set[int], labels: set[Label]
) -> list[PlannedVisit]:
    """Pairs who serve each other, or rings A→B→C(→D)→A, 5–8 services per edge in 45 days."""
    out: list[PlannedVisit] = []
    for _ in range(count):
        size = 2 if rule is Rule.TWO_WAY_PAIR else int(w.rng.choice([3, 4]))
        members = _group(w, size, used)
        if members is None:
            break
        first = int(w.rng.integers(w.lo, max(w.lo + 1, w.hi - SPAN_DAYS)))
        edges = list(zip(members, [*members[1:], members[0]], strict=True))
        planned = [_services(w, a, b, int(w.rng.integers(5, 9)), first) for a, b in edges]
        if any(p is None for p in planned):
            continue
        out += [v for p in planned if p for v in p]
        if rule is Rule.TWO_WAY_PAIR:
            a, b = sorted(members)
            labels.add((rule, "pair", f"{a}-{b}"))
        else:
            low = members.index(min(members))
            cycle = members[low:] + members[:low]
            labels.add((rule, "ring", "-".join(str(m) for m in cycle)))
    return out


def _register(session: Session, w: World, district: str, lat: float, lon: float, at: int) -> Person:
    """A real-name registration of a new volunteer (a fresh, valid resident ID)."""
    when = from_epoch(at)
    for _ in range(100):
        birth = date(1970, 1, 1) + timedelta(days=int(w.rng.integers(0, 365 * 30)))
        number = make_id_number(district, birth, int(w.rng.integers(0, 1000)))
        try:
            person = register_person(
                session,
                actor=SYSTEM,
                full_name="新志愿者",
                id_number=number,
                phone=None,
                district_code=district,
                lat=lat,
                lon=lon,
                at=when,
            )
        except Conflict:  # that resident ID is taken: draw another
            continue
        ledger.open_accounts(session, person_id=person.id, at=when)
        person.volunteer_status, person.activated_at = "active", when
        return person
    raise RuntimeError("could not draw a free resident ID")


def new_accounts(session: Session, w: World, count: int, labels: set[Label]) -> list[PlannedVisit]:
    """A volunteer who joins and does 2–3 visits a day for 24–27 days straight."""
    out: list[PlannedVisit] = []
    stations = [s for s, e in w.station_elders.items() if len(e) >= 3 and s > 0]
    for _ in range(count):
        if not stations or w.hi - w.lo < 30:
            break
        station = int(w.rng.choice(stations))
        elders = [int(e) for e in w.rng.choice(w.station_elders[station], 3, replace=False)]
        lat = float(np.mean([w.elders[e][0] for e in elders]))
        lon = float(np.mean([w.elders[e][1] for e in elders]))
        first = int(w.rng.integers(w.lo, w.hi - 28))
        person = _register(session, w, w.home[elders[0]][2], lat, lon, local_at(first - 1, 9 * 60))
        w.home[person.id] = (lat, lon, w.home[elders[0]][2])
        for day in range(first, first + int(w.rng.integers(24, 28))):
            for k in range(int(w.rng.integers(2, 4))):
                start = local_at(day, [9 * 60, 13 * 60 + 30, 17 * 60][k])
                out.append(w.visit(person.id, elders[(day + k) % 3], start, 60, station=station))
        labels.add((Rule.NEW_ACCOUNT_FAST, "person", str(person.id)))
    return out
