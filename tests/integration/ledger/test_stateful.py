"""The ledger against an in-memory model (``model.py``), driven by Hypothesis, on both databases.

Each example starts from an empty migrated database (``fresh_engine``) inside one outer
transaction that is rolled back at the end; each use-case call runs in a SAVEPOINT, so a refused
call undoes only itself. After every step the database must agree with the model row for row,
and ``verify_ledger`` must find nothing wrong (I1–I3, I5, I6); I4 is checked on every call that
reuses a key (the same content replays the original, other content is refused).

Two known gaps are kept out of the generated inputs and pinned in ``test_ledger_gaps.py``:
``hold_for_care`` and ``settle_holds`` retried under the same key with other content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import T0, make_kin, make_person
from tests.integration.ledger.model import Acc, Model, Plan, Refused, Tr, Who
from timebank.actors import Actor, Role
from timebank.clock import LOCAL_TZ, FixedClock, local_date
from timebank.config import Settings
from timebank.errors import TimebankError
from timebank.ledger import services as ledger
from timebank.ledger.audit import verify_ledger
from timebank.ledger.core import Posted
from timebank.ledger.models import POOL_ID, Account, Transfer
from timebank.ledger.statement import statement
from timebank.people.models import Person
from timebank.policy import Policy

SETTINGS = Settings(env="test")
# Small limits, so that caps, yearly gift limits, stars and the 10,000 rule are all reached.
POLICY = Policy(
    daily_credit_cap_minutes=240,
    gift_yearly_limit_minutes=600,
    gift_yearly_count_limit=3,
    gift_per_recipient_yearly_limit_minutes=360,
    admission_service_minutes=600,
    admission_balance_minutes=300,
    star_level_hours=(2, 5, 10),
)
STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")
ADMIN = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")
START = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
PEOPLE = (  # birth date, status
    (date(1988, 7, 1), "active"),  # 0: young, cannot redeem
    (date(1956, 2, 10), "active"),  # 1: 0's parent
    (date(1966, 4, 15), "active"),  # 2: 1's spouse, turns 60 on 15 April 2026
    (date(1950, 9, 9), "active"),  # 3: no verified kin
    (date(1948, 1, 1), "suspended"),  # 4: 0's grandparent, frozen
)
KIN = ((0, 1, "parent"), (1, 2, "spouse"), (0, 4, "grandparent"))
T = Transfer.__table__
A = Account.__table__
ROW = (
    T.c.id,
    T.c.key,
    T.c.kind,
    T.c.phase,
    T.c.debit_account_id,
    T.c.credit_account_id,
    T.c.amount,
    T.c.pending_id,
    T.c.reverses_id,
    T.c.reference,
    T.c.value_date,
)
HOLD = T.alias("hold")
TWICE = [
    select(c).where(c.is_not(None)).group_by(c).having(func.count() > 1)
    for c in (T.c.pending_id, T.c.reverses_id)
]
# I6: a post or void resolves a pending hold, for at most what it holds.
BAD_RESOLUTIONS = (
    select(T.c.id)
    .join(HOLD, HOLD.c.id == T.c.pending_id)
    .where((HOLD.c.phase != "pending") | (T.c.amount > HOLD.c.amount))
)
STORED = select(A.c.id, A.c.balance, A.c.pending, A.c.service_minutes, A.c.allow_negative)


def _content(p: Posted) -> tuple[Any, ...]:
    return (
        p.kind,
        p.phase,
        p.debit_account_id,
        p.credit_account_id,
        p.amount,
        p.pending_id,
        p.reverses_id,
        p.reference,
        p.value_date,
    )


class LedgerMachine(RuleBasedStateMachine):
    engine: Engine  # set per backend by the test

    def __init__(self) -> None:
        super().__init__()
        self.conn = self.engine.connect()
        self.outer = self.conn.begin()
        if self.conn.dialect.name == "postgresql":  # a lock wait fails the test, never hangs it
            self.conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
        self.s = Session(
            bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            self._set_up()
        except BaseException:
            self.teardown()  # Hypothesis tears down only a machine that was built
            raise

    def _set_up(self) -> None:
        self.clock = FixedClock(START)
        self.model = Model(POLICY)
        self.model.accounts[POOL_ID] = Acc(POOL_ID, "pool")
        people = [make_person(self.s, birth=birth, status=status) for birth, status in PEOPLE]
        for a, b, relation in KIN:
            make_kin(self.s, people[a], people[b], relation)
            self.model.kin[frozenset({people[a].id, people[b].id})] = relation
        for p in people:
            earned, received = ledger.open_accounts(self.s, person_id=p.id, at=T0)
            self.model.add_person(Who(p.id, p.birth_date, p.status, earned, received))
        self.ids = [p.id for p in people]
        self.owner = {a: w.id for w in self.model.persons.values() for a in (w.earned, w.received)}
        self.touched = set(self.ids)
        self.requests: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.request_keys: dict[str, set[str]] = defaultdict(set)
        self.n = 0
        self._seed()

    def _seed(self) -> None:
        """Coins to move: three days of service for the active, a donation, a gift."""
        for i in self.ids[:4]:
            for day in (1, 2, 3):
                self._credit(
                    {
                        "key": f"seed:{i}:{day}",
                        "volunteer_id": i,
                        "started_at": START - timedelta(days=day),
                        "reference": "visit:seed",
                        "duration_minutes": 240,
                    }
                )
        self._donate(
            {"key": "seed:pool", "donor_id": self.ids[3], "amount": 300, "source": "earned"}
        )
        self._gift(
            {
                "key": "seed:gift",
                "giver_id": self.ids[0],
                "recipient_id": self.ids[1],
                "amount": 120,
            }
        )
        assert self.model.outstanding == 4 * 720

    def teardown(self) -> None:
        try:
            self.s.close()
        finally:
            self.conn.close()  # rolls the outer transaction back

    # -- helpers -----------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    def _request(
        self, data: st.DataObject, case: str, own_keys: bool = True
    ) -> tuple[str, dict[str, Any] | None]:
        """A key and None for a new request, or the kwargs of an earlier request to retry.

        New requests take a fresh key, or reuse one: of another use case, or (``own_keys``) any
        transfer's key or this use case's earlier keys, with whatever content is drawn."""
        reusable = {k for c, keys in self.request_keys.items() if c != case for k in keys}
        if own_keys:
            reusable |= set(self.model.by_key) | self.request_keys[case]
        else:  # see the module docstring: these use cases' own keys are reused only as retries
            reusable -= self.request_keys[case]
        others = sorted(reusable)
        modes = ["new", "new", "new"]
        modes += ["retry"] * bool(self.requests[case]) + ["reuse"] * bool(others)
        mode = data.draw(st.sampled_from(modes), label="key mode")
        if mode == "retry":
            kwargs = dict(data.draw(st.sampled_from(self.requests[case]), label="retry"))
            return kwargs["key"], kwargs
        if mode == "reuse":
            return data.draw(st.sampled_from(others), label="reused key"), None
        self.n += 1
        return f"k{self.n}", None

    def _amount(self, data: st.DataObject, available: int) -> int:
        edges = [available, available + 1] if available > 0 else [1]
        some = st.integers(1, 300)
        return data.draw(some | some | st.sampled_from([*edges, 30, 60, 0]), label="amount")

    def _person_available(self, person_id: int) -> int:
        who = self.model.persons[person_id]
        return self.model.available(who.earned) + self.model.available(who.received)

    def _run(
        self, case: str, kwargs: dict[str, Any], expect: Callable[[], Plan], call: Callable[[], Any]
    ) -> None:
        self.requests[case].append(kwargs)
        self.request_keys[case].add(kwargs["key"])
        try:
            plan, refused = expect(), None
        except Refused as r:
            plan, refused = Plan(), r
        try:
            with self.s.begin_nested():
                result = call()
        except TimebankError as exc:
            assert refused is not None, f"{case}{kwargs}: model expected {plan}, got {exc!r}"
            assert type(exc) is refused.error, f"{case}{kwargs}: {exc!r}, model: {refused}"
            assert refused.rule is None or exc.rule == refused.rule, (case, exc, refused)
            return
        assert refused is None, f"{case}{kwargs}: expected {refused}, got {result}"
        if plan.nothing:
            assert result is None, f"{case}{kwargs}: nothing was creditable, got {result}"
            return
        posted = result if isinstance(result, list) else [result]
        assert len(posted) == len(plan.items), (case, kwargs, posted, plan)
        by_key = {p.key: p for p in posted}
        ids = {}
        for item in plan.items:
            if isinstance(item, Tr):
                p = by_key[item.key]
                assert not p.replayed and _content(p) == item.content(), (case, p, item)
                ids[item.key] = p.id
            else:  # I4: a retried key returns the original transfer
                original = self.model.transfers[item]
                p = by_key[original.key]
                assert p.replayed and p.id == item, (case, p, original)
                assert _content(p) == original.content(), (case, p, original)
        self.model.commit(plan, ids, self._now())
        for p in posted:
            for account_id in (p.debit_account_id, p.credit_account_id):
                if account_id in self.owner:
                    self.touched.add(self.owner[account_id])

    # -- rules -------------------------------------------------------------------------------
    @rule(data=st.data())
    def credit_service(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "credit")
        if kw is None:
            hours = data.draw(st.integers(-60, 0), label="started hours ago")
            kw = {
                "key": key,
                "volunteer_id": data.draw(st.sampled_from(self.ids), label="volunteer"),
                "started_at": self._now() + timedelta(hours=hours),
                "reference": f"visit:{key}",
            }
        if "duration_minutes" not in kw or data.draw(st.booleans(), label="new duration"):
            durations = st.sampled_from([0, 29, 30, 95, 120, 240, 300])
            kw["duration_minutes"] = data.draw(durations | st.integers(-5, 500), label="minutes")
        self._credit(kw)

    def _credit(self, kw: dict[str, Any]) -> None:
        self._run(
            "credit",
            kw,
            lambda: self.model.credit_service(
                key=kw["key"],
                volunteer=kw["volunteer_id"],
                duration=kw["duration_minutes"],
                started_at=kw["started_at"],
                reference=kw["reference"],
            ),
            lambda: ledger.credit_service(
                self.s, actor=STATION, policy=POLICY, at=self._now(), **kw
            ),
        )

    @rule(data=st.data())
    def gift(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "gift")
        if kw is None:
            pairs = [tuple(sorted(p)) for p in self.model.kin] + [(self.ids[0], self.ids[3])]
            giver, recipient = data.draw(st.sampled_from(pairs), label="pair")
            if data.draw(st.booleans(), label="swap"):
                giver, recipient = recipient, giver
            giver_earned = self.model.persons[giver].earned
            kw = {
                "key": key,
                "giver_id": giver,
                "recipient_id": recipient,
                "amount": self._amount(data, self.model.available(giver_earned)),
            }
        self._gift(kw)

    def _gift(self, kw: dict[str, Any]) -> None:
        self._run(
            "gift",
            kw,
            lambda: self.model.gift(
                key=kw["key"],
                giver=kw["giver_id"],
                recipient=kw["recipient_id"],
                amount=kw["amount"],
                at=self._now(),
            ),
            lambda: ledger.gift(
                self.s,
                actor=Actor(role=Role.VOLUNTEER, person_id=kw["giver_id"]),
                policy=POLICY,
                at=self._now(),
                **kw,
            ),
        )

    @rule(data=st.data())
    def donate(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "donate")
        if kw is None:
            donor = data.draw(st.sampled_from(self.ids), label="donor")
            source = data.draw(st.sampled_from(["earned", "received"]), label="source")
            account = getattr(self.model.persons[donor], source)
            amount = self._amount(data, self.model.available(account))
            kw = {"key": key, "donor_id": donor, "amount": amount, "source": source}
        self._donate(kw)

    def _donate(self, kw: dict[str, Any]) -> None:
        self._run(
            "donate",
            kw,
            lambda: self.model.donate(
                key=kw["key"], donor=kw["donor_id"], amount=kw["amount"], source=kw["source"]
            ),
            lambda: ledger.donate(
                self.s,
                actor=Actor(role=Role.VOLUNTEER, person_id=kw["donor_id"]),
                at=self._now(),
                **kw,
            ),
        )

    @rule(data=st.data())
    def allocate_from_pool(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "allocate")
        if kw is None:
            elder = data.draw(st.sampled_from(self.ids), label="elder")
            amount = self._amount(data, self.model.available(POOL_ID))
            kw = {"key": key, "elder_id": elder, "amount": amount, "reason": "priority"}
        self._run(
            "allocate",
            kw,
            lambda: self.model.allocate(key=kw["key"], elder=kw["elder_id"], amount=kw["amount"]),
            lambda: ledger.allocate_from_pool(self.s, actor=ADMIN, at=self._now(), **kw),
        )

    @rule(data=st.data())
    def hold_for_care(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "hold", own_keys=False)
        if kw is None:
            # Eligible first: 1 and 3 for themselves, 2 for her spouse 1; then 1 for 2 and 2 for
            # herself (both only from 15 April), then pairs the rules refuse.
            young, parent, spouse, friend, frozen = self.ids
            pairs = [(parent, parent), (friend, friend), (spouse, parent), (parent, spouse)]
            pairs += [(spouse, spouse), (young, young), (young, parent), (frozen, frozen)]
            holder, beneficiary = data.draw(
                st.sampled_from(pairs[:3]) | st.sampled_from(pairs), label="holder, beneficiary"
            )
            kw = {
                "key": key,
                "holder_id": holder,
                "beneficiary_id": beneficiary,
                "amount": self._amount(data, self._person_available(holder)),
                "reference": f"need:{key}",
            }
        self._run(
            "hold",
            kw,
            lambda: self.model.hold_for_care(
                key=kw["key"],
                holder=kw["holder_id"],
                beneficiary=kw["beneficiary_id"],
                amount=kw["amount"],
                reference=kw["reference"],
                at=local_date(self._now()),
            ),
            lambda: ledger.hold_for_care(
                self.s,
                actor=Actor(role=Role.ELDER, person_id=kw["holder_id"]),
                policy=POLICY,
                at=self._now(),
                **kw,
            ),
        )

    @rule(data=st.data())
    def hold_from_pool(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "pool_hold")
        if kw is None:
            amount = self._amount(data, self.model.available(POOL_ID))
            kw = {"key": key, "amount": amount, "reference": f"need:{key}"}
        self._run(
            "pool_hold",
            kw,
            lambda: self.model.hold_from_pool(**kw),
            lambda: ledger.hold_from_pool(self.s, actor=STATION, at=self._now(), **kw),
        )

    @precondition(lambda self: any(t.phase == "pending" for t in self.model.transfers.values()))
    @rule(data=st.data())
    def settle_holds(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "settle", own_keys=False)
        if kw is None:
            # Mostly open holds; sometimes a resolved one, another transfer, or none at all.
            holds = [t.id for t in self.model.open_holds()]
            every = sorted(self.model.transfers)
            resolved = sorted(self.model.resolved)
            pick = st.sampled_from(holds or every)
            odd = st.sampled_from([*resolved, *every[-3:], max(every) + 10_000])
            chosen = data.draw(
                st.lists(pick | pick | pick | odd, min_size=1, max_size=2, unique=True),
                label="holds",
            )
            held = sum(self.model.transfers[i].amount for i in chosen if i in self.model.transfers)
            amount = data.draw(
                st.sampled_from([0, held, held + 1, -1]) | st.integers(0, max(held, 0)),
                label="post",
            )
            kw = {"key": key, "hold_ids": chosen, "amount": amount}
        self._run(
            "settle",
            kw,
            lambda: self.model.settle_holds(**kw),
            lambda: ledger.settle_holds(self.s, actor=STATION, at=self._now(), **kw),
        )

    @precondition(lambda self: bool(self.model.transfers))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        key, kw = self._request(data, "reverse")
        if kw is None:
            every = sorted(self.model.transfers)
            target = data.draw(st.sampled_from([*every, max(every) + 10_000]), label="transfer")
            kw = {"key": key, "transfer_id": target, "reason": "fraud"}
        self._run(
            "reverse",
            kw,
            lambda: self.model.reverse(key=kw["key"], transfer_id=kw["transfer_id"]),
            lambda: ledger.reverse(self.s, actor=ADMIN, at=self._now(), **kw),
        )

    @rule(data=st.data())
    def settle_estate(self, data: st.DataObject) -> None:
        dead = [w.id for w in self.model.persons.values() if w.status == "deceased"]
        person_id = data.draw(st.sampled_from(dead or self.ids) | st.sampled_from(self.ids))
        kw = {"key": f"estate:{person_id}", "person_id": person_id}
        self._run(
            "estate",
            kw,
            lambda: self.model.settle_estate(person=person_id),
            lambda: ledger.settle_estate(
                self.s, actor=STATION, person_id=person_id, at=self._now()
            ),
        )

    @precondition(lambda self: sum(w.status == "deceased" for w in self.model.persons.values()) < 2)
    @rule(data=st.data())
    def record_death(self, data: st.DataObject) -> None:
        """A death, with the beneficiary named: a verified relative, someone else, or nobody."""
        living = [w.id for w in self.model.persons.values() if w.status != "deceased"]
        person_id = data.draw(st.sampled_from(living), label="deceased")
        heir = data.draw(st.sampled_from([None, *self.ids]), label="beneficiary")
        with self.s.begin_nested():
            person = self.s.get(Person, person_id)
            assert person is not None
            person.status, person.died_on = "deceased", local_date(self._now())
            person.beneficiary_id = heir
        self.model.persons[person_id].status = "deceased"
        self.model.persons[person_id].heir = heir

    @precondition(
        lambda self: (
            "active" in {w.status for w in self.model.persons.values()}
            and all(w.status != "disqualified" for w in self.model.persons.values())
        )
    )
    @rule(data=st.data())
    def disqualify(self, data: st.DataObject) -> None:
        """A sanction: coins stop moving, and reversals may now drive the accounts negative."""
        active = [w.id for w in self.model.persons.values() if w.status == "active"]
        person_id = data.draw(st.sampled_from(active), label="disqualified")
        with self.s.begin_nested():
            person = self.s.get(Person, person_id)
            assert person is not None
            person.status = "disqualified"
            ledger.allow_debt(self.s, person_id=person_id)
        self.model.disqualify(person_id)

    @rule(hours=st.sampled_from([1, 6, 24, 24 * 7, 24 * 45, 24 * 200]))
    def advance_clock(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # -- invariants --------------------------------------------------------------------------
    @invariant()
    def database_agrees_with_model(self) -> None:
        s, m = self.s, self.model
        rows = {r[0]: tuple(r) for r in s.execute(select(*ROW))}
        # Every transfer, and only those the model expects: refusals left nothing behind (I4).
        assert rows == {i: t.row() for i, t in m.transfers.items()}
        stored = {
            r.id: (r.balance, r.pending, r.service_minutes, bool(r.allow_negative))
            for r in s.execute(STORED)
        }
        for a in m.accounts.values():
            assert stored[a.id] == (a.balance, a.pending, a.service, a.allow_negative), a
            assert a.allow_negative or a.balance - a.pending >= 0, a  # I3

    @invariant()
    def ledger_verifies(self) -> None:
        m = self.model
        report = verify_ledger(self.s, settings=SETTINGS)
        assert report.ok, report.problems  # I1, I2, I3
        assert (report.issued, report.redeemed, report.outstanding) == (
            m.issued,
            m.redeemed,
            m.outstanding,
        )
        assert report.issued == report.outstanding + report.redeemed  # I1: no coin made or lost
        debts = {a.id: a.balance for a in m.accounts.values() if a.balance - a.pending < 0}
        assert report.debts == debts

    @invariant()
    def resolved_and_reversed_at_most_once(self) -> None:
        for statement_ in (*TWICE, BAD_RESOLUTIONS):
            assert self.s.execute(statement_).all() == []

    @invariant()
    def read_side_agrees(self) -> None:
        """Balances and statements of the persons the last step touched (all, at the start)."""
        for person_id in sorted(self.touched):
            who = self.model.persons[person_id]
            earned, received = self.model.accounts[who.earned], self.model.accounts[who.received]
            b = ledger.balances(self.s, person_id=who.id, policy=POLICY)
            assert (b.earned, b.received, b.held, b.service_minutes) == (
                earned.balance,
                received.balance,
                earned.pending + received.pending,
                earned.service,
            )
            hours = earned.service // 60
            assert b.star_level == sum(hours >= level for level in POLICY.star_level_hours)
            assert b.admission_eligible == (
                earned.service >= POLICY.admission_service_minutes
                and earned.balance - earned.pending >= POLICY.admission_balance_minutes
            )
            last: dict[str, int] = {"earned": 0, "received": 0}
            for line in statement(self.s, person_id=who.id):
                last[line.account] = line.balance
            assert last == {"earned": earned.balance, "received": received.balance}
        self.touched.clear()


def test_ledger_against_model(fresh_engine: Engine) -> None:
    machine = type(
        f"LedgerOn{fresh_engine.dialect.name}", (LedgerMachine,), {"engine": fresh_engine}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=35,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
