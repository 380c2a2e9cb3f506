"""Ledger throughput on PostgreSQL against pgbench's TPC-B-like script (DESIGN §5).

    .venv/bin/python bench/ledger.py [--seconds 10] [--workers 1,8,32] [--pg-url URL]

For each worker count W, in one run on one server: ``pgbench -c W -j W -T S -M prepared``
(built-in tpcb-like, scale = max W so branch rows do not cap concurrency), then W worker
processes posting one service credit per transaction through ``credit_service``, then the
same credits in batches through ``post_transfers``. Every credit debits the hot ``issuance``
account. At the largest W it also runs the same credits as one SQL statement each through
pgbench (the "SQL floor", bench/_floor.py: what the server allows a thin client). Prints
credits/s and the ratios to pgbench, CPU per transaction (client and server), backend states,
statements and round trips per credit, a CPU profile of one worker for each target missed, and
``verify_ledger`` over everything posted. Creates and drops its own databases.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _floor
import _pg
import _profile
from _report import BATCH_TARGET, SINGLE_TARGET, print_results
from _worker import count_round_trips, worker_main

DEFAULT_PG = os.environ.get("TIMEBANK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


class Workers:
    """Long-lived worker processes (spawned once), each with its own connection."""

    def __init__(self, url: str, n: int, pre_ping: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self.results: Any = ctx.Queue()
        self.queues = [ctx.Queue() for _ in range(n)]
        self.procs = [
            ctx.Process(
                target=worker_main, args=(i, url, 1000 + i, q, self.results, pre_ping), daemon=True
            )
            for i, q in enumerate(self.queues)
        ]
        for p in self.procs:
            p.start()
        for _ in range(n):
            self.results.get(timeout=300)

    def run(self, phase: str, w: int, mode: str, secs: float, args: Any, prof: str = "") -> dict:
        start = time.time() + 1.0
        split = mode == "batched" and not args.shared_batches
        for i in range(w):
            run = {"mode": mode, "start_at": start, "seconds": secs, "batch": args.batch}
            run.update(prof=prof if i == 0 else "", part=(i, w) if split else (0, 1))
            self.queues[i].put({"phase": phase, "run": run})
        got = [r for _, r in sorted(self.results.get(timeout=secs + 600) for _ in range(w))]
        errors = [g["error"] for g in got if "error" in g]
        if errors:
            raise RuntimeError(f"{phase}: {errors[0]}")
        posted, wall = sum(g["posted"] for g in got), max(g["end"] for g in got) - start
        return {
            "rate": posted / wall,
            "posted": posted,
            "txs": sum(g["txs"] for g in got),
            "retries": sum(g["retries"] for g in got),
            "refused": sum(g["refused"] for g in got),
            "client_cpu": sum(g["cpu"] for g in got),
            "first": got[0],
        }

    def stop(self) -> None:
        for q in self.queues:
            q.put(None)
        for p in self.procs:
            p.join(timeout=30)


class Meter:
    """Machine busy share, and the benchmark database's backends: states and CPU."""

    def __init__(self, server: str, db: str, apps: set[str] | None = None) -> None:
        self.server, self.db, self.apps = server, db, apps

    def __enter__(self) -> Meter:
        self.sampler = _pg.Sampler(self.server, self.db, self.apps)
        self.busy = _pg.machine_busy()
        return self

    def __exit__(self, *exc: object) -> None:
        busy = _pg.machine_busy()
        waits, cpu = self.sampler.finish()
        self.result = {
            "server_cpu": cpu,
            "busy": (busy[0] - self.busy[0]) / max(busy[1] - self.busy[1], 1),
            "busy_cpu": (busy[0] - self.busy[0]) / os.sysconf("SC_CLK_TCK"),
            "waits": waits,
        }


