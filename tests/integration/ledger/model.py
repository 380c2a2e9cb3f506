"""A plain in-memory model of the ledger (DESIGN §3), for the stateful test.

It knows nothing of SQL: accounts are dicts of integers, transfers a dict by id. Every use case
returns either a ``Plan`` (what the real call must return: replays of known transfers and the
content of fresh ones) or raises ``Refused`` naming the domain error the real call must raise.
Nothing changes in the model until ``commit`` is given the real call's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from timebank.clock import local_date
from timebank.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, REDEMPTION_ID
from timebank.policy import Policy

FROZEN = ("suspended", "disqualified", "deceased", "exited")
DIRECT = ("spouse", "parent", "child", "grandparent", "grandchild")
CONTENT = (
    "kind",
    "phase",
    "debit",
    "credit",
    "amount",
    "pending_id",
    "reverses_id",
    "reference",
    "value_date",
)


class Refused(Exception):
    """The model's verdict: the real call must raise ``error`` (with ``rule``, when named)."""

    def __init__(self, error: type[Exception], rule: str | None = None) -> None:
        super().__init__(f"{error.__name__}({rule})")
        self.error, self.rule = error, rule


@dataclass(frozen=True)
class Tr:
    key: str
    kind: str
    phase: str
    debit: int
    credit: int
    amount: int
    pending_id: int | None = None
    reverses_id: int | None = None
    reference: str | None = None
    value_date: date | None = None
    created_at: datetime | None = None
    id: int = 0

    def content(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in CONTENT)

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.key, *self.content())


@dataclass
class Acc:
    id: int
    kind: str
    balance: int = 0
    pending: int = 0
    service: int = 0
    allow_negative: bool = False


@dataclass
class Who:
    id: int
    birth: date
    status: str
    earned: int
    received: int
    heir: int | None = None  # the beneficiary named for the estate


@dataclass
class Plan:
    """The expected result of a call: per spec, a replayed transfer id or a fresh transfer."""

    items: list[int | Tr] = field(default_factory=list)
    nothing: bool = False  # credit_service returns None: nothing was creditable


