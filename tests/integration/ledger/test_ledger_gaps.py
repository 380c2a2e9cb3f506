"""Ledger defects found by the stateful and concurrency tests, each pinned by its smallest case
and kept as a regression test now that it is fixed: in-flight retries are replayed (lock before
key look-up), a hold retried with another amount is refused, only reversals may overdraw a
sanctioned account, gifts lock in ascending order, and a hold's split is decided under lock.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import make_kin, make_person
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.db import make_session_factory, transaction
from timebank.errors import IdempotencyConflict, InsufficientBalance, RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.core import Posted, TransferSpec, post_transfers
from timebank.ledger.models import POOL_ID, Transfer
from timebank.policy import Policy

POLICY = Policy()
STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")


def _credit(session: Session, clock: FixedClock, person_id: int, minutes: int, key: str) -> None:
    ledger.credit_service(
        session,
        actor=STATION,
        key=key,
        volunteer_id=person_id,
        duration_minutes=minutes,
        started_at=clock.now(),
        reference=f"visit:{key}",
        policy=POLICY,
        at=clock.now(),
    )


def _hold(session: Session, clock: FixedClock, holder_id: int, amount: int, key: str) -> list:
    return ledger.hold_for_care(
        session,
        actor=STATION,
        key=key,
        holder_id=holder_id,
        beneficiary_id=holder_id,
        amount=amount,
        reference="need:1",
        policy=POLICY,
        at=clock.now(),
    )


def test_hold_retried_with_another_amount_is_refused(session: Session, clock: FixedClock) -> None:
    elder = make_person(session, birth=date(1950, 1, 1))
    _credit(session, clock, elder.id, 240, "earn")
    [first] = _hold(session, clock, elder.id, 120, "need:1:hold")
    assert first.amount == 120
    with pytest.raises(IdempotencyConflict):
        _hold(session, clock, elder.id, 60, "need:1:hold")  # returns the 120-minute hold


def test_debt_allowance_lets_only_reversals_overdraw(session: Session, clock: FixedClock) -> None:
    v = make_person(session)
    _credit(session, clock, v.id, 60, "earn")
    with pytest.raises(RuleViolation) as err:
        ledger.allow_debt(session, person_id=v.id)
    assert err.value.rule == "debt_only_sanctioned"
    v.status = "disqualified"
    ledger.allow_debt(session, person_id=v.id)
    earned = ledger.account_of(session, v.id, "earned")
    with pytest.raises(InsufficientBalance):  # the engine itself, past the use case's rules
        post_transfers(
            session,
            [
                TransferSpec(
                    key="d",
                    kind="donation",
                    debit_account_id=earned.id,
                    credit_account_id=POOL_ID,
                    amount=600,
                )
            ],
            actor="test",
            at=clock.now(),
        )


# Row locks and concurrent commits are PostgreSQL's: SQLite serialises writers at BEGIN.
ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _row_locks(session: Session) -> list[list[int]]:
    """Record the ids each ``SELECT … FOR UPDATE`` of ledger accounts asks for, in order."""
    locks: list[list[int]] = []

    @event.listens_for(session.connection(), "before_cursor_execute")
    def _spy(conn, cursor, statement, parameters, context, executemany):
        if "FOR UPDATE" in statement and "ledger_accounts" in statement:
            locks.append(sorted(v for v in dict(parameters).values() if isinstance(v, int)))

    return locks


@pytest.mark.postgres
@ON_POSTGRES
def test_gift_locks_accounts_in_ascending_order(session: Session, clock: FixedClock) -> None:
    parent = make_person(session, birth=date(1955, 1, 1))  # lower account ids
    child = make_person(session, birth=date(1985, 1, 1))
    make_kin(session, child, parent, "parent")
    _credit(session, clock, child.id, 240, "c")
    locks = _row_locks(session)
    ledger.gift(
        session,
        actor=Actor(role=Role.VOLUNTEER, person_id=child.id),
        key="g",
        giver_id=child.id,
        recipient_id=parent.id,
        amount=60,
        policy=POLICY,
        at=clock.now(),
    )
    held: set[int] = set()
    for ids in locks:
        new = [i for i in ids if i not in held]
        assert not held or not new or min(new) > max(held), f"locks taken in order {locks}"
        held.update(ids)


@pytest.mark.postgres
@ON_POSTGRES
def test_hold_split_is_decided_under_the_lock(fresh_engine: Engine, clock: FixedClock) -> None:
    """A donation from the received account commits while the hold is being prepared."""
    factory = make_session_factory(fresh_engine)
    with transaction(factory) as s:
        parent = make_person(s, birth=date(1950, 1, 1))
        child = make_person(s, birth=date(1985, 1, 1))
        make_kin(s, child, parent, "parent")
        _credit(s, clock, child.id, 240, "race:c")
        _credit(s, clock, parent.id, 240, "race:p")
        ledger.gift(
            s,
            actor=Actor(role=Role.VOLUNTEER, person_id=child.id),
            key=f"race:g:{child.id}",
            giver_id=child.id,
            recipient_id=parent.id,
            amount=100,
            policy=POLICY,
            at=clock.now(),
        )
        s.commit()
        parent_id = parent.id

    def spend_received() -> None:  # another request, committed in between
        with transaction(factory) as other:
            ledger.donate(
                other,
                actor=Actor(role=Role.ELDER, person_id=parent_id),
                key=f"race:d:{parent_id}",
                donor_id=parent_id,
                amount=80,
                source="received",
                at=clock.now(),
            )
            other.commit()

    with transaction(factory) as s:
        fired = threading.Event()

        @event.listens_for(s.connection(), "before_cursor_execute")
        def _between(conn, cursor, statement, parameters, context, executemany):
            if "FOR UPDATE" in statement and not fired.is_set():
                fired.set()
                spend_received()

        # 100 received + 240 earned; after the donation 20 received + 240 earned: 100 fit.
        holds = _hold(s, clock, parent_id, 100, f"race:h:{parent_id}")
        assert fired.is_set()
        assert sorted(h.amount for h in holds) == [20, 80]


@pytest.mark.postgres
@ON_POSTGRES
@pytest.mark.parametrize(
    ("use_case", "refused_by"),
    [("donate", "FOR UPDATE"), ("reverse", "FOR UPDATE")],
)
def test_same_request_in_flight_is_replayed_not_refused(
    fresh_engine: Engine, clock: FixedClock, use_case: str, refused_by: str
) -> None:
    """A client retries while its first request is still running; the first commits just
    before the retry takes its account locks (the last moment it can: after that the first
    would wait for the retry). The retry must get the original, not a refusal."""
    factory = make_session_factory(fresh_engine)
    with transaction(factory) as s:
        v = make_person(s)
        _credit(s, clock, v.id, 120, "same:earn")
        credit_id = ledger.account_of(s, v.id, "earned").id
        s.commit()
    person_id = v.id

    def request(session: Session):  # the very same request, twice
        if use_case == "donate":
            return ledger.donate(
                session,
                actor=Actor(role=Role.VOLUNTEER, person_id=person_id),
                key="same:request",
                donor_id=person_id,
                amount=120,
                at=clock.now(),
            )
        original = session.execute(
            select(Transfer.id).where(Transfer.credit_account_id == credit_id)
        ).scalar_one()
        return ledger.reverse(
            session,
            actor=Actor(role=Role.DISTRICT_ADMIN, district_code="110105"),
            key="same:request",
            transfer_id=original,
            reason="fraud",
            at=clock.now(),
        )

    first: list[Posted] = []
    with transaction(factory) as retry:
        fired = threading.Event()

        @event.listens_for(retry.connection(), "before_cursor_execute")
        def _between(conn, cursor, statement, parameters, context, executemany):
            if refused_by in statement and not fired.is_set():
                fired.set()
                with transaction(factory) as s:
                    first.append(request(s))
                    s.commit()

        again = request(retry)
        assert fired.is_set()
        assert again.replayed and again.id == first[0].id