def run_pgbench(
    server: str, db: str, w: int, seconds: int, extra: list[str] | None = None, per: int = 1
) -> tuple[dict, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Meter(server, db) as meter:
        tps, cmd = _pg.pgbench_run(server, db, w, seconds, extra)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    txs, rate = tps * seconds, tps * per
    return {
        "rate": rate,
        "txs": txs,
        "posted": txs * per,
        "client_cpu": client,
        **meter.result,
    }, cmd


def verify(url: str) -> bool:
    from timebank.config import Settings
    from timebank.db import make_engine, make_session_factory
    from timebank.ledger.audit import verify_ledger

    engine = make_engine(url)
    t0 = time.time()
    with make_session_factory(engine)() as session:
        report = verify_ledger(session, settings=Settings())
    engine.dispose()
    print(
        f"\nverify_ledger: ok={report.ok} transfers={report.transfers} "
        f"accounts={report.accounts} issued={report.issued} outstanding={report.outstanding} "
        f"problems={len(report.problems)} ({time.time() - t0:.1f} s)"
    )
    for p in report.problems[:5]:
        print(f"    {p.rule}: {p.message}")
    return report.ok and report.issued == report.outstanding


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", default="1,8,32")
    ap.add_argument("--pg-url", default=DEFAULT_PG, help="server URL (any database name)")
    ap.add_argument("--volunteers", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--scale", type=int, default=0, help="pgbench scale (default: max workers)")
    ap.add_argument(
        "--shared-batches",
        action="store_true",
        help="batches from all workers draw from all volunteers (lock conflicts between "
        "batches); default: each worker credits its own slice of volunteers",
    )
    ap.add_argument(
        "--floor",
        choices=("max", "all", "none"),
        default="max",
        help="also run the credits as one SQL statement each through pgbench (bench/_floor.py) "
        "at the largest worker count, at every one, or not at all",
    )
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    ap.add_argument(
        "--pre-ping",
        action="store_true",
        help="give the workers' engines pool_pre_ping (the application's default; one more "
        "round trip per transaction); off by default",
    )
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    scale = args.scale or max(counts)
    bench_db, pgbench_db = "tb_bench_ledger", "tb_pgbench_ledger"
    print(
        f"machine: {os.cpu_count()} cores shared by PostgreSQL, pgbench and the workers; "
        f"{args.seconds} s per phase; pgbench scale {scale} (branches >= workers)"
    )
    t0 = time.time()
    try:
        ok = run(args, counts, scale, bench_db, pgbench_db)
    finally:
        if not args.keep:
            _pg.recreate_db(args.pg_url, bench_db, drop_only=True)
            _pg.recreate_db(args.pg_url, pgbench_db, drop_only=True)
    print(f"total {time.time() - t0:.0f} s")
    return 0 if ok else 1


def run(args: Any, counts: list[int], scale: int, bench_db: str, pgbench_db: str) -> bool:
    t0 = time.time()
    url = _pg.setup_bench_db(args.pg_url, bench_db, args.volunteers)
    _pg.pgbench_init(args.pg_url, pgbench_db, scale)
    trips = count_round_trips(url, 50, args.batch, args.pre_ping)
    workers = Workers(url, max(counts), args.pre_ping)
    print(
        f"set up in {time.time() - t0:.0f} s: {args.volunteers} volunteers, pgbench -i -s "
        f"{scale}, {max(counts)} worker processes (spawn)"
    )
    rows, cmds = [], []
    try:
        for w in counts:
            row: dict[str, Any] = {"w": w}
            _pg.checkpoint(args.pg_url)
            row["pgbench"], cmd = run_pgbench(args.pg_url, pgbench_db, w, args.seconds)
            cmds.append(cmd)
            for mode in ("single", "batched"):
                _pg.checkpoint(args.pg_url)
                with Meter(args.pg_url, bench_db, {f"bench-w{i}" for i in range(w)}) as meter:
                    row[mode] = workers.run(f"{mode}{w}", w, mode, args.seconds, args)
                row[mode].update(meter.result)
            if args.floor == "all" or (args.floor == "max" and w == max(counts)):
                for mode in ("single", "batched"):
                    extra, per = _floor.pgbench_args(mode, w, args.volunteers, args.batch)
                    _pg.checkpoint(args.pg_url)
                    row[f"sql {mode}"], cmd = run_pgbench(
                        args.pg_url, bench_db, w, args.seconds, extra, per
                    )
                    cmds.append(cmd)
            rows.append(row)
            rates = [row[k]["rate"] for k in ("pgbench", "single", "batched")]
            print("  W={}: pgbench {:.0f} tps, single {:.0f}/s, batched {:.0f}/s".format(w, *rates))
        print_results(rows, trips, args)
        print("\n" + "\n".join(f"pgbench command: {c}" for c in cmds))
        last, w = rows[-1], max(counts)
        for mode, target in (("single", SINGLE_TARGET), ("batched", BATCH_TARGET)):
            short = last[mode]["rate"] < target * last["pgbench"]["rate"]
            if args.profile == "always" or (args.profile == "auto" and short):
                prof = os.path.join(tempfile.gettempdir(), f"bench-ledger-{mode}-worker0.prof")
                _pg.checkpoint(args.pg_url)
                secs = max(5, args.seconds // 2)  # a CPU profile needs fewer credits than a rate
                got = workers.run(f"profile-{mode}{w}", w, mode, secs, args, prof)
                print(f"\n{mode}: profiled worker 0 of {w} (cProfile dump: {prof})")
                print(_profile.render(_profile.summarize(prof, got["first"]["posted"])))
    finally:
        workers.stop()
    return verify(url)


if __name__ == "__main__":
    sys.exit(main())
