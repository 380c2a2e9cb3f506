"""One load generator: service credits through the use-case layer, or batched postings.

Runs in a worker process (``worker_main``) or in the parent (statement counting).
"""

from __future__ import annotations

import cProfile
import random
import resource
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import event, select

from timebank.actors import Actor, Role
from timebank.clock import LOCAL_TZ
from timebank.db import make_engine, make_session_factory, run_in_transaction
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import ISSUANCE_ID, Account
from timebank.ledger.services import credit_service
from timebank.policy import Policy

FIRST_DAY = date(2020, 1, 1)
DAYS = 3650  # random service days: a volunteer rarely meets the 8-hour daily cap twice a day
DURATION = 60
STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")
POLICY = Policy()


class Load:
    def __init__(
        self, url: str, tag: str, seed: int, app: str = "bench", pre_ping: bool = False
    ) -> None:
        args = {"application_name": app}
        # pool_pre_ping (the application's default) costs a round trip per transaction; the
        # benchmark leaves it off unless --pre-ping is given.
        self.engine = make_engine(
            url, pool_size=1, max_overflow=0, pool_pre_ping=pre_ping, connect_args=args
        )
        self.factory = make_session_factory(self.engine)
        with self.engine.connect() as conn:
            stmt = select(Account.person_id, Account.id).where(Account.kind == "earned")
            self.volunteers = [tuple(r) for r in conn.execute(stmt)]
        self.pool = self.volunteers  # whom this worker credits
        self.tag, self.rng, self.n, self.calls = tag, random.Random(seed), 0, 0

    def _next(self) -> tuple[str, int, int, date]:
        self.n += 1
        person_id, earned_id = self.rng.choice(self.pool)
        day = FIRST_DAY + timedelta(days=self.rng.randrange(DAYS))
        return f"bench:{self.tag}:{self.n}", person_id, earned_id, day

    def credit(self) -> int:
        """One service credit, one transaction; 1 if posted, 0 if the daily cap refused it."""
        key, person_id, _, day = self._next()
        started = datetime.combine(day, dtime(9), LOCAL_TZ)

        def work(session: Any) -> Any:
            self.calls += 1
            return credit_service(
                session,
                actor=STATION,
                key=key,
                volunteer_id=person_id,
                duration_minutes=DURATION,
                started_at=started,
                reference=f"visit:{key}",
                policy=POLICY,
                at=datetime.now(UTC),
            )

        return int(run_in_transaction(self.factory, work) is not None)

    def batch(self, size: int) -> int:
        """``size`` service credits posted by one ``post_transfers`` call, one transaction."""
        specs = []
        for _ in range(size):
            key, _, earned_id, day = self._next()
            specs.append(
                TransferSpec(
                    key=key,
                    kind="service_credit",
                    debit_account_id=ISSUANCE_ID,
                    credit_account_id=earned_id,
                    amount=DURATION,
                    reference=f"visit:{key}",
                    value_date=day,
                )
            )

        def work(session: Any) -> Any:
            self.calls += 1
            return post_transfers(session, specs, actor=STATION.label, at=datetime.now(UTC))

        return len(run_in_transaction(self.factory, work))

    def run(self, mode: str, start_at: float, seconds: float, batch: int, prof: str = "",
            part: tuple[int, int] = (0, 1)) -> dict:  # fmt: skip
        """Start at ``start_at`` (wall clock), start new transactions for ``seconds``. A
        ``part`` (i, n) credits only every n-th volunteer from the i-th: batches from different
        workers then lock disjoint accounts, like stations importing their own paper records."""
        self.pool = self.volunteers[part[0] :: part[1]]
        time.sleep(max(0.0, start_at - time.time()))
        # CPU time, not wall time: on a saturated 2-core box wall time mostly measures waiting
        # for a core, which the profile would blame on whatever happened to be running.
        profile = cProfile.Profile(time.process_time) if prof else None
        if profile:
            profile.enable()
        posted = txs = refused = 0
        self.calls, cpu = 0, _cpu()
        deadline = start_at + seconds
        while time.time() < deadline:
            got = self.credit() if mode == "single" else self.batch(batch)
            posted += got
            refused += int(mode == "single" and not got)
            txs += 1
        end, cpu = time.time(), _cpu() - cpu
        if profile:
            profile.disable()
            profile.dump_stats(prof)
        retries = self.calls - txs
        return {
            "posted": posted,
            "txs": txs,
            "retries": retries,
            "refused": refused,
            "end": end,
            "cpu": cpu,
        }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_main(
    idx: int, url: str, seed: int, commands: Any, results: Any, pre_ping: bool = False
) -> None:
    """Worker process: build a ``Load``, then run the commands sent to it until ``None``."""
    load = Load(url, f"w{idx}", seed, app=f"bench-w{idx}", pre_ping=pre_ping)
    results.put((idx, "ready"))
    while (cmd := commands.get()) is not None:
        load.tag = f"{cmd['phase']}:w{idx}"
        load.n = 0
        try:
            results.put((idx, load.run(**cmd["run"])))
        except Exception as exc:  # report, do not hang the parent
            results.put((idx, {"error": repr(exc)}))
    load.engine.dispose()


def count_round_trips(
    url: str, credits: int, batch: int, pre_ping: bool = False
) -> dict[str, float]:
    """Statements per credit as SQLAlchemy sends them, and protocol round trips per credit
    (libpq trace: every Sync or simple Query the client sends waits for the server once)."""
    import tempfile

    from psycopg import pq

    load = Load(url, "count", 7, pre_ping=pre_ping)
    statements: Counter[str] = Counter()
    trace = tempfile.NamedTemporaryFile("w+", suffix=".trace")  # noqa: SIM115

    @event.listens_for(load.engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements[" ".join(sql.split()[:4])[:60]] += 1

    with load.engine.connect() as conn:  # the pool's one connection, traced from now on
        pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
    out: dict[str, Any] = {}
    for mode, n, per in (("single", credits, 1), ("batch", 3, batch)):
        statements.clear()
        trace.seek(0)
        trace.truncate()
        load.tag = f"count-{mode}-{time.time_ns()}"
        for _ in range(n):
            load.credit() if mode == "single" else load.batch(per)
        trace.flush()
        trace.seek(0)
        sent = [line.split("\t") for line in trace if line.startswith("F\t")]
        kinds = [f[2].strip().split(" ")[0] for f in sent if len(f) > 2]
        trips = sum(1 for k in kinds if k in ("Sync", "Query"))
        out[mode] = {
            "statements": sum(statements.values()) / (n * per),
            "round_trips": trips / (n * per),
            "by_statement": {k: v / n for k, v in statements.most_common()},
        }
    pgconn.untrace()
    load.engine.dispose()
    return out
