"""Write a synthetic honest city (``synth``) into an empty database, for the bench and tests.

Bulk inserts, not use cases: people get placeholder identities (no real resident IDs), and
the ledger rows are written with the balances their transfers give, so ``verify_ledger``
holds (people who spend more than they earned in the model carry an allowed, listed debt).
Not for the demo, which builds its city through the use cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.catalog.models import ServiceItem
from timebank.demo.fraud.write import PlannedVisit, insert_rows, insert_visits
from timebank.demo.geography import DISTRICTS, seed_geography
from timebank.demo.synth import SynthCity
from timebank.demo.synth import city as model
from timebank.demo.synth.builder import CityBuilder
from timebank.demo.synth.honest import add_honest_transfers, add_honest_visits
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, REDEMPTION_ID, Account, Transfer
from timebank.people.models import Organisation, Person
from timebank.supervision.detection.epoch import from_epoch, local_day
from timebank.supervision.detection.tables import DONATION, GIFT, NO_DEVICE

# The model's six categories, each on a city item of its own category.
ITEMS = {
    "companionship": "chat_visit",
    "cleaning": "shopping",
    "shopping": "walk",
    "meal": "reading",
    "escort": "health_talk",
    "personal_care": "seminar",
}
BATCH = 10_000
EARLY = datetime(2020, 1, 1, tzinfo=UTC)
_CENTRES = np.array([[d.lat, d.lon] for d in DISTRICTS])


@dataclass(frozen=True)
class HonestCity:
    tables: SynthCity
    people: model.People
    stations: model.Stations


def honest_city(n_visits: int, seed: int, stations: int | None = None) -> HonestCity:
    b = CityBuilder.empty(seed, max(200, n_visits // 25), stations or max(4, n_visits // 4000))
    add_honest_visits(b, n_visits)
    add_honest_transfers(b, n_visits)
    return HonestCity(b.finish(), b.people, b.stations)


def _district(lat: np.ndarray, lon: np.ndarray) -> list[str]:
    d = (lat[:, None] - _CENTRES[:, 0]) ** 2 + (lon[:, None] - _CENTRES[:, 1]) ** 2
    return [DISTRICTS[i].code for i in d.argmin(axis=1)]


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]], ids: bool = True) -> list[int]:
    out: list[int] = []
    for i in range(0, len(rows), BATCH):
        if ids:
            out += insert_rows(session, table.__table__, rows[i : i + BATCH])
        else:
            session.execute(insert(table.__table__), rows[i : i + BATCH])
    return out


def load_city(session: Session, city: HonestCity, *, seed: int) -> np.ndarray:
    """Write it all; returns the database id of each synthetic person (index = synth id − 1)."""
    seed_geography(session)
    st, pp, v = city.stations, city.people, city.tables.visits
    stations = np.array(
        _bulk(
            session,
            Organisation,
            [
                {
                    "kind": "station",
                    "name": f"服务站 {s}",
                    "district_code": d,
                    "confirmed_by_street_at": EARLY,
                    "untrustworthy": False,
                    "created_at": EARLY,
                }
                for s, d in enumerate(_district(st.lat, st.lon))
            ],
        ),
        np.int64,
    )
    districts = _district(pp.lat, pp.lon)
    person_rows = [
        {
            "full_name": f"居民{i + 1}",
            "id_hash": f"synth:{seed}:{i + 1}",
            "id_cipher": "-",
            "id_masked": f"{districts[i]}********{i % 10000:04d}",
            "birth_date": date(2024 - int(pp.age[i]), 6, 1),
            "sex": "FM"[i % 2],
            "phone": f"138{i:08d}" if pp.has_phone[i] else None,
            "district_code": districts[i],
            "lat": float(pp.lat[i]),
            "lon": float(pp.lon[i]),
            "status": "active",
            "volunteer_status": "active" if pp.volunteer[i] else "none",
            "activated_at": from_epoch(int(pp.created_at[i])) if pp.volunteer[i] else None,
            "created_at": from_epoch(int(pp.created_at[i])),
            "is_student": False,
        }
        for i in range(len(pp.age))
    ]
    people = np.array(_bulk(session, Person, person_rows), np.int64)
    items = dict(
        session.execute(
            select(ServiceItem.code, ServiceItem.id).where(ServiceItem.district_code.is_(None))
        )
        .tuples()
        .all()
    )
    visit_ids = _visits(session, v, people, stations, items)
    _ledger(session, city.tables, people, visit_ids, seed)
    session.flush()
    return people


def _visits(
    session: Session, v: Any, people: np.ndarray, stations: np.ndarray, items: dict[str, int]
) -> np.ndarray:
    item_of = [items[ITEMS[c]] for c in v.categories]

    def device(code: int) -> str | None:
        return None if code == NO_DEVICE else f"synth-{code}"

    ids: list[int] = []
    for lo in range(0, len(v), BATCH):
        chunk = [
            PlannedVisit(
                volunteer=int(people[v.volunteer[r] - 1]),
                elder=int(people[v.elder[r] - 1]),
                start=int(v.start[r]),
                minutes=int(v.end[r] - v.start[r]) // 60,
                item_id=item_of[int(v.category[r])],
                station=int(stations[v.station[r]]),
                district="",
                lat=float(v.elder_lat[r]),
                lon=float(v.elder_lon[r]),
                checkin=None
                if v.offline[r]
                else (float(v.checkin_lat[r]), float(v.checkin_lon[r])),
                device=device(int(v.checkin_device[r])),
                confirm_device=device(int(v.confirm_device[r])),
                credit=int(v.credited[r]),
            )
            for r in range(lo, min(lo + BATCH, len(v)))
        ]
        districts = dict(
            session.execute(
                select(Person.id, Person.district_code).where(
                    Person.id.in_({p.elder for p in chunk})
                )
            )
            .tuples()
            .all()
        )
        for p in chunk:
            p.district = districts[p.elder]
        ids += insert_visits(session, chunk, by="synth", at=EARLY)
    return np.array(ids, np.int64)


def _ledger(
    session: Session, c: SynthCity, people: np.ndarray, visit_ids: np.ndarray, seed: int
) -> None:
    n = len(people)
    rows = [
        {"kind": kind, "person_id": int(people[i]), "tracked": True, "created_at": EARLY}
        for i in range(n)
        for kind in ("earned", "received")
    ]
    accounts = np.array(_bulk(session, Account, rows), np.int64).reshape(n, 2)
    v, tt = c.visits, c.transfers
    credited = np.flatnonzero(v.credited > 0)
    debit = [np.full(len(credited), ISSUANCE_ID)]
    credit = [accounts[v.volunteer[credited] - 1, 0]]
    amount = [v.credited[credited]]
    kind = np.where(tt.kind == GIFT, 0, np.where(tt.kind == DONATION, 1, 2))
    debit.append(np.where(kind == 2, accounts[tt.actor - 1, 1], accounts[tt.actor - 1, 0]))
    credit.append(
        np.select(
            [kind == 0, kind == 1],
            [accounts[np.maximum(tt.recipient, 1) - 1, 1], np.full(len(tt), POOL_ID)],
            REDEMPTION_ID,
        )
    )
    amount.append(tt.minutes)
    names = ["gift", "donation", "service_payment"]
    days = local_day(v.start[credited]).astype("datetime64[D]").astype(object)
    transfer_rows = [
        {
            "key": f"synth:{seed}:c{int(visit_ids[r])}",
            "kind": "service_credit",
            "phase": "single",
            "debit_account_id": ISSUANCE_ID,
            "credit_account_id": int(credit[0][i]),
            "amount": int(v.credited[r]),
            "reference": f"visit:{int(visit_ids[r])}",
            "value_date": days[i],
            "actor": "synth",
            "created_at": from_epoch(int(v.end[r])),
        }
        for i, r in enumerate(credited.tolist())
    ]
    transfer_rows += [
        {
            "key": f"synth:{seed}:t{int(tt.id[r])}",
            "kind": names[int(kind[r])],
            "phase": "single",
            "debit_account_id": int(debit[1][r]),
            "credit_account_id": int(credit[1][r]),
            "amount": int(tt.minutes[r]),
            "reference": None,
            "value_date": None,
            "actor": "synth",
            "created_at": from_epoch(int(tt.at[r])),
        }
        for r in range(len(tt))
    ]
    _bulk(session, Transfer, transfer_rows, ids=False)
    size = int(accounts.max()) + 1
    balance = np.zeros(size, np.int64)
    np.add.at(balance, np.concatenate(credit), np.concatenate(amount))
    np.subtract.at(balance, np.concatenate(debit), np.concatenate(amount))
    service = np.bincount(credit[0], weights=amount[0], minlength=size).astype(np.int64)
    changed = [
        {
            "id": int(a),
            "balance": int(balance[a]),
            "service_minutes": int(service[a]),
            "allow_negative": bool(balance[a] < 0),
        }
        for a in accounts.ravel()
        if balance[a] or service[a]
    ]
    for i in range(0, len(changed), BATCH):
        session.execute(update(Account), changed[i : i + BATCH])
    pool = session.get(Account, POOL_ID)
    assert pool is not None
    pool.balance += int(balance[POOL_ID])
