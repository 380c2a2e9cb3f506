"""Real OS processes against one PostgreSQL ledger (DESIGN §3 under contention).

The setup commits persons with verified kin, balances, a funded pool, pending holds and posted
transfers that several processes will fight over. Spawned processes (``concurrency_workers``)
then run use cases through ``run_in_transaction``, on a few hot accounts, with idempotency keys
deliberately shared between processes. Refusals are expected outcomes and only counted; the
assertions are on invariants, which hold whatever the interleaving.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from tests.factories import make_kin, make_person
from tests.integration.ledger import concurrency_workers as cw
from timebank.config import Settings
from timebank.db import make_session_factory, transaction
from timebank.ledger.audit import verify_ledger
from timebank.ledger.models import Account, Transfer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]
SETTINGS = Settings(env="test")
T = Transfer.__table__
A = Account.__table__
KIN = (
    *((0, 1, "spouse"), (2, 3, "spouse"), (0, 2, "parent"), (1, 3, "grandparent")),  # hot
    *((4, 5, "spouse"), (6, 7, "parent"), (8, 9, "spouse")),
)
SHARED = 40  # holds, and transfers, that processes fight over


def _setup(engine: Engine) -> cw.World:
    """Ten persons, the first four hot; everything committed before any process starts."""
    with transaction(make_session_factory(engine)) as s:
        people = [make_person(s, birth=date(1950 + i, 1, 1)) for i in range(10)]
        ids = [p.id for p in people]
        for a, b, relation in KIN:
            make_kin(s, people[a], people[b], relation)
        pairs = [(ids[a], ids[b]) for a, b, _ in KIN] + [(ids[b], ids[a]) for a, b, _ in KIN]
        reversible = []  # the quiet persons' credits: processes race to reverse them
        for i in ids:
            for day in range(1, 9):  # 8 x 480 = 3840 minutes each
                posted = cw.credit(f"seed:c:{i}:{day}", i, 480, day)(s)
                if i not in ids[:4]:
                    reversible.append(posted.id)
        for i in ids[:4]:
            cw.donate(f"seed:d:{i}", i, 500, "earned")(s)
        holds = []
        for j in range(SHARED // 2):  # single-part holds: nobody has received coins yet
            holds.append(cw.pool_hold(f"seed:ph:{j}", 60)(s))
            holds += cw.hold(f"seed:h:{j}", ids[j % 4], 60)(s)
        for giver, recipient in pairs:
            if giver in ids[:4] and recipient in ids[:4]:
                cw.gift(f"seed:g:{giver}:{recipient}", giver, recipient, 200)(s)
        s.commit()
    return cw.World(
        url=engine.url.render_as_string(hide_password=False),
        persons=ids,
        hot=ids[:4],
        pairs=pairs,
        shared_holds=[h.id for h in holds],
        shared_transfers=reversible[:SHARED],
    )


def _transfer_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(T.c.id)).scalars())


def _deadlocks(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()


def _check_whole(engine: Engine, seeded: set[int], reports: list[cw.Report]) -> None:
    """The invariants after the storm, and that every coin is accounted for by a request."""
    with transaction(make_session_factory(engine)) as s:
        report = verify_ledger(s, settings=SETTINGS)
        rows = {r.id: r for r in s.execute(select(T))}
        accounts = s.execute(select(A.c.id, A.c.balance, A.c.pending, A.c.tracked)).all()
    assert report.ok, report.problems  # I1, I2, I3
    assert report.debts == {}  # nobody may be in debt: no allowance was given
    for a in accounts:
        assert not a.tracked or (a.balance >= 0 and a.balance - a.pending >= 0), a

    reported = [t for r in reports for t in r.transfers]
    for tid, key, kind, amount, _ in reported:  # every success is in the ledger as reported
        assert (rows[tid].key, rows[tid].kind, rows[tid].amount) == (key, kind, amount)
    # Nothing was committed behind a refusal or a lost reply: every transfer is accounted for.
    assert set(rows) == seeded | {t[0] for t in reported}
    # I4: one request created each transfer; every other report of its key is a replay of it.
    created = Counter(t[0] for t in reported if not t[4])
    assert set(created) == set(rows) - seeded and set(created.values()) <= {1}
    ids_by_key: dict[str, set[int]] = defaultdict(set)
    workers_by_key: dict[str, set[int]] = defaultdict(set)
    for r in reports:
        for tid, key, *_ in r.transfers:
            ids_by_key[key].add(tid)
            workers_by_key[key].add(r.worker)
    assert all(len(v) == 1 for v in ids_by_key.values()), "one key, two transfers"

    # No coin made or lost: issued = distinct service credits - their reversals.
    credits = {i: r.amount for i, r in rows.items() if r.kind == "service_credit"}
    unreversed = sum(
        r.amount
        for r in rows.values()
        if r.kind == "reversal" and rows[r.reverses_id].kind == "service_credit"
    )
    assert report.issued == sum(credits.values()) - unreversed
    assert report.issued == report.outstanding + report.redeemed

    # I5, I6: a hold resolved at most once, a transfer reversed at most once.
    for column in ("pending_id", "reverses_id"):
        counts = Counter(getattr(r, column) for r in rows.values() if getattr(r, column))
        assert set(counts.values()) <= {1}, column
    assert all(rows[r.pending_id].phase == "pending" for r in rows.values() if r.pending_id)


def _summary(reports: list[cw.Report]) -> Counter[tuple[str, str]]:
    total: Counter[tuple[str, str]] = Counter()
    for r in reports:
        total.update(r.outcomes)
    return total


def test_processes_on_hot_accounts_keep_the_ledger_whole(fresh_engine: Engine) -> None:
    world = _setup(fresh_engine)
    seeded = _transfer_ids(fresh_engine)
    deadlocks = _deadlocks(fresh_engine)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        reports = pool.starmap_async(cw.run_mixed, [(world, w, 150) for w in range(4)]).get(
            timeout=300
        )
    assert [u for r in reports for u in r.unexpected] == []
    _check_whole(fresh_engine, seeded, reports)

    outcomes = _summary(reports)
    print(f"\noutcomes: {sorted(outcomes.items())}")
    print(f"deadlocks detected and retried: {_deadlocks(fresh_engine) - deadlocks}")
    keys_seen_twice = {
        key
        for key in {t[1] for r in reports for t in r.transfers if t[1].startswith("dup:")}
        if sum(any(t[1] == key for t in r.transfers) for r in reports) > 1
    }
    assert keys_seen_twice, "no idempotency key was actually shared between processes"
    assert sum(n for (op, result), n in outcomes.items() if result == "ok") > 100


def test_two_processes_race_for_one_hold_and_one_reversal(fresh_engine: Engine) -> None:
    world = _setup(fresh_engine)
    seeded = _transfer_ids(fresh_engine)
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=cw.run_race, args=(world, w, barrier, queue), daemon=True)
        for w in (0, 1)
    ]
    try:
        for p in procs:
            p.start()
        reports = sorted((queue.get(timeout=600) for _ in procs), key=lambda r: r.worker)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
    assert [u for r in reports for u in r.unexpected] == []
    assert [p.exitcode for p in procs] == [0, 0]
    _check_whole(fresh_engine, seeded, reports)

    rounds = SHARED // 2
    outcomes = _summary(reports)
    print(f"\noutcomes: {sorted(outcomes.items())}")
    # Different keys: exactly one process resolves the hold, one reverses the transfer; the
    # other is told it was already done.
    assert outcomes[("race_settle", "ok")] == rounds
    assert outcomes[("race_settle", "Conflict:hold_once")] == rounds
    assert outcomes[("race_reverse", "ok")] == rounds
    assert outcomes[("race_reverse", "Conflict:reverse_once")] == rounds
    # The same key and content: one transfer between them, created by exactly one process.
    # I4 says the other gets it back (replayed); today a loser that looked the key up before
    # the winner committed may be refused instead: test_ledger_gaps.py pins that bug, so here
    # it is only counted.
    for op in ("same_settle", "same_reverse"):
        assert outcomes[(op, "ok")] == rounds, op
        refused = sum(
            n for (o, r), n in outcomes.items() if o == op and r not in ("ok", "replayed")
        )
        assert outcomes[(op, "replayed")] + refused == rounds, op
        print(
            f"{op}: {rounds - outcomes[(op, 'replayed')]} of {rounds} losers refused, not replayed"
        )
    with fresh_engine.connect() as conn:
        resolved = set(conn.execute(select(T.c.pending_id).where(T.c.pending_id.is_not(None))))
        reversed_ = set(conn.execute(select(T.c.reverses_id).where(T.c.reverses_id.is_not(None))))
    assert {(h,) for h in world.shared_holds} <= resolved
    assert {(t,) for t in world.shared_transfers} <= reversed_
