"""Large batches through ``core.post_transfers`` (demo seeding, paper imports), on both
databases. On PostgreSQL sets of ``core.ARRAY_MIN`` keys / ids or more travel as array
parameters and the transfers as one INSERT … SELECT FROM unnest(…): these tests hold that path
to the same results as the small one (ids in spec order, replays, conflicts, holds resolved
once, reversals, balances, ``verify_ledger``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_person
from timebank.clock import FixedClock
from timebank.config import Settings
from timebank.errors import Conflict, IdempotencyConflict, InsufficientBalance
from timebank.ledger import core
from timebank.ledger import services as ledger
from timebank.ledger.audit import verify_ledger
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, REDEMPTION_ID, Account
from timebank.policy import Policy

N = getattr(core, "ARRAY_MIN", 64) + 6  # persons: every set below is at least ARRAY_MIN large
SETTINGS = Settings(env="test")


def _credits(earned: list[int], tag: str, minutes: int = 120) -> list[TransferSpec]:
    return [
        TransferSpec(
            key=f"{tag}:{i}",
            kind="service_credit",
            debit_account_id=ISSUANCE_ID,
            credit_account_id=a,
            amount=minutes,
            reference=f"paper:{i}",
            value_date=date(2026, 3, 1) + timedelta(days=i % 3),
        )
        for i, a in enumerate(earned)
    ]


def test_large_batches_behave_like_small_ones(session: Session, clock: FixedClock) -> None:
    people = [make_person(session) for _ in range(N)]
    earned = [ledger.account_of(session, p.id, "earned").id for p in people]
    at = clock.now()

    credits = post_transfers(session, _credits(earned, "c"), actor="import", at=at)
    assert [p.key for p in credits] == [f"c:{i}" for i in range(N)]
    assert [p.id for p in credits] == sorted(p.id for p in credits)  # ids follow spec order
    assert not any(p.replayed for p in credits)
    assert credits[5].value_date == date(2026, 3, 3) and credits[5].reference == "paper:5"

    # The same batch again replays every transfer; one changed spec refuses the whole batch.
    again = post_transfers(session, _credits(earned, "c"), actor="import", at=at)
    assert [(p.id, p.replayed) for p in again] == [(p.id, True) for p in credits]
    changed = _credits(earned, "c")
    changed[-1] = TransferSpec(**{**changed[-1].__dict__, "amount": 60})
    with pytest.raises(IdempotencyConflict):
        post_transfers(session, changed, actor="import", at=at)
    # New and replayed specs mixed in one batch.
    mixed = post_transfers(
        session, _credits(earned, "c")[:3] + _credits(earned, "d", 60)[3:], actor="x", at=at
    )
    assert [p.replayed for p in mixed] == [True] * 3 + [False] * (N - 3)

    holds = post_transfers(
        session,
        [
            TransferSpec(
                key=f"h:{i}",
                kind="service_payment",
                phase="pending",
                debit_account_id=a,
                credit_account_id=REDEMPTION_ID,
                amount=100,
            )
            for i, a in enumerate(earned)
        ],
        actor="x",
        at=at,
    )
    settle = [
        TransferSpec(
            key=f"s:{h.id}",
            kind="service_payment",
            phase="post" if i % 2 else "void",
            pending_id=h.id,
            amount=40 if i % 2 else None,
        )
        for i, h in enumerate(holds)
    ]
    settled = post_transfers(session, settle, actor="x", at=at)
    assert [p.amount for p in settled] == [40 if i % 2 else 100 for i in range(N)]
    with pytest.raises(Conflict) as err:  # every hold is already resolved
        post_transfers(
            session,
            [TransferSpec(**{**s.__dict__, "key": f"s2:{s.pending_id}"}) for s in settle],
            actor="x",
            at=at,
        )
    assert err.value.rule == "hold_once"

    donations = [
        TransferSpec(
            key=f"p:{i}", kind="donation", debit_account_id=a, credit_account_id=POOL_ID, amount=10
        )
        for i, a in enumerate(earned)
    ]
    post_transfers(session, donations, actor="x", at=at)
    reversals = [
        TransferSpec(key=f"r:{p.id}", kind="reversal", reverses_id=p.id, memo="paper error")
        for p in mixed[3:]
    ]
    post_transfers(session, reversals, actor="x", at=at)
    with pytest.raises(Conflict) as err:
        post_transfers(
            session,
            [TransferSpec(**{**r.__dict__, "key": f"r2:{r.reverses_id}"}) for r in reversals],
            actor="x",
            at=at,
        )
    assert err.value.rule == "reverse_once"
    # One overdraft refuses the whole batch; nothing of it is written.
    overdraw = _credits(earned, "late", 60)
    overdraw.append(
        TransferSpec(
            key="too-much",
            kind="donation",
            debit_account_id=earned[0],
            credit_account_id=POOL_ID,
            amount=10**6,
        )
    )
    with pytest.raises(InsufficientBalance), session.begin_nested():
        post_transfers(session, overdraw, actor="x", at=at)

    def earned_of(i: int) -> tuple[int, int, int]:
        b = ledger.balances(session, person_id=people[i].id, policy=Policy())
        return b.earned, b.held, b.service_minutes

    assert earned_of(0) == (120 - 10, 0, 120)  # credit, hold voided, donation
    assert earned_of(1) == (120 - 40 - 10, 0, 120)  # credit, 40 of the hold posted, donation
    assert earned_of(5) == (120 + 60 - 60 - 40 - 10, 0, 120)  # and a credit reversed
    rows = session.execute(select(Account.balance).where(Account.id.in_(earned))).scalars()
    assert sum(rows) == sum(120 - 10 - (40 if i % 2 else 0) for i in range(N))
    report = verify_ledger(session, settings=SETTINGS)
    assert report.ok, report.problems[:3]
