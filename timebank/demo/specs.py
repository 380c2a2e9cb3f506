"""Visits and movements become ledger specs, one evening's batch at a time.

Keys are ``demo:{seed}:…`` so that a rerun of the same seed replays instead of posting twice.
A batch is ordered as the simulation applied it (``activity._Year.run``): today's credits,
today's holds posted or voided, reversals, gifts, donations, allocations, tomorrow's holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from timebank.demo.planned import POOL, Movement, Visit, owner
from timebank.ledger.core import TransferSpec
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, REDEMPTION_ID


@dataclass(frozen=True)
class Ids:
    """Where the plan's indices land in the database."""

    prefix: str
    first_person: int
    first_account: int  # the earned account of the first person; received is the next id

    def account(self, slot: int) -> int:
        return POOL_ID if slot == POOL else self.first_account + slot

    def person(self, index: int) -> int:
        return self.first_person + index

    def key(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    def visit_ref(self, visit: Visit) -> str:
        return self.key(f"visit:{visit.number}")


def credit(ids: Ids, v: Visit) -> TransferSpec:
    return TransferSpec(
        key=ids.key(f"visit:{v.number}:credit"),
        kind="service_credit",
        debit_account_id=ISSUANCE_ID,
        credit_account_id=ids.account(2 * v.volunteer),
        amount=v.credited,
        reference=ids.visit_ref(v),
        value_date=v.day,
        memo=v.category,
    )


def holds(ids: Ids, v: Visit) -> list[TransferSpec]:
    return [
        TransferSpec(
            key=ids.key(f"visit:{v.number}:hold:{k}"),
            kind="service_payment",
            phase="pending",
            debit_account_id=ids.account(slot),
            credit_account_id=REDEMPTION_ID,
            amount=minutes,
            reference=ids.visit_ref(v),
        )
        for k, (slot, minutes) in enumerate(v.holds)
    ]


def settlements(ids: Ids, v: Visit, hold_ids: dict[str, int]) -> list[TransferSpec]:
    """Post what the visit cost from each hold in turn, void a hold it did not need."""
    return [
        TransferSpec(
            key=ids.key(f"visit:{v.number}:settle:{k}"),
            kind="service_payment",
            phase="post" if paid else "void",
            pending_id=hold_ids.pop(ids.key(f"visit:{v.number}:hold:{k}")),
            amount=paid or None,
            reference=ids.visit_ref(v),
        )
        for k, paid in enumerate(v.paid)
    ]


def movement(ids: Ids, m: Movement, known: dict[str, int]) -> TransferSpec:
    key = ids.key(f"{m.kind}:{m.number}")
    if m.kind == "reversal":
        assert m.reverses is not None
        return TransferSpec(
            key=key, kind="reversal", reverses_id=known[ids.key(m.reverses)], memo=m.memo
        )
    assert m.debit is not None and m.credit is not None
    recipient = owner(m.credit)
    return TransferSpec(
        key=key,
        kind=m.kind,
        debit_account_id=ids.account(m.debit),
        credit_account_id=ids.account(m.credit),
        amount=m.amount,
        reference=None if recipient is None else f"person:{ids.person(recipient)}",
        memo=m.memo,
    )


def evening(
    ids: Ids,
    day: date,
    visits_on: dict[date, list[Visit]],
    movements_on: dict[date, list[Movement]],
    known: dict[str, int],
) -> list[TransferSpec]:
    """The batch posted on the evening of ``day``; ``known`` maps keys of earlier transfers
    (open holds, transfers to reverse) to their ids."""
    today = visits_on.get(day, [])
    specs = [credit(ids, v) for v in today if v.credited]
    for v in today:
        specs += settlements(ids, v, known)
    specs += [movement(ids, m, known) for m in movements_on.get(day, [])]
    for v in visits_on.get(day + timedelta(days=1), []):
        specs += holds(ids, v)
    return specs
