"""Ledger throughput on PostgreSQL against pgbench's TPC-B-like script (DESIGN §5).

    .venv/bin/python bench/ledger.py [--seconds 10] [--workers 1,8,32] [--pg-url URL]

For each worker count W, in one run on one server: ``pgbench -c W -j W -T S -M prepared``
(built-in tpcb-like, scale = max W so branch rows do not cap concurrency), then W worker
processes posting one service credit per transaction through ``credit_service``, then the
same credits in batches through ``post_transfers``. Every credit debits the hot ``issuance``
account. Prints credits/s and the ratios to pgbench, CPU per transaction (client and server),
statements and round trips per credit, a profile of one worker when single credits miss their
target, and ``verify_ledger`` over everything posted. Creates and drops its own databases.
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

import _pg
import _profile
from _worker import count_round_trips, worker_main

SINGLE_TARGET, BATCH_TARGET = 0.5, 10.0
DEFAULT_PG = os.environ.get("TIMEBANK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


class Workers:
    """Long-lived worker processes (spawned once), each with its own connection."""

    def __init__(self, url: str, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.results: Any = ctx.Queue()
        self.queues = [ctx.Queue() for _ in range(n)]
        self.procs = [
            ctx.Process(target=worker_main, args=(i, url, 1000 + i, q, self.results), daemon=True)
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

    def __init__(self, server: str, db: str) -> None:
        self.server, self.db = server, db

    def __enter__(self) -> Meter:
        self.sampler, self.busy = _pg.Sampler(self.server, self.db), _pg.machine_busy()
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


def run_pgbench(server: str, db: str, w: int, seconds: int) -> tuple[dict, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Meter(server, db) as meter:
        tps, cmd = _pg.pgbench_run(server, db, w, seconds)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"rate": tps, "txs": tps * seconds, "client_cpu": client, **meter.result}, cmd


def cpu_row(w: int, phase: str, r: dict) -> str:
    n = max(r["posted" if phase == "batched" else "txs"], 1)
    server = r["server_cpu"]
    foreign = r["busy_cpu"] - r["client_cpu"] - (server or 0.0)
    return (
        f"{w:>7} {phase:<8} {1000 * r['client_cpu'] / n:>9.3f} "
        f"{'n/a' if server is None else f'{1000 * server / n:.3f}':>9} {100 * r['busy']:>6.0f} "
        f"{100 * max(foreign, 0.0) / max(r['busy_cpu'], 1e-9):>9.0f}"
    )


def print_results(rows: list[dict], trips: dict, args: Any) -> None:
    print("\nthroughput (same server, same run; ratios are to pgbench at the same concurrency)")
    print(
        f"{'workers':>7} {'pgbench tps':>12} {'single cr/s':>12} {'ratio':>6} "
        f"{'batched cr/s':>13} {'ratio':>7}"
    )
    for r in rows:
        pg, s, b = r["pgbench"]["rate"], r["single"]["rate"], r["batched"]["rate"]
        print(f"{r['w']:>7} {pg:>12.0f} {s:>12.0f} {s / pg:>6.2f} {b:>13.0f} {b / pg:>7.1f}")
    print(
        "\nCPU ms per pgbench transaction / per credit: client processes, and the server "
        "backends of the\nbenchmark database; busy % of the machine; foreign % = busy CPU "
        "used by neither\n(other work on the machine, PostgreSQL's own WAL writer etc.)"
    )
    print(
        f"{'workers':>7} {'phase':<8} {'client ms':>9} {'server ms':>9} {'busy %':>6} "
        f"{'foreign %':>9}"
    )
    for r in rows:
        for phase in ("pgbench", "single", "batched"):
            print(cpu_row(r["w"], phase, r[phase]))
    for r in rows:
        s, b = r["single"], r["batched"]
        print(
            f"  W={r['w']}: {s['posted']} single credits ({s['retries']} retried, "
            f"{s['refused']} refused by the daily cap), {b['posted']} batched credits in "
            f"{b['txs']} transactions ({b['retries']} retried)"
        )
    print("\nwhat the benchmark's backends were doing (pg_stat_activity every 50 ms)")
    for r in rows:
        for k in ("pgbench", "single", "batched"):
            waits = ", ".join(f"{100 * share:.0f}% {label}" for label, share in r[k]["waits"])
            print(f"  W={r['w']:<3} {k:<8} {waits}")
    one, many = trips["single"], trips["batch"]
    print(
        "\nper single credit: "
        f"{one['statements']:.1f} SQL statements (SQLAlchemy before_cursor_execute), "
        f"{one['round_trips']:.1f} round trips incl. BEGIN, pre-ping and COMMIT "
        f"(pgbench TPC-B: 5 statements, 7 round trips)"
    )
    for sql, n in one["by_statement"].items():
        print(f"    {n:4.1f}  {sql}")
    print(
        f"per batch of {args.batch}: {many['statements'] * args.batch:.0f} statements, "
        f"{many['round_trips'] * args.batch:.0f} round trips"
    )
    last = rows[-1]
    ratio_s = last["single"]["rate"] / last["pgbench"]["rate"]
    ratio_b = last["batched"]["rate"] / last["pgbench"]["rate"]
    print(
        f"\ntargets at {last['w']} workers: single {ratio_s:.2f}x of pgbench (target "
        f"{SINGLE_TARGET}x: {'MET' if ratio_s >= SINGLE_TARGET else 'SHORT'}"
        f"{'' if ratio_s >= SINGLE_TARGET else f' by {SINGLE_TARGET / ratio_s:.1f}x'}); "
        f"batched {ratio_b:.1f}x (target {BATCH_TARGET}x: "
        f"{'MET' if ratio_b >= BATCH_TARGET else 'SHORT'}"
        f"{'' if ratio_b >= BATCH_TARGET else f' by {BATCH_TARGET / ratio_b:.1f}x'})"
    )


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
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    scale = args.scale or max(counts)
    bench_db, pgbench_db = "tb_bench", "tb_pgbench"
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
    trips = count_round_trips(url, 50, args.batch)
    workers = Workers(url, max(counts))
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
                with Meter(args.pg_url, bench_db) as meter:
                    row[mode] = workers.run(f"{mode}{w}", w, mode, args.seconds, args)
                row[mode].update(meter.result)
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
                got = workers.run(f"profile-{mode}{w}", w, mode, args.seconds, args, prof)
                print(f"\n{mode}: profiled worker 0 of {w} (cProfile dump: {prof})")
                print(_profile.render(_profile.summarize(prof, got["first"]["posted"])))
    finally:
        workers.stop()
    return verify(url)


if __name__ == "__main__":
    sys.exit(main())
