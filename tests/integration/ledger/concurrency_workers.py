"""What the spawned processes of ``test_concurrency.py`` run: ledger use cases against one
PostgreSQL database, each in its own transaction through ``run_in_transaction``.

A process builds its own engine and session factory from the URL. It reports every outcome:
for a success, each transfer as ``(id, key, kind, amount, replayed)``; for a refusal, the error
class and rule. Anything else (an exception that is not a domain refusal, a replay that
differs) is reported in ``unexpected``; the test requires that list to be empty.
"""

from __future__ import annotations

import random
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.clock import LOCAL_TZ
from timebank.db import make_engine, make_session_factory, run_in_transaction
from timebank.errors import TimebankError
from timebank.ledger import services as ledger
from timebank.ledger.core import Posted
from timebank.policy import Policy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
# No yearly gift limits: refusals come from balances and races, not from the calendar.
POLICY = Policy(
    gift_yearly_limit_minutes=0,
    gift_yearly_count_limit=0,
    gift_per_recipient_yearly_limit_minutes=0,
)
STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")
ADMIN = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")
Transfer = tuple[int, str, str, int, bool]  # id, key, kind, amount, replayed


@dataclass
class World:
    """What the setup committed, as plain data a spawned process can receive."""

    url: str
    persons: list[int]
    hot: list[int]  # the few persons most operations hit
    pairs: list[tuple[int, int]]  # verified direct kin, both directions
    shared_holds: list[int]  # pending holds several processes settle
    shared_transfers: list[int]  # posted transfers several processes reverse


@dataclass
class Report:
    worker: int
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    transfers: list[Transfer] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def _as_list(result: Posted | list[Posted] | None) -> list[Posted]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


class Client:
    """One process's session factory and report; ``do`` runs a use case and records it."""

    def __init__(self, url: str, worker: int) -> None:
        # A lock held for minutes is a hang, not contention: make it an error the test reports.
        self.engine = make_engine(
            url, pool_size=2, max_overflow=0, connect_args={"options": "-c lock_timeout=120s"}
        )
        self.factory = make_session_factory(self.engine)
        self.report = Report(worker)
        self.done: dict[str, list[Transfer]] = {}  # request key -> what it did
        self.requests: dict[str, Callable[[Session], Any]] = {}  # request key -> the request

    def do(self, op: str, key: str, fn: Callable[[Session], Any]) -> list[Transfer] | None:
        self.requests.setdefault(key, fn)
        try:
            result = run_in_transaction(self.factory, fn)
        except TimebankError as exc:
            self.report.outcomes[(op, f"{type(exc).__name__}:{exc.rule or '-'}")] += 1
            return None
        except Exception:
            self.report.unexpected.append(f"{op} {key}: {traceback.format_exc()}")
            return None
        posted = [(p.id, p.key, p.kind, p.amount, p.replayed) for p in _as_list(result)]
        self.report.outcomes[(op, "replayed" if posted and posted[0][4] else "ok")] += 1
        self.report.transfers.extend(posted)
        if key in self.done and result is not None:  # our own retry: the same transfers (I4)
            before = sorted(t[:4] for t in self.done[key])
            if sorted(t[:4] for t in posted) != before or not all(t[4] for t in posted):
                self.report.unexpected.append(f"retry of {key} gave {posted}, first {before}")
        if posted:
            self.done[key] = posted
        return posted


# -- the use cases, as functions of a session -------------------------------------------------
def credit(key: str, volunteer: int, minutes: int, days_ago: int) -> Callable[[Session], Any]:
    return lambda s: ledger.credit_service(
        s,
        actor=STATION,
        key=key,
        volunteer_id=volunteer,
        duration_minutes=minutes,
        started_at=NOW - timedelta(days=days_ago),
        reference=f"visit:{key}",
        policy=POLICY,
        at=NOW,
    )


