"""Supervision use cases: the full scan, the write-time hook, and (re-exported) cases and
sanctions, so web, API, CLI and jobs find every act in one place.

- ``scan_and_record(session, …)``: load, run every rule, store new alerts; the caller commits.
- ``after_commit(factory, kind, id)``: for the API after a visit, gift, donation or redemption
  commits; checks the one record in its own short transaction and never raises.
- ``deliver(factory, events)``: ``after_commit`` for each domain event a committed use case
  recorded (``timebank.domain_events``; ``run_in_transaction(..., events=collected)``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from timebank.actors import Actor, Role
from timebank.audit.services import record_act
from timebank.clock import SystemClock
from timebank.db import run_in_transaction
from timebank.domain_events import Event
from timebank.errors import InvalidInput
from timebank.supervision import contexts, repository
from timebank.supervision.appeals import appeal, reinstate, reject_appeal
from timebank.supervision.cases import assign_case, confirm_fraud, decide_case, open_case
from timebank.supervision.detection.facts import Alert, Gift, Redemption, Rule
from timebank.supervision.detection.live import check_transfer, check_visit
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.single_visit import duration_baseline
from timebank.supervision.detection.scan import full_scan
from timebank.supervision.detection.when import alert_time, lookback
from timebank.supervision.models import ScanRun
from timebank.supervision.records import Recorded, audit_target, record_alerts
from timebank.supervision.tuning import current_params

__all__ = [
    "DETECTOR",
    "EventKind",
    "ScanSummary",
    "after_commit",
    "appeal",
    "assign_case",
    "check_after_commit",
    "confirm_fraud",
    "decide_case",
    "deliver",
    "open_case",
    "reinstate",
    "reject_appeal",
    "scan_and_record",
]

log = logging.getLogger(__name__)
DETECTOR = Actor(role=Role.SYSTEM, name="supervision")
EventKind = Literal["visit", "gift", "donation", "redemption"]


@dataclass(frozen=True)
class ScanSummary:
    run_id: int
    visits: int
    transfers: int
    accounts: int
    counts: dict[str, int]  # alerts found per rule (every rule present)
    new: dict[str, int]  # of which stored for the first time
    seconds: dict[str, float] = field(default_factory=dict)  # load, detect, record

    @property
    def alerts(self) -> int:
        return sum(self.counts.values())

    @property
    def new_alerts(self) -> int:
        return sum(self.new.values())


def scan_and_record(
    session: Session,
    *,
    actor: Actor = DETECTOR,
    since: datetime | None = None,
    at: datetime,
    params: DetectorParams | None = None,
    on_step: Callable[[str, int], None] | None = None,
) -> ScanSummary:
    """Run every rule over the records (from ``since``, with the history windows need) and
    store what is new; ``on_step(name, n)`` reports each table loaded and each rule run.

    Without ``params`` the scan judges by the stored policy (``tuning.current_params``)."""
    if since is not None and since > at:
        raise InvalidInput("--since is in the future", field="since")
    if params is None:
        params = current_params(session)
    began = time.perf_counter()
    start = None if since is None else since - lookback(params)
    tables = repository.load_tables(session, since=start, on_loaded=on_step)
    loaded = time.perf_counter()
    result = full_scan(
        tables.visits,
        tables.transfers,
        tables.accounts,
        params,
        on_rule_done=None if on_step is None else lambda r, n: on_step(r.value, n),
    )
    alerts = [a for a in result.alerts if _keep(a, since)]
    detected = time.perf_counter()
    baseline = duration_baseline(tables.visits, params)
    run = ScanRun(
        actor=actor.label[:80],
        since=since,
        visits=len(tables.visits),
        transfers=len(tables.transfers),
        alerts=len(alerts),
        new_alerts=0,
        counts={},
        seconds=0.0,
        baseline={k: [m, s] for k, (m, s) in baseline.items()},
        at=at,
    )
    session.add(run)
    session.flush()
    recorded = record_alerts(session, alerts, actor=actor, source="scan", at=at, run_id=run.id)
    counts = {rule.value: 0 for rule in Rule}
    for alert in alerts:
        counts[alert.rule.value] += 1
    new = {rule: recorded.new_by_rule.get(rule, 0) for rule in counts}
    run.counts = {rule: {"alerts": counts[rule], "new": new[rule]} for rule in counts}
    run.new_alerts = len(recorded.new_ids)
    finished = time.perf_counter()
    run.seconds = round(finished - began, 3)
    record_act(
        session,
        actor=actor,
        act="supervision.scan",
        target=audit_target(run=run.id, since=since.isoformat() if since else None),
        status=200,
        at=at,
    )
    session.flush()
    contexts.forget_baseline()
    seconds = {
        "load": round(loaded - began, 3),
        "detect": round(detected - loaded, 3),
        "record": round(finished - detected, 3),
    }
    return ScanSummary(
        run.id,
        len(tables.visits),
        len(tables.transfers),
        len(tables.accounts),
        counts,
        new,
        seconds,
    )


def _keep(alert: Alert, since: datetime | None) -> bool:
    """Station alerts need a station; with ``since``, alerts about older facts are left out."""
    if alert.subject_kind == "station_month" and int(alert.evidence.get("station_id", 0)) <= 0:
        return False
    if since is None:
        return True
    when = alert_time(alert)
    return when is None or when >= since


def _detect(
    session: Session, kind: EventKind, record_id: int, params: DetectorParams
) -> list[Alert]:
    if kind == "visit":
        found = contexts.visit_with_context(session, record_id, params)
        return [] if found is None else check_visit(*found, params)
    if kind not in ("gift", "donation", "redemption"):
        raise InvalidInput("kind is visit, gift, donation or redemption", field="kind")
    event = contexts.transfer_with_context(session, record_id, params)
    if event is None:
        return []
    wanted = {"gift": Gift, "redemption": Redemption}.get(kind)
    if wanted is not None and not isinstance(event[0], wanted):
        raise InvalidInput(f"transfer {record_id} is not a {kind}", field="id")
    return check_transfer(*event, params)


def check_after_commit(
    factory: sessionmaker[Session],
    kind: EventKind,
    record_id: int,
    *,
    at: datetime | None = None,
    params: DetectorParams | None = None,
) -> Recorded:
    """Check one committed record and store its new alerts in a transaction of its own.

    The check reads committed rows only, so on PostgreSQL it reads without a transaction
    (no BEGIN/COMMIT round trips); a write transaction opens only when there is an alert to
    store — most events raise none (docs/benchmarks-supervision-db.md). Without ``params``
    the check judges by the policy stored at the time of the check (``tuning.current_params``)."""
    when = at or SystemClock().now()
    alerts = _read_and_detect(factory, kind, record_id, params)
    if not alerts:
        return Recorded()

    def go(session: Session) -> Recorded:
        return record_alerts(session, alerts, actor=DETECTOR, source="live", at=when)

    return run_in_transaction(factory, go)


def _read_and_detect(
    factory: sessionmaker[Session], kind: EventKind, record_id: int, params: DetectorParams | None
) -> list[Alert]:
    with factory() as session:
        bind = session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            # Autocommit: each statement reads committed rows, no transaction to open or end.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        # SQLite (and a session bound to a caller's connection) reads in a transaction: the
        # engine's BEGIN IMMEDIATE would otherwise be left open under autocommit.
        return _detect(session, kind, record_id, params or current_params(session))


def after_commit(
    factory: sessionmaker[Session], kind: EventKind, record_id: int, **kwargs: Any
) -> list[int]:
    """The write-time hook: new alert ids, or none. A failure is logged, never raised: the
    user's act has committed, and the next full scan finds whatever this check missed."""
    try:
        return check_after_commit(factory, kind, record_id, **kwargs).new_ids
    except Exception:
        log.exception("supervision check of %s %s failed", kind, record_id)
        return []


def deliver(factory: sessionmaker[Session], events: Iterable[Event], **kwargs: Any) -> list[int]:
    """Run the write-time checks for the events a committed transaction recorded, each once;
    the new alert ids, in order. Never raises: a failed check is logged and skipped."""
    new: list[int] = []
    seen: set[tuple[str, int]] = set()
    try:
        for event in events:
            if (event.kind, event.record_id) in seen:
                continue
            seen.add((event.kind, event.record_id))
            new.extend(after_commit(factory, event.kind, event.record_id, **kwargs))
    except Exception:
        log.exception("delivering supervision events failed")
    return new
