"""Supervision against a real database: the full scan from the tables, the write-time hook.

    .venv/bin/python bench/supervision_db.py --db postgresql --visits 1000000 --seed 7
    .venv/bin/python bench/supervision_db.py --db sqlite --visits 200000 --seed 7

Builds a database from the synthetic honest city (bulk-loaded), plants every fraud pattern
with ``supervision.plant.inject_fraud`` at the default rates, then times:

- the write-time hook ``services.check_after_commit`` on a sample of visits and transfers,
  before any scan (alerts are new and inserted; no duration baseline yet) and after one
  (the steady state: the baseline is known, most records raise nothing);
- ``services.scan_and_record``: loading the three tables, running the rules, storing alerts;
- the hook on planted visits whose alerts were removed: events that store a new alert;

and scores the stored alerts against the planted truth. ``--keep`` reuses a built database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text

from timebank.db import make_engine, make_session_factory
from timebank.demo.fraud import inject_fraud
from timebank.demo.fraud.honest import honest_city, load_city
from timebank.demo.synth.evaluate import evaluate, overall
from timebank.migrate import upgrade
from timebank.supervision import repository
from timebank.supervision.detection.facts import Alert, Rule
from timebank.supervision.models import Alert as AlertRow
from timebank.supervision.models import AlertPerson as AlertPersonRow
from timebank.supervision.services import check_after_commit, scan_and_record

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pg import db_url, recreate_db

PG_SERVER = os.environ.get(
    "TIMEBANK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
AT = datetime(2025, 1, 10, tzinfo=UTC)  # just after the synthetic year
SINGLE_VISIT_RULES = ("late_night", "far_checkin", "same_device")
RESET = (
    "supervision_alert_people",
    "supervision_alerts",
    "supervision_watch",
    "supervision_runs",
    "notices",
    "audit_log",
)


def _truth(name: str) -> Path:
    return Path(f"var/bench/{name}.truth.json")


def _url(db: str, name: str) -> str:
    if db == "sqlite":
        return f"sqlite:///var/bench/{name}.db"
    return db_url(PG_SERVER, name)


def build(url: str, db: str, name: str, visits: int, seed: int, keep: bool) -> dict[str, Any]:
    """Load the honest city (unless ``keep``), then plant fraud (unless already planted)."""
    out: dict[str, Any] = {}
    if not keep:
        if db == "sqlite":
            path = Path(f"var/bench/{name}.db")
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            recreate_db(PG_SERVER, name)
        _truth(name).unlink(missing_ok=True)
    engine = make_engine(url)
    if not keep:  # a kept database keeps the schema it was built with
        upgrade(engine)
    factory = make_session_factory(engine)
    if not keep:
        began = time.perf_counter()
        city = honest_city(visits, seed)
        generated = time.perf_counter()
        with factory() as session:
            load_city(session, city, seed=seed)
            session.commit()
        out["generate_s"] = round(generated - began, 1)
        out["load_s"] = round(time.perf_counter() - generated, 1)
    if not _truth(name).exists():
        began = time.perf_counter()
        with factory() as session:
            planted = inject_fraud(session, seed=seed + 1000, at=AT)
            session.commit()
        out["plant_s"] = round(time.perf_counter() - began, 1)
        out["planted_visits"], out["planted_transfers"] = planted.visits, planted.transfers
        truth = sorted([r.value, k, s] for r, k, s in planted.truth)
        _truth(name).parent.mkdir(parents=True, exist_ok=True)
        _truth(name).write_text(json.dumps({"url": url, "truth": truth}))
    if db == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))  # as autovacuum would, after the bulk load
            conn.commit()
    engine.dispose()
    return out


def reset(url: str) -> None:
    """Forget earlier runs' alerts, so the hook's first pass meets an unscanned database."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in RESET:
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def _timed(factory: Any, kind: str, ids: list[int]) -> dict[str, Any]:
    wall, cpu, raised = [], [], 0
    for record in ids:
        began, began_cpu = time.perf_counter(), time.thread_time()
        recorded = check_after_commit(factory, kind, record, at=AT)  # type: ignore[arg-type]
        wall.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
        raised += len(recorded.new_ids)
    ms, cpu_ms = np.array(wall) * 1000, np.array(cpu) * 1000
    return {
        "events": len(ids),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "cpu_p50_ms": round(float(np.percentile(cpu_ms, 50)), 2),
        "cpu_p99_ms": round(float(np.percentile(cpu_ms, 99)), 2),
        "new_alerts": raised,
    }


def per_event(factory: Any, n: int, seed: int) -> dict[str, Any]:
    """The hook on ``n`` random visits and ``n`` random gifts, donations and redemptions."""
    rng = np.random.default_rng(seed)
    with factory() as session:
        v = repository.load_visits(session)
        tt = repository.load_transfers(session)
    visits = rng.choice(v.id, min(n, len(v)), replace=False).tolist()
    rows = rng.choice(len(tt), min(n, len(tt)), replace=False)
    kinds = np.array(["gift", "donation", "redemption"])[tt.kind[rows]]
    out = {"visit": _timed(factory, "visit", visits)}
    for kind in ("gift", "donation", "redemption"):
        out[kind] = _timed(factory, kind, tt.id[rows][kinds == kind].tolist())
    return out