def gift(key: str, giver: int, recipient: int, amount: int) -> Callable[[Session], Any]:
    return lambda s: ledger.gift(
        s,
        actor=Actor(role=Role.VOLUNTEER, person_id=giver),
        key=key,
        giver_id=giver,
        recipient_id=recipient,
        amount=amount,
        policy=POLICY,
        at=NOW,
    )


def donate(key: str, donor: int, amount: int, source: str) -> Callable[[Session], Any]:
    return lambda s: ledger.donate(
        s,
        actor=Actor(role=Role.VOLUNTEER, person_id=donor),
        key=key,
        donor_id=donor,
        amount=amount,
        source=source,
        at=NOW,
    )


def allocate(key: str, elder: int, amount: int) -> Callable[[Session], Any]:
    return lambda s: ledger.allocate_from_pool(
        s, actor=ADMIN, key=key, elder_id=elder, amount=amount, reason="priority", at=NOW
    )


def hold(key: str, holder: int, amount: int) -> Callable[[Session], Any]:
    return lambda s: ledger.hold_for_care(
        s,
        actor=STATION,
        key=key,
        holder_id=holder,
        beneficiary_id=holder,
        amount=amount,
        reference=f"need:{key}",
        policy=POLICY,
        at=NOW,
    )


def pool_hold(key: str, amount: int) -> Callable[[Session], Any]:
    return lambda s: ledger.hold_from_pool(
        s, actor=STATION, key=key, amount=amount, reference=f"need:{key}", at=NOW
    )


def settle(key: str, hold_ids: list[int], amount: int) -> Callable[[Session], Any]:
    return lambda s: ledger.settle_holds(
        s, actor=STATION, key=key, hold_ids=hold_ids, amount=amount, at=NOW
    )


def reverse(key: str, transfer_id: int) -> Callable[[Session], Any]:
    return lambda s: ledger.reverse(
        s, actor=ADMIN, key=key, transfer_id=transfer_id, reason="correction", at=NOW
    )


# -- process entry points ---------------------------------------------------------------------
def _shared(i: int, world: World) -> tuple[str, str, Callable[[Session], Any]]:
    """Operation ``i`` of the shared script: every process that draws it sends the same
    request under the same key, so exactly one transfer may come of it."""
    rng = random.Random(i)
    hot = world.hot
    kind = rng.choice(["credit", "gift", "donate", "settle", "reverse"])
    key = f"dup:{kind}:{i}"
    if kind == "credit":
        return (
            kind,
            key,
            credit(key, rng.choice(hot), rng.choice([60, 90, 120]), rng.randint(0, 90)),
        )
    if kind == "gift":
        giver, recipient = rng.choice([p for p in world.pairs if p[0] in hot])
        return kind, key, gift(key, giver, recipient, rng.randint(10, 60))
    if kind == "donate":
        return kind, key, donate(key, rng.choice(hot), rng.randint(10, 60), "earned")
    if kind == "settle":
        h = world.shared_holds[i % len(world.shared_holds)]
        return kind, f"dup:settle:{h}", settle(f"dup:settle:{h}", [h], 30 * (h % 2))
    t = world.shared_transfers[i % len(world.shared_transfers)]
    return kind, f"dup:reverse:{t}", reverse(f"dup:reverse:{t}", t)


