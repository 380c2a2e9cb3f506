"""Store alerts once per dedup key, put the people they name on the watch list, remind them.

Inserts are ``ON CONFLICT DO NOTHING`` on the key, so a re-scan, a write-time check racing a
scan, or two checks racing each other store each fact once. Only new alerts put people on the
watch list; a person is reminded at most once a day however many alerts arrive.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    String,
    bindparam,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.audit.services import record_act
from timebank.db import UTCDateTime
from timebank.notices.notify import Draft, notify_many
from timebank.people.models import Organisation, Person
from timebank.supervision.detection import facts as events
from timebank.supervision.models import Alert, AlertPerson, Watch

REMIND_EVERY = timedelta(hours=24)
REMINDER = (
    "【时间银行】您好，系统发现您的账户近期有{n}条服务或时间币记录需要核实，"
    "账户已列入重点关注名单。如有疑问，请联系所在服务站。"
)
REMINDER_EN = (
    "[Time Bank] Hello. {n} recent visit or time-coin records on your account need checking, "
    "and the account is on the watch list. Ask your service station if you have questions."
)
_BATCH = 500


@dataclass
class Recorded:
    new_ids: list[int] = field(default_factory=list)
    new_by_rule: Counter[str] = field(default_factory=Counter)
    known: int = 0  # alerts whose key was already stored
    watched: int = 0  # people put on (or kept on) the watch list
    reminded: int = 0


def audit_target(**values: Any) -> dict[str, str]:
    """An audit entry's target as the audit log keeps it: text values (JSON for the rest)."""
    return {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        for k, v in values.items()
    }


def _insert_alerts(dialect: Any) -> Any:
    """Many alerts at once (a scan): the rows go as one list (RETURNING batches them into
    multi-row statements)."""
    return (
        dialect.insert(Alert)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Alert.id, Alert.dedup_key)
    )


_INSERT_ALERTS = {"postgresql": _insert_alerts(postgresql), "sqlite": _insert_alerts(sqlite)}
# The dialects' ON CONFLICT inserts are compiled anew at every execution (SQLAlchemy does not
# cache them), which a write-time check storing one alert would feel: these are compiled once
# and run unchanged on PostgreSQL and SQLite. One alert is placed by the insert itself: the
# station if it exists, the district of the first person named, else of the station.
_UTC, _JSON = UTCDateTime(), JSON()
_ONE_ALERT = (
    text(
        "INSERT INTO supervision_alerts (dedup_key, rule, subject_kind, subject_id, score, "
        "evidence, people, station_id, district_code, source, status, run_id, created_at) "
        "VALUES (:dedup_key, :rule, :subject_kind, :subject_id, :score, :evidence, :people, "
        "(SELECT o.id FROM organisations o WHERE o.id = :station_ref), "
        "COALESCE((SELECT p.district_code FROM persons p WHERE p.id = :first_person), "
        "(SELECT o.district_code FROM organisations o WHERE o.id = :station_ref)), "
        ":source, :status, :run_id, :created_at) "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key"
    )
    .bindparams(
        bindparam("evidence", type_=_JSON),
        bindparam("people", type_=_JSON),
        bindparam("created_at", type_=_UTC),
    )
    .columns(id=BigInteger(), dedup_key=String())
)
_UPSERT_WATCH = text(
    "INSERT INTO supervision_watch (person_id, since, alerts, last_alert_at) "
    "VALUES (:person_id, :since, :alerts, :last_alert_at) "
    "ON CONFLICT (person_id) DO UPDATE SET "
    "alerts = supervision_watch.alerts + excluded.alerts, "
    "last_alert_at = excluded.last_alert_at, "
    "since = CASE WHEN supervision_watch.lifted_at IS NOT NULL THEN excluded.since "
    "ELSE supervision_watch.since END, "
    "lifted_at = NULL, lifted_by = NULL"
).bindparams(bindparam("since", type_=_UTC), bindparam("last_alert_at", type_=_UTC))
_LINK = insert(AlertPerson)


def _districts(
    session: Session, alerts: Sequence[events.Alert]
) -> list[tuple[int | None, str | None]]:
    """(station, district) per alert: the station's district for station alerts, else the
    first named person's (the volunteer, for visit rules)."""
    people = {int(p) for a in alerts for p in a.people[:1]}
    stations = {int(a.evidence["station_id"]) for a in alerts if "station_id" in a.evidence}
    parts = []
    if people:
        parts.append(
            select(literal("p"), Person.id, Person.district_code).where(Person.id.in_(people))
        )
    if stations:
        parts.append(
            select(literal("o"), Organisation.id, Organisation.district_code).where(
                Organisation.id.in_(stations)
            )
        )
    found: dict[tuple[str, int], str] = {}
    if parts:  # one round trip for both
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        found = {(kind, int(i)): code for kind, i, code in session.execute(query).tuples()}
    out: list[tuple[int | None, str | None]] = []
    for a in alerts:
        station = a.evidence.get("station_id")
        station = int(station) if station is not None and ("o", int(station)) in found else None
        if a.people and ("p", int(a.people[0])) in found:
            out.append((station, found["p", int(a.people[0])]))
        else:
            out.append((station, found.get(("o", station)) if station is not None else None))
    return out


def _row(alert: events.Alert, source: str, at: datetime, run_id: int | None) -> dict[str, Any]:
    return {
        "dedup_key": alert.dedup_key,
        "rule": alert.rule.value,
        "subject_kind": alert.subject_kind,
        "subject_id": alert.subject_id[:120],
        "score": alert.score,
        "evidence": alert.evidence,
        "people": list(alert.people),
        "source": source,
        "status": "open",
        "run_id": run_id,
        "created_at": at,
    }


