"""Store alerts once per dedup key, put the people they name on the watch list, remind them.

Inserts are ``ON CONFLICT DO NOTHING`` on the key, so a re-scan, a write-time check racing a
scan, or two checks racing each other store each fact once. Only new alerts put people on the
watch list; a person is reminded at most once a day however many alerts arrive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.audit.services import record_act
from timebank.auth.models import OutboxMessage
from timebank.auth.notify import Notifier
from timebank.people.models import Organisation, Person
from timebank.supervision import events
from timebank.supervision.models import Alert, AlertPerson, Watch

REMIND_EVERY = timedelta(hours=24)
REMINDER = (
    "【时间银行】您好，系统发现您的账户近期有{n}条服务或时间币记录需要核实，"
    "账户已列入重点关注名单。如有疑问，请联系所在服务站。"
)
_BATCH = 500


@dataclass
class Recorded:
    new_ids: list[int] = field(default_factory=list)
    new_by_rule: Counter[str] = field(default_factory=Counter)
    known: int = 0  # alerts whose key was already stored
    watched: int = 0  # people put on (or kept on) the watch list
    reminded: int = 0


def insert_ignoring(session: Session, model: Any, rows: list[dict[str, Any]], key: str) -> Any:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` on either database."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(rows)
    return stmt.on_conflict_do_nothing(index_elements=[key])


def _districts(
    session: Session, alerts: Sequence[events.Alert]
) -> list[tuple[int | None, str | None]]:
    """(station, district) per alert: the station's district for station alerts, else the
    first named person's (the volunteer, for visit rules)."""
    people = {p for a in alerts for p in a.people[:1]}
    stations = {int(a.evidence["station_id"]) for a in alerts if "station_id" in a.evidence}
    of_person = dict(
        session.execute(select(Person.id, Person.district_code).where(Person.id.in_(people)))
        .tuples()
        .all()
    )
    of_station = dict(
        session.execute(
            select(Organisation.id, Organisation.district_code).where(Organisation.id.in_(stations))
        )
        .tuples()
        .all()
    )
    out: list[tuple[int | None, str | None]] = []
    for a in alerts:
        station = a.evidence.get("station_id")
        station = int(station) if station is not None and int(station) in of_station else None
        if a.people and a.people[0] in of_person:
            out.append((station, of_person[a.people[0]]))
        else:
            out.append((station, of_station.get(station) if station is not None else None))
    return out


def record_alerts(
    session: Session,
    alerts: Iterable[events.Alert],
    *,
    actor: Actor,
    source: str,
    at: datetime,
    run_id: int | None = None,
    notifier: Notifier | None = None,
) -> Recorded:
    """Store new alerts (skipping known keys), watch and remind their people; never commits."""
    wanted = {a.dedup_key: a for a in events.dedupe(alerts)}
    result = Recorded()
    if not wanted:
        return result
    fresh: list[events.Alert] = []
    keys = list(wanted)
    for i in range(0, len(keys), _BATCH):
        chunk = keys[i : i + _BATCH]
        known = set(
            session.execute(select(Alert.dedup_key).where(Alert.dedup_key.in_(chunk))).scalars()
        )
        fresh += [wanted[k] for k in chunk if k not in known]
    result.known = len(wanted) - len(fresh)
    links: list[dict[str, int]] = []
    for i in range(0, len(fresh), _BATCH):
        rows = [
            {
                "dedup_key": a.dedup_key,
                "rule": a.rule.value,
                "subject_kind": a.subject_kind,
                "subject_id": a.subject_id[:120],
                "score": a.score,
                "evidence": a.evidence,
                "people": list(a.people),
                "station_id": station,
                "district_code": district,
                "source": source,
                "status": "open",
                "run_id": run_id,
                "created_at": at,
            }
            for a, (station, district) in zip(
                fresh[i : i + _BATCH], _districts(session, fresh[i : i + _BATCH]), strict=True
            )
        ]
        stmt = insert_ignoring(session, Alert, rows, "dedup_key")
        for alert_id, key in session.execute(stmt.returning(Alert.id, Alert.dedup_key)):
            result.new_ids.append(alert_id)
            result.new_by_rule[wanted[key].rule.value] += 1
            links += [{"alert_id": alert_id, "person_id": p} for p in set(wanted[key].people)]
    if links:
        session.execute(insert(AlertPerson), links)
    per_person = Counter(link["person_id"] for link in links)
    people = sorted(per_person)
    for i in range(0, len(people), _BATCH):
        batch = Counter({p: per_person[p] for p in people[i : i + _BATCH]})
        result.watched += _watch(session, batch, at)
        result.reminded += _remind(session, batch, at, notifier)
    if result.new_ids:
        record_act(
            session,
            actor=actor,
            act="supervision.alerts",
            target={"new": len(result.new_ids), "rules": dict(result.new_by_rule), "run": run_id},
            status=201,
            at=at,
        )
    session.flush()
    return result


def _watch(session: Session, per_person: Counter[int], at: datetime) -> int:
    """Put people on the watch list (again, if it was lifted) and count their alerts."""
    if not per_person:
        return 0
    rows = [{"person_id": p, "since": at, "alerts": 0, "last_alert_at": at} for p in per_person]
    session.execute(insert_ignoring(session, Watch, rows, "person_id"))
    by_count: dict[int, list[int]] = {}
    for person, n in per_person.items():
        by_count.setdefault(n, []).append(person)
    for n, people in by_count.items():
        session.execute(
            update(Watch)
            .where(Watch.person_id.in_(people))
            .values(
                alerts=Watch.alerts + n,
                last_alert_at=at,
                since=case((Watch.lifted_at.is_not(None), at), else_=Watch.since),
                lifted_at=None,
                lifted_by=None,
            )
            .execution_options(synchronize_session="fetch")
        )
    return len(per_person)


def _remind(
    session: Session, per_person: Counter[int], at: datetime, notifier: Notifier | None
) -> int:
    """One reminder a day per watched person with a phone (others hear it from their station)."""
    if not per_person:
        return 0
    due = session.execute(
        select(Watch.person_id, Person.phone)
        .join(Person, Person.id == Watch.person_id)
        .where(
            Watch.person_id.in_(list(per_person)),
            (Watch.reminded_at.is_(None)) | (Watch.reminded_at < at - REMIND_EVERY),
            Person.phone.is_not(None),
        )
        .order_by(Watch.person_id)
    ).all()
    texts = [(phone, REMINDER.format(n=per_person[person_id])) for person_id, phone in due]
    if notifier is None:  # the local outbox, as ``OutboxNotifier`` writes it, in one statement
        rows = [{"channel": "sms", "recipient": p, "body": t, "created_at": at} for p, t in texts]
        if rows:
            session.execute(insert(OutboxMessage), rows)
    else:
        for phone, text in texts:
            notifier.send_sms(session, phone=phone, text=text, at=at)
    if due:
        session.execute(
            update(Watch)
            .where(Watch.person_id.in_([p for p, _ in due]))
            .values(reminded_at=at)
            .execution_options(synchronize_session="fetch")
        )
    return len(due)
