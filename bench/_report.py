"""The benchmark's printed report: throughput and ratios, CPU per transaction, backend states,
statements and round trips per credit, targets."""

from __future__ import annotations

from typing import Any

SINGLE_TARGET, BATCH_TARGET = 0.5, 10.0  # DESIGN §5, at the largest worker count
PHASES = ("pgbench", "single", "batched", "sql single", "sql batched")


def cpu_per(r: dict, phase: str) -> float:
    """Client + server CPU seconds per pgbench transaction or per credit."""
    n = max(r["posted" if "batched" in phase else "txs"], 1)
    return (r["client_cpu"] + (r["server_cpu"] or 0.0)) / n


def cpu_row(w: int, phase: str, r: dict, pgbench: dict) -> str:
    n = max(r["posted" if "batched" in phase else "txs"], 1)
    server = r["server_cpu"]
    foreign = r["busy_cpu"] - r["client_cpu"] - (server or 0.0)
    equal = "" if phase == "pgbench" else f"{cpu_per(pgbench, 'pgbench') / cpu_per(r, phase):.2f}"
    return (
        f"{w:>7} {phase:<11} {1000 * r['client_cpu'] / n:>9.3f} "
        f"{'n/a' if server is None else f'{1000 * server / n:.3f}':>9} {100 * r['busy']:>6.0f} "
        f"{100 * max(foreign, 0.0) / max(r['busy_cpu'], 1e-9):>9.0f} {equal:>9}"
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
    for r in (r for r in rows if "sql single" in r):
        pg, s, b = r["pgbench"]["rate"], r["sql single"]["rate"], r["sql batched"]["rate"]
        print(
            f"{r['w']:>7} {'(SQL floor)':>12} {s:>12.0f} {s / pg:>6.2f} {b:>13.0f} {b / pg:>7.1f}"
        )
    print(
        "  (SQL floor: the same credits as one SQL statement each, run by pgbench's C client "
        "on the\n   bench database, bench/_floor.py: what the server allows a thin client)"
    )
    print(
        "\nCPU ms per pgbench transaction / per credit: client processes, and the server "
        "backends of the\nbenchmark database; busy % of the machine; foreign % = busy CPU "
        "used by neither\n(other work on the machine, PostgreSQL's own WAL writer etc.); "
        "ratio at equal CPU = pgbench's\nCPU per transaction / this phase's CPU per credit: "
        "the ratio if both got the same CPU time"
    )
    print(
        f"{'workers':>7} {'phase':<11} {'client ms':>9} {'server ms':>9} {'busy %':>6} "
        f"{'foreign %':>9} {'eq. ratio':>9}"
    )
    for r in rows:
        for phase in (k for k in PHASES if k in r):
            print(cpu_row(r["w"], phase, r[phase], r["pgbench"]))
    for r in rows:
        s, b = r["single"], r["batched"]
        print(
            f"  W={r['w']}: {s['posted']} single credits ({s['retries']} retried, "
            f"{s['refused']} refused by the daily cap), {b['posted']} batched credits in "
            f"{b['txs']} transactions ({b['retries']} retried)"
        )
    print("\nwhat the benchmark's backends were doing (pg_stat_activity every 50 ms)")
    for r in rows:
        for k in (k for k in PHASES if k in r):
            waits = ", ".join(f"{100 * share:.0f}% {label}" for label, share in r[k]["waits"])
            print(f"  W={r['w']:<3} {k:<11} {waits}")
    one, many = trips["single"], trips["batch"]
    print(
        "\nper single credit: "
        f"{one['statements']:.1f} SQL statements (SQLAlchemy before_cursor_execute), "
        f"{one['round_trips']:.1f} round trips incl. BEGIN, "
        f"{'pre-ping, ' if args.pre_ping else ''}COMMIT "
        f"(pgbench TPC-B: 5 statements, 7 round trips)"
    )
    for sql, n in one["by_statement"].items():
        print(f"    {n:4.1f}  {sql}")
    print(
        f"per batch of {args.batch}: {many['statements'] * args.batch:.0f} statements, "
        f"{many['round_trips'] * args.batch:.0f} round trips\n"
    )
    last = rows[-1]
    pg = last["pgbench"]
    for mode, target in (("single", SINGLE_TARGET), ("batched", BATCH_TARGET)):
        ratio = last[mode]["rate"] / pg["rate"]
        equal = cpu_per(pg, "pgbench") / cpu_per(last[mode], mode)
        verdict = "MET" if ratio >= target else f"SHORT by {target / ratio:.1f}x"
        print(
            f"target at {last['w']} workers, {mode}: {ratio:.2f}x pgbench, target {target}x: "
            f"{verdict} (at equal CPU: {equal:.2f}x)"
        )