def _refs(alert: events.Alert) -> dict[str, int | None]:
    """What ``_ONE_ALERT`` places the alert by, as ``_districts`` does for many."""
    station = alert.evidence.get("station_id")
    return {
        "first_person": int(alert.people[0]) if alert.people else None,
        "station_ref": int(station) if station is not None else None,
    }


def record_alerts(
    session: Session,
    alerts: Iterable[events.Alert],
    *,
    actor: Actor,
    source: str,
    at: datetime,
    run_id: int | None = None,
) -> Recorded:
    """Store new alerts (skipping known keys), watch and remind their people; never commits."""
    wanted = {a.dedup_key: a for a in events.dedupe(alerts)}
    result = Recorded()
    if not wanted:
        return result
    fresh: list[events.Alert] = list(wanted.values())
    if source == "scan":
        # A re-scan meets mostly known facts: looking them up is cheaper than inserting them.
        # A write-time check has a few alerts at most; the insert itself skips known keys.
        fresh = []
        keys = list(wanted)
        for i in range(0, len(keys), _BATCH):
            chunk = keys[i : i + _BATCH]
            known = set(
                session.execute(select(Alert.dedup_key).where(Alert.dedup_key.in_(chunk))).scalars()
            )
            fresh += [wanted[k] for k in chunk if k not in known]
    insert_alerts = _INSERT_ALERTS[session.get_bind().dialect.name]
    conn = session.connection()  # Core: built once, compiled once, no ORM bookkeeping
    links: list[dict[str, int]] = []
    for i in range(0, len(fresh), _BATCH):
        part = fresh[i : i + _BATCH]
        if len(part) == 1:  # a write-time check: the insert looks up station and district
            [alert] = part
            found = conn.execute(_ONE_ALERT, _row(alert, source, at, run_id) | _refs(alert))
        else:
            rows = [
                _row(a, source, at, run_id) | {"station_id": station, "district_code": district}
                for a, (station, district) in zip(part, _districts(session, part), strict=True)
            ]
            found = conn.execute(insert_alerts, rows)
        for alert_id, key in found:
            result.new_ids.append(alert_id)
            result.new_by_rule[wanted[key].rule.value] += 1
            links += [{"alert_id": alert_id, "person_id": p} for p in set(wanted[key].people)]
    result.known = len(wanted) - len(result.new_ids)
    if links:
        conn.execute(_LINK, links)
    per_person = Counter(link["person_id"] for link in links)
    people = sorted(per_person)
    for i in range(0, len(people), _BATCH):
        batch = Counter({p: per_person[p] for p in people[i : i + _BATCH]})
        result.watched += _watch(session, batch, at)
        result.reminded += _remind(session, batch, at)
    if result.new_ids:
        record_act(
            session,
            actor=actor,
            act="supervision.alerts",
            target=audit_target(
                new=len(result.new_ids), rules=dict(result.new_by_rule), run=run_id
            ),
            status=201,
            at=at,
        )
    session.flush()
    return result


def _watch(session: Session, per_person: Counter[int], at: datetime) -> int:
    """Put people on the watch list (again, if it was lifted) and count their alerts."""
    if not per_person:
        return 0
    rows = [
        {"person_id": p, "since": at, "alerts": n, "last_alert_at": at}
        for p, n in sorted(per_person.items())
    ]
    # One upsert: a new person is watched; one watched before counts the new alerts, and one
    # whose watch was lifted is watched again from now.
    session.connection().execute(_UPSERT_WATCH, rows)
    _forget_watch(session, per_person.keys())
    return len(per_person)


def _remind(session: Session, per_person: Counter[int], at: datetime) -> int:
    """One reminder a day per watched person with a phone (others hear it from their station);
    it also lands in their in-app inbox."""
    if not per_person:
        return 0
    people = sorted(per_person)
    due_now = (Watch.reminded_at.is_(None)) | (Watch.reminded_at < at - REMIND_EVERY)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Mark them reminded and read their phones in one statement (UPDATE … FROM persons).
        due = sorted(
            conn.execute(
                update(Watch)
                .where(
                    Watch.person_id == Person.id,
                    Watch.person_id.in_(people),
                    due_now,
                    Person.phone.is_not(None),
                )
                .values(reminded_at=at)
                .returning(Watch.person_id, Person.phone)
            ).tuples()
        )
    else:  # SQLite's RETURNING cannot name the FROM table: read, then mark
        due = list(
            session.execute(
                select(Watch.person_id, Person.phone)
                .join(Person, Person.id == Watch.person_id)
                .where(Watch.person_id.in_(people), due_now, Person.phone.is_not(None))
                .order_by(Watch.person_id)
            ).tuples()
        )
        if due:
            conn.execute(
                update(Watch).where(Watch.person_id.in_([p for p, _ in due])).values(reminded_at=at)
            )
    _forget_watch(session, {p for p, _ in due})
    drafts = [
        Draft(
            key=f"watch_reminder:{person_id}:{at.isoformat()}",
            kind="watch_reminder",
            text_zh=REMINDER.format(n=per_person[person_id]),
            text_en=REMINDER_EN.format(n=per_person[person_id]),
            person_id=person_id,
            phone=phone,
            params={"n": str(per_person[person_id])},
        )
        for person_id, phone in due
        if phone
    ]
    notify_many(session, drafts, at=at)  # one statement for a whole batch of a full scan
    return len(due)


def _forget_watch(session: Session, people: Collection[int]) -> None:
    """Watch rows this session already holds are read again when next used (the statements
    here are Core: they do not update loaded objects)."""
    if not people:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Watch) and obj.person_id in people:
            session.expire(obj)
