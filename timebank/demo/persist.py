"""Writing the planned city: organisations, people, their records and accounts, in bulk.

Rows get explicit ids (the table's next id + the plan's index), so the same seed gives the
same ids whatever an earlier, rolled-back attempt did to the sequences; on PostgreSQL the
sequences are then moved past them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from timebank.demo.calendar import local_at
from timebank.demo.families import Population
from timebank.demo.progress import Advance
from timebank.demo.residents import PersonPlan
from timebank.ledger.models import Account, Seal, Transfer
from timebank.people.crypto import PiiVault
from timebank.people.idcard import mask
from timebank.people.models import Kinship, Organisation, Person, Qualification, TrainingRecord

CHUNK = 5_000
COURSE = "时间银行志愿者岗前培训"
EVIDENCE = {"spouse": "结婚证"}  # else the household register shows the link
TABLES = (Organisation, Person, TrainingRecord, Kinship, Qualification, Account)


@dataclass(frozen=True)
class FirstIds:
    org: int
    person: int
    training: int
    kin: int
    licence: int
    account: int


def first_ids(session: Session) -> FirstIds:
    def after(model: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1

    return FirstIds(*(after(model) for model in TABLES))


def _at(person: PersonPlan, day: Any, hour: int = 9) -> datetime:
    """A working-hours moment of ``day``, spread over the day by the person's index."""
    return local_at(day, hour * 60 + (person.index * 37) % 420)


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]], advance: Advance) -> None:
    """executemany in chunks; on the Core table, which costs half the ORM's bulk path."""
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model.__table__), rows[i : i + CHUNK])
        advance(len(rows[i : i + CHUNK]))


def insert_people(
    session: Session, pop: Population, ids: FirstIds, vault: PiiVault, advance: Advance
) -> None:
    rows = []
    for p in pop.people:
        joined = _at(p, p.joined)
        volunteer = p.role == "volunteer"
        station = ids.org + p.station
        rows.append(
            {
                "id": ids.person + p.index,
                "full_name": p.name,
                "id_hash": vault.lookup_hash(p.id_number),
                "id_cipher": vault.encrypt(p.id_number),
                "id_masked": mask(p.id_number),
                "birth_date": p.birth,
                "sex": p.sex,
                "phone": p.phone,
                "district_code": p.district,
                "street_code": p.street,
                "address": p.address,
                "lat": p.lat,
                "lon": p.lon,
                "residency_kind": p.residency,
                "residency_ref": p.residency_ref,
                "residency_valid_until": p.residency_until,
                "residency_verified_at": joined,
                "residency_verified_by_org_id": station,
                "health_declared_at": joined if volunteer else None,
                "health_fit": True if volunteer else None,
                "is_student": p.is_student,
                "guardian_id": None if p.guardian is None else ids.person + p.guardian,
                "guardian_consent_at": joined if p.guardian is not None else None,
                "status": "active",
                "status_reason": None,
                "status_changed_at": None,
                "volunteer_status": ("active" if p.activated else "pending")
                if volunteer
                else "none",
                "activated_at": _at(p, p.activated, 10) if p.activated else None,
                "beneficiary_id": None,
                "priority_reason": p.priority,
                "died_on": None,
                "created_at": joined,
            }
        )
    _bulk(session, Person, rows, advance)


def insert_records(session: Session, pop: Population, ids: FirstIds, advance: Advance) -> None:
    """Training confirmed by a station, kinship and licences verified by one (or pending)."""
    people = pop.people
    training = [
        {
            "id": ids.training + n,
            "person_id": ids.person + p.index,
            "course": COURSE,
            "completed_on": p.trained,
            "confirmed_by_org_id": ids.org + p.station,
            "created_at": _at(p, p.trained, 15),
        }
        for n, p in enumerate(p for p in people if p.trained is not None)
    ]
    kin = []
    for n, k in enumerate(pop.kin):
        person = people[k.person]
        kin.append(
            {
                "id": ids.kin + n,
                "person_id": ids.person + k.person,
                "relative_id": ids.person + k.relative,
                "relation": k.relation,
                "evidence": EVIDENCE.get(k.relation, "户口簿"),
                "status": "verified" if k.verified else "pending",
                "declared_by": f"{person.role}:{ids.person + k.person}",
                "verified_by_org_id": ids.org + k.station if k.verified else None,
                "verified_at": _at(person, k.verified, 14) if k.verified else None,
                "note": None,
                "created_at": _at(person, k.declared),
            }
        )
    licences = []
    for n, q in enumerate(pop.licences):
        holder = people[q.person]
        licences.append(
            {
                "id": ids.licence + n,
                "person_id": ids.person + q.person,
                "type": q.type,
                "number": q.number,
                "issuer": q.issuer,
                "valid_from": q.valid_from,
                "valid_until": q.valid_until,
                "status": "verified" if q.verified else "pending",
                "verified_by_org_id": ids.org + q.station if q.verified else None,
                "verified_at": _at(holder, q.verified, 11) if q.verified else None,
                "cancelled_at": None,
                "note": None,
                "created_at": _at(holder, q.declared),
            }
        )
    for model, rows in ((TrainingRecord, training), (Kinship, kin), (Qualification, licences)):
        if rows:
            _bulk(session, model, rows, advance)


def insert_accounts(session: Session, pop: Population, ids: FirstIds, advance: Advance) -> None:
    """``earned`` then ``received`` for each person: ids first + 2·index and the next."""
    rows = []
    for p in pop.people:
        opened = _at(p, p.joined)
        for offset, kind in enumerate(("earned", "received")):
            rows.append(
                {
                    "id": ids.account + 2 * p.index + offset,
                    "kind": kind,
                    "person_id": ids.person + p.index,
                    "tracked": True,
                    "balance": 0,
                    "pending": 0,
                    "service_minutes": 0,
                    "allow_negative": False,
                    "created_at": opened,
                }
            )
    _bulk(session, Account, rows, lambda n: advance(n // 2))


def align_sequences(session: Session) -> None:
    """PostgreSQL: move each sequence past the explicit ids, and restart the (empty) ledger
    tables' sequences at 1 so transfer ids repeat from one run to the next."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in TABLES:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                "HAVING max(id) IS NOT NULL"
            )
        )
    for table, key in (("ledger_transfers", Transfer.id), ("ledger_seals", Seal.id)):
        if session.scalar(select(func.count(key))) == 0:
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)")
            )