def flagged(url: str, factory: Any, truth: set[Any], n: int, seed: int) -> dict[str, Any]:
    """The hook on ``n`` planted visits whose alerts are removed first: events that raise an
    alert and store it (alert, people, watch list, reminder, audit), as a new fraud would."""
    planted = sorted(int(s) for r, k, s in truth if k == "visit" and r.value in SINGLE_VISIT_RULES)
    ids = np.random.default_rng(seed).choice(planted, min(n, len(planted)), replace=False)
    subjects = [str(i) for i in ids.tolist()]
    engine = make_engine(url)
    with engine.begin() as conn:
        gone = select(AlertRow.id).where(
            AlertRow.subject_kind == "visit", AlertRow.subject_id.in_(subjects)
        )
        conn.execute(delete(AlertPersonRow).where(AlertPersonRow.alert_id.in_(gone)))
        conn.execute(
            delete(AlertRow).where(
                AlertRow.subject_kind == "visit", AlertRow.subject_id.in_(subjects)
            )
        )
    engine.dispose()
    return _timed(factory, "visit", ids.tolist())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--visits", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--events", type=int, default=500, help="records per kind for the hook")
    ap.add_argument("--keep", action="store_true", help="reuse the database loaded before")
    ap.add_argument(
        "--flagged", type=int, default=300, help="planted visits re-checked after the scan"
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    name = f"tb_bench_supervision_{args.db}_{args.visits}_{args.seed}"
    url = _url(args.db, name)
    built = build(url, args.db, name, args.visits, args.seed, args.keep)
    reset(url)
    truth = {(Rule(r), k, s) for r, k, s in json.loads(_truth(name).read_text())["truth"]}
    engine = make_engine(url)
    factory = make_session_factory(engine)
    before = per_event(factory, args.events, args.seed)
    with factory() as session:
        cpu = time.process_time()
        summary = scan_and_record(session, at=AT)
        session.commit()
        cpu = time.process_time() - cpu
        rows = session.execute(select(AlertRow)).scalars().all()
        stored = session.execute(select(func.count()).select_from(AlertRow)).scalar_one()
    after = per_event(factory, args.events, args.seed + 1)
    after["visit raising an alert"] = flagged(url, factory, truth, args.flagged, args.seed + 2)
    alerts = [
        Alert(Rule(a.rule), a.subject_kind, a.subject_id, a.score, a.evidence, a.dedup_key)  # type: ignore[arg-type]
        for a in rows
    ]
    scores = evaluate(alerts, truth)
    total = overall(scores)
    report(args, built, summary, cpu, stored, scores, total, before, after)


def report(
    args: Any,
    built: dict,
    summary: Any,
    cpu: float,
    stored: int,
    scores: dict,
    total: Any,
    before: dict,
    after: dict,
) -> None:
    print(f"{args.db}: {summary.visits:,} visits, {summary.transfers:,} transfers")
    if built:
        print(f"build: {built}")
    print("\n| rule | planted | alerts | precision | recall |\n|---|---:|---:|---:|---:|")
    for rule, s in scores.items():
        print(f"| {rule.value} | {s.planted} | {s.alerts} | {s.precision:.3f} | {s.recall:.3f} |")
    t = total
    print(f"| **overall** | {t.planted} | {t.alerts} | {t.precision:.3f} | {t.recall:.3f} |")
    sec = summary.seconds
    print(
        f"\nscan_and_record: load {sec['load']:.2f} s, detect {sec['detect']:.2f} s, "
        f"record {sec['record']:.2f} s, total {sum(sec.values()):.2f} s wall, "
        f"{cpu:.2f} s client CPU; "
        f"{summary.new_alerts} new alerts, {stored} stored"
    )
    unseen = sum(f["new_alerts"] for k, f in after.items() if k != "visit raising an alert")
    print(f"\nalerts the hook raised after the scan that the scan had not: {unseen}")
    for label, figures in (("before the first scan", before), ("after a scan", after)):
        print(f"\nwrite-time hook {label}:")
        print("| kind | events | p50 ms | p99 ms | max ms | CPU p50 | CPU p99 | new alerts |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for kind, f in figures.items():
            if f["events"]:
                print(
                    f"| {kind} | {f['events']} | {f['p50_ms']} | {f['p99_ms']} | {f['max_ms']} "
                    f"| {f['cpu_p50_ms']} | {f['cpu_p99_ms']} | {f['new_alerts']} |"
                )
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f}, {os.cpu_count()} cpus")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "db": args.db,
                    "visits": summary.visits,
                    "build": built,
                    "scan_seconds": sec,
                    "scan_cpu_seconds": round(cpu, 2),
                    "rules": {r.value: s.__dict__ for r, s in scores.items()},
                    "hook_before_scan": before,
                    "hook_after_scan": after,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