@dataclass
class Model:
    policy: Policy
    persons: dict[int, Who] = field(default_factory=dict)
    accounts: dict[int, Acc] = field(default_factory=dict)  # tracked accounts only
    kin: dict[frozenset[int], str] = field(default_factory=dict)  # verified, either direction
    transfers: dict[int, Tr] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)

    def add_person(self, who: Who) -> None:
        self.persons[who.id] = who
        self.accounts[who.earned] = Acc(who.earned, "earned")
        self.accounts[who.received] = Acc(who.received, "received")

    # -- derived figures ---------------------------------------------------------------------
    def derived(self, account_id: int) -> int:
        out = 0
        for t in self.transfers.values():
            if t.phase in ("single", "post"):
                out += t.amount * ((t.credit == account_id) - (t.debit == account_id))
        return out

    @property
    def issued(self) -> int:
        return -self.derived(ISSUANCE_ID)

    @property
    def redeemed(self) -> int:
        return self.derived(REDEMPTION_ID)

    @property
    def outstanding(self) -> int:
        return sum(a.balance for a in self.accounts.values())

    @property
    def resolved(self) -> set[int]:
        return {t.pending_id for t in self.transfers.values() if t.pending_id is not None}

    @property
    def reversed(self) -> set[int]:
        return {t.reverses_id for t in self.transfers.values() if t.reverses_id is not None}

    def kind_of(self, transfer_id: int | None) -> str | None:
        return None if transfer_id is None else self.transfers[transfer_id].kind

    def open_holds(self) -> list[Tr]:
        done = self.resolved
        return [t for t in self.transfers.values() if t.phase == "pending" and t.id not in done]

    def available(self, account_id: int) -> int:
        a = self.accounts[account_id]
        return a.balance - a.pending

    # -- the posting engine, in the model ----------------------------------------------------
    def post(self, specs: list[Tr]) -> Plan:
        plan = Plan()
        fresh = []
        for spec in specs:
            old = self.by_key.get(spec.key)
            if old is None:
                fresh.append(spec)
                plan.items.append(spec)
            elif self.transfers[old].content() != spec.content():
                raise Refused(IdempotencyConflict)
            else:
                plan.items.append(old)
        if not fresh:
            return plan
        for spec in fresh:
            if spec.pending_id is not None and spec.pending_id in self.resolved:
                raise Refused(Conflict, "hold_once")
            if spec.reverses_id is not None and spec.reverses_id in self.reversed:
                raise Refused(Conflict, "reverse_once")
        trial = {i: replace(a) for i, a in self.accounts.items()}
        for spec in fresh:
            self._apply(spec, trial)
        return plan

    def _apply(self, t: Tr, accounts: dict[int, Acc]) -> None:
        debit, credit = accounts.get(t.debit), accounts.get(t.credit)
        moves = t.phase in ("single", "post")
        if debit is not None:
            if t.phase == "pending":
                debit.pending += t.amount
            if t.phase in ("post", "void"):
                debit.pending -= self.transfers[t.pending_id].amount  # type: ignore[index]
            if moves:
                debit.balance -= t.amount
            if t.kind == "reversal" and self.kind_of(t.reverses_id) == "service_credit":
                debit.service -= t.amount
            overdrawn = debit.balance - debit.pending < 0
            if t.phase != "void" and overdrawn and not debit.allow_negative:
                raise Refused(InsufficientBalance, "no_overdraft")
        if credit is not None and moves:
            credit.balance += t.amount
            if t.kind == "service_credit":
                credit.service += t.amount

    def commit(self, plan: Plan, ids: dict[str, int], at: datetime) -> None:
        """Record the fresh transfers of ``plan`` under the ids the database gave them."""
        for item in plan.items:
            if isinstance(item, Tr):
                self._apply(item, self.accounts)
                t = replace(item, id=ids[item.key], created_at=at)
                self.transfers[t.id] = t
                self.by_key[t.key] = t.id

    # -- use cases ---------------------------------------------------------------------------
    def credit_minutes(self, duration: int, credited_today: int) -> int:
        unit, cap = self.policy.credit_unit_minutes, self.policy.daily_credit_cap_minutes
        rounded = max(duration, 0) // unit * unit
        return min(rounded, max(cap - credited_today, 0) // unit * unit)

    def credit_service(
        self, *, key: str, volunteer: int, duration: int, started_at: datetime, reference: str
    ) -> Plan:
        who = self.persons[volunteer]
        if who.status in FROZEN:
            raise Refused(RuleViolation, "account_frozen")
        day = local_date(started_at)
        today = sum(
            t.amount
            for t in self.transfers.values()
            if t.kind == "service_credit" and t.credit == who.earned and t.value_date == day
        )
        old = self.by_key.get(key)
        amount = self.credit_minutes(duration, today)
        if old is None and amount == 0:
            return Plan(nothing=True)
        if old is not None:  # a retry replays what was credited the first time
            amount = self.transfers[old].amount
        spec = Tr(key, "service_credit", "single", ISSUANCE_ID, who.earned, amount)
        return self.post([replace(spec, reference=reference, value_date=day)])

    def gift(self, *, key: str, giver: int, recipient: int, amount: int, at: datetime) -> Plan:
        if amount <= 0:
            raise Refused(InvalidInput)
        g, r = self.persons[giver], self.persons[recipient]
        if key not in self.by_key:
            year = local_date(at).year
            given = [
                t
                for t in self.transfers.values()
                if t.kind == "gift"
                and t.debit == g.earned
                and local_date(t.created_at).year == year  # type: ignore[arg-type]
            ]
            if g.status in FROZEN:
                raise Refused(RuleViolation, "account_frozen")
            if r.status in ("deceased", "exited"):
                raise Refused(RuleViolation, "recipient_inactive")
            if giver == recipient:
                raise Refused(RuleViolation, "gift_to_self")
            if self.kin.get(frozenset({giver, recipient})) not in DIRECT:
                raise Refused(RuleViolation, "gift_verified_kin")
            p = self.policy
            to_r = sum(t.amount for t in given if t.credit == r.received)
            for limit, would_be, rule in (
                (p.gift_yearly_limit_minutes, sum(t.amount for t in given) + amount, "minutes"),
                (p.gift_yearly_count_limit, len(given) + 1, "count"),
                (p.gift_per_recipient_yearly_limit_minutes, to_r + amount, "recipient"),
            ):
                if limit and would_be > limit:
                    names = {
                        "minutes": "gift_yearly_minutes",
                        "count": "gift_yearly_count",
                        "recipient": "gift_per_recipient_yearly_minutes",
                    }
                    raise Refused(RuleViolation, names[rule])
        spec = Tr(key, "gift", "single", g.earned, r.received, amount)
        return self.post([replace(spec, reference=f"person:{recipient}")])

    def donate(self, *, key: str, donor: int, amount: int, source: str) -> Plan:
        if amount <= 0:
            raise Refused(InvalidInput)
        who = self.persons[donor]
        if who.status in FROZEN:
            raise Refused(RuleViolation, "account_frozen")
        account = who.earned if source == "earned" else who.received
        return self.post([Tr(key, "donation", "single", account, POOL_ID, amount)])

    def allocate(self, *, key: str, elder: int, amount: int) -> Plan:
        if amount <= 0:
            raise Refused(InvalidInput)
        who = self.persons[elder]
        if who.status in ("deceased", "exited"):
            raise Refused(RuleViolation, "recipient_inactive")
        spec = Tr(key, "allocation", "single", POOL_ID, who.received, amount)
        return self.post([replace(spec, reference=f"person:{elder}")])

    def hold_for_care(
        self, *, key: str, holder: int, beneficiary: int, amount: int, reference: str, at: date
    ) -> Plan:
        if amount <= 0:
            raise Refused(InvalidInput)
        h, b = self.persons[holder], self.persons[beneficiary]
        if h.status in FROZEN:
            raise Refused(RuleViolation, "account_frozen")
        if holder != beneficiary and self.kin.get(frozenset({holder, beneficiary})) != "spouse":
            raise Refused(RuleViolation, "redeem_holder_or_spouse")
        if b.status in ("deceased", "exited"):
            raise Refused(RuleViolation, "recipient_inactive")
        age = at.year - b.birth.year - ((at.month, at.day) < (b.birth.month, b.birth.day))
        if age < self.policy.redemption_age:
            raise Refused(RuleViolation, "redemption_age")
        old = {
            source: self.transfers[self.by_key[f"{key}:{source}"]].amount
            for source in ("received", "earned")
            if f"{key}:{source}" in self.by_key
        }
        if old:  # a retry: the same split as the first time
            assert sum(old.values()) == amount, "a hold retried with another amount (known bug)"
            parts = old
        else:
            from_received = min(amount, max(self.available(h.received), 0))
            parts = {"received": from_received, "earned": amount - from_received}
        account = {"received": h.received, "earned": h.earned}
        specs = [
            Tr(f"{key}:{s}", "service_payment", "pending", account[s], REDEMPTION_ID, minutes)
            for s, minutes in parts.items()
            if minutes > 0
        ]
        return self.post([replace(s, reference=reference) for s in specs])

    def hold_from_pool(self, *, key: str, amount: int, reference: str) -> Plan:
        if amount <= 0:
            raise Refused(InvalidInput)
        spec = Tr(key, "service_payment", "pending", POOL_ID, REDEMPTION_ID, amount)
        return self.post([replace(spec, reference=reference)])

    def settle_holds(self, *, key: str, hold_ids: list[int], amount: int) -> Plan:
        if amount < 0:
            raise Refused(InvalidInput)
        holds = sorted(
            (self.transfers[i] for i in set(hold_ids) if i in self.transfers), key=lambda t: t.id
        )
        if len(holds) != len(set(hold_ids)):
            raise Refused(NotFound)
        if amount > sum(h.amount for h in holds):
            raise Refused(InvalidInput)
        specs, left = [], amount
        for hold in holds:
            if hold.phase != "pending":
                raise Refused(NotFound)
            take = min(left, hold.amount)
            left -= take
            specs.append(
                Tr(
                    f"{key}:{hold.id}",
                    hold.kind,
                    "post" if take else "void",
                    hold.debit,
                    hold.credit,
                    take or hold.amount,
                    pending_id=hold.id,
                    reference=hold.reference,
                )
            )
        return self.post(specs)

    def reverse(self, *, key: str, transfer_id: int) -> Plan:
        original = self.transfers.get(transfer_id)
        if original is None:
            raise Refused(NotFound)
        if original.phase not in ("single", "post") or original.kind == "reversal":
            raise Refused(InvalidInput)
        spec = Tr(key, "reversal", "single", original.credit, original.debit, original.amount)
        return self.post([replace(spec, reverses_id=transfer_id)])

    def settle_estate(self, *, person: int) -> Plan:
        """A deceased person's available coins go to a living verified direct relative they
        named, else to the pool; held coins stay. Once done, it only replays."""
        who = self.persons[person]
        if who.status != "deceased":
            raise Refused(RuleViolation, "estate_deceased")
        target = POOL_ID
        heir = self.persons.get(who.heir) if who.heir is not None else None
        if (
            heir is not None
            and heir.status not in ("deceased", "exited")
            and self.kin.get(frozenset({person, heir.id})) in DIRECT
        ):
            target = heir.received
        specs = []
        for kind, account in (("earned", who.earned), ("received", who.received)):
            key = f"estate:{person}:{kind}"
            done = self.transfers.get(self.by_key.get(key, 0))
            amount = done.amount if done else self.available(account)
            if amount > 0:
                credit = done.credit if done else target
                spec = Tr(key, "bequest", "single", account, credit, amount)
                specs.append(replace(spec, reference=f"person:{person}"))
        return self.post(specs)

    def disqualify(self, person: int) -> None:
        who = self.persons[person]
        who.status = "disqualified"
        self.accounts[who.earned].allow_negative = True
        self.accounts[who.received].allow_negative = True