def run_mixed(world: World, worker: int, n_ops: int) -> Report:
    """``n_ops`` operations on a few hot accounts; one in five from the shared script."""
    client = Client(world.url, worker)
    rng = random.Random(1000 + worker)
    hot = world.hot
    mine_holds: list[tuple[int, int]] = []  # (hold id, amount) this process may settle
    mine_posted: list[int] = []  # transfers this process may reverse
    try:
        for i in range(n_ops):
            if i % 5 == 0:
                client.do(*_shared(i + rng.randint(0, 3), world))
                continue
            key = f"w{worker}:{i}"
            person = rng.choice(hot)
            op = rng.choices(
                [
                    "credit",
                    "gift",
                    "donate",
                    "allocate",
                    "hold",
                    "pool_hold",
                    "settle",
                    "reverse",
                    "race_settle",
                    "race_reverse",
                    "retry",
                ],
                weights=[20, 12, 8, 4, 14, 4, 14, 6, 4, 4, 10],
            )[0]
            if op == "settle" and not mine_holds:
                op = "hold"
            if op == "reverse" and not mine_posted:
                op = "credit"
            if op == "retry" and not client.done:
                op = "credit"
            if op == "credit":
                fn = credit(key, person, rng.choice([30, 60, 95, 120, 240]), rng.randint(0, 120))
            elif op == "gift":
                giver, recipient = rng.choice([p for p in world.pairs if p[0] in hot])
                fn = gift(key, giver, recipient, rng.randint(10, 150))
            elif op == "donate":
                fn = donate(key, person, rng.randint(10, 120), rng.choice(["earned", "received"]))
            elif op == "allocate":
                fn = allocate(key, person, rng.randint(10, 90))
            elif op == "hold":
                fn = hold(key, person, rng.randint(30, 240))
            elif op == "pool_hold":
                fn = pool_hold(key, rng.randint(10, 90))
            elif op == "settle":
                hold_id, amount = mine_holds.pop(rng.randrange(len(mine_holds)))
                fn = settle(key, [hold_id], rng.choice([0, amount, rng.randint(0, amount)]))
            elif op == "reverse":
                fn = reverse(key, mine_posted.pop(rng.randrange(len(mine_posted))))
            elif op == "race_settle":  # the same shared hold, under this process's own key
                fn = settle(key, [rng.choice(world.shared_holds)], rng.choice([0, 10]))
            elif op == "race_reverse":
                fn = reverse(key, rng.choice(world.shared_transfers))
            else:  # a client retry: the very same request again
                key = rng.choice(sorted(client.done))
                fn = client.requests[key]
            posted = client.do(op, key, fn)
            for t in posted or []:
                if t[4]:
                    continue
                if op in ("hold", "pool_hold"):
                    mine_holds.append((t[0], t[3]))
                elif op in ("credit", "gift", "donate", "allocate"):
                    mine_posted.append(t[0])
    finally:
        client.engine.dispose()
    return client.report


def run_race(world: World, worker: int, barrier: Any, queue: Any) -> None:
    """Round by round, both processes act on the same hold or transfer at the same moment."""
    client = Client(world.url, worker)
    rounds = len(world.shared_holds) // 2
    try:
        _race_rounds(client, world, worker, rounds, barrier)
    except BaseException:  # e.g. the other process died: say so, and release it
        barrier.abort()
        client.report.unexpected.append(f"process {worker}: {traceback.format_exc()}")
    finally:
        client.engine.dispose()
        queue.put(client.report)


def _race_rounds(client: Client, world: World, worker: int, rounds: int, barrier: Any) -> None:
    for r in range(rounds):
        h_own, h_same = world.shared_holds[2 * r], world.shared_holds[2 * r + 1]
        t_own, t_same = world.shared_transfers[2 * r], world.shared_transfers[2 * r + 1]
        steps = [
            # Different keys, different content: exactly one may resolve the hold.
            ("race_settle", f"p{worker}:s{r}", settle(f"p{worker}:s{r}", [h_own], 30 * worker)),
            ("race_reverse", f"p{worker}:r{r}", reverse(f"p{worker}:r{r}", t_own)),
            # The same key and content from both: one transfer, the other replays it.
            ("same_settle", f"same:s{r}", settle(f"same:s{r}", [h_same], 30)),
            ("same_reverse", f"same:r{r}", reverse(f"same:r{r}", t_same)),
        ]
        for op, key, fn in steps:
            barrier.wait(timeout=240)  # only a hang should break it
            client.do(op, key, fn)
