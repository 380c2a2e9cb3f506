"""PostgreSQL plumbing for the benchmarks: scratch databases, seeding, and pgbench."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import URL, make_url

from timebank.db import make_engine
from timebank.migrate import upgrade
from timebank.people.models import District, Person

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def db_url(server_url: str, dbname: str) -> str:
    return make_url(server_url).set(database=dbname).render_as_string(hide_password=False)


def recreate_db(server_url: str, dbname: str, *, drop_only: bool = False) -> None:
    admin = create_engine(db_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()


def checkpoint(server_url: str) -> None:
    """Flush dirty buffers so one phase's checkpoint does not land in the next one's window."""
    admin = create_engine(db_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    admin.dispose()


def setup_bench_db(server_url: str, dbname: str, volunteers: int) -> str:
    """A migrated database with ``volunteers`` active volunteers, each with both accounts."""
    recreate_db(server_url, dbname)
    url = db_url(server_url, dbname)
    engine = make_engine(url)
    upgrade(engine)
    rows = [
        {
            "full_name": f"志愿者{n}",
            "id_hash": f"{n:064x}",
            "id_cipher": "bench",
            "id_masked": f"110105********{n % 10000:04d}",
            "birth_date": date(1970, 5, 1),
            "sex": "F" if n % 2 else "M",
            "phone": f"139{n:08d}",
            "district_code": "110105",
            "status": "active",
            "volunteer_status": "active",
            "created_at": T0,
        }
        for n in range(1, volunteers + 1)
    ]
    district = {"code": "110105", "name_zh": "朝阳区", "name_en": "Chaoyang", "lat": 39.95}
    with engine.begin() as conn:
        if conn.execute(select(District.code).where(District.code == "110105")).first() is None:
            conn.execute(
                insert(District), [{**district, "lon": 116.49}]
            )  # else seeded by a migration
        conn.execute(insert(Person), rows)
        conn.execute(
            text(
                "INSERT INTO ledger_accounts (kind, person_id, tracked, balance, pending, "
                "service_minutes, allow_negative, created_at) "
                "SELECT k.kind, p.id, true, 0, 0, 0, false, :at FROM persons p "
                "CROSS JOIN (VALUES ('earned'), ('received')) AS k(kind) ORDER BY p.id, k.kind"
            ),
            {"at": T0},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def _pg_env(server_url: str) -> tuple[list[str], dict[str, str]]:
    url: URL = make_url(server_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def pgbench_init(server_url: str, dbname: str, scale: int) -> None:
    """``pgbench -i``; server-side data generation (``G``) keeps it quick at larger scales."""
    recreate_db(server_url, dbname)
    args, env = _pg_env(server_url)
    cmd = ["pgbench", "-i", "-q", "-s", str(scale), "-I", "dtGvp", *args, dbname]
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)


def pgbench_run(
    server_url: str, dbname: str, workers: int, seconds: int, extra: list[str] | None = None
) -> tuple[float, str]:
    """Built-in TPC-B-like script, or ``extra`` options (e.g. ``-f script``); returns (tps
    without initial connection time, the command)."""
    args, env = _pg_env(server_url)
    opts = ["-c", str(workers), "-j", str(workers), "-T", str(seconds), "-M", "prepared"]
    cmd = ["pgbench", *opts, *(extra or []), *args, dbname]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    out = done.stdout
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"cannot parse pgbench output:\n{out}")
    return float(match.group(1)), " ".join(cmd)


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a local process; None if not visible."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Every 50 ms: what the database's client backends are doing (pg_stat_activity: on CPU,
    waiting on a lock or the WAL, or idle in a transaction waiting for the client), and the
    CPU each backend has used (/proc, local server only). Other databases on the server, such
    as other people's test runs, are not counted."""

    def __init__(self, server_url: str, dbname: str, apps: set[str] | None = None) -> None:
        self.url, self.dbname, self.apps = server_url, dbname, apps  # apps: application_name
        self.counts: Counter[str] = Counter()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        query = text(
            "SELECT pid, application_name, state, wait_event_type, wait_event "
            "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        engine = create_engine(db_url(self.url, "postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            while True:
                for pid, app, state, kind, event in conn.execute(query, {"db": self.dbname}):
                    if self.apps is not None and app not in self.apps:
                        continue  # a worker that sits this phase out
                    if state == "active":
                        label = f"active {kind}:{event}" if kind else "active on CPU"
                    else:  # idle / idle in transaction: the server waits for the client
                        label = str(state)
                    self.counts[label] += 1
                    cpu = _proc_cpu(pid)
                    if cpu is not None:
                        self.first.setdefault(pid, cpu)
                        self.last[pid] = cpu
                if self.stop.wait(0.05):
                    break
        engine.dispose()

    def finish(self) -> tuple[list[tuple[str, float]], float | None]:
        """The four commonest states with their shares, and the backends' CPU seconds."""
        self.stop.set()
        self.thread.join()
        total = sum(self.counts.values()) or 1
        waits = [(label, n / total) for label, n in self.counts.most_common(4)]
        cpu = sum(self.last[p] - self.first[p] for p in self.last) if self.last else None
        return waits, cpu


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies over all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)
