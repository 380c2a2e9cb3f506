"""Ledger use cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import make_kin, make_person
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
)
from timebank.ledger import services as ledger
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import ISSUANCE_ID, POOL_ID, Account
from timebank.policy import Policy

STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")
ADMIN = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")
POLICY = Policy()


def credit(session: Session, clock: FixedClock, person_id: int, minutes: int, key: str):
    return ledger.credit_service(
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


def test_credit_rounds_down_caps_and_counts_service(session: Session, clock: FixedClock) -> None:
    v = make_person(session)
    assert credit(session, clock, v.id, 95, "a").amount == 90
    assert credit(session, clock, v.id, 20, "b") is None  # under one unit
    assert credit(session, clock, v.id, 400, "c").amount == 390  # 480 cap - 90 already
    assert credit(session, clock, v.id, 60, "d") is None  # the day's cap is used
    clock.advance(days=1)
    assert credit(session, clock, v.id, 60, "e").amount == 60
    b = ledger.balances(session, person_id=v.id, policy=POLICY)
    assert (b.earned, b.service_minutes, b.received) == (540, 540, 0)


def test_same_key_replays_and_other_content_is_refused(session: Session, clock: FixedClock) -> None:
    v = make_person(session)
    first = credit(session, clock, v.id, 120, "k1")
    again = credit(session, clock, v.id, 120, "k1")
    assert again is not None and first is not None
    assert again.id == first.id and again.replayed and not first.replayed
    assert ledger.balances(session, person_id=v.id, policy=POLICY).earned == 120
    other = make_person(session)
    with pytest.raises(IdempotencyConflict) as err:
        credit(session, clock, other.id, 120, "k1")
    assert err.value.field == "key"


def test_holds_post_part_and_void_the_rest_exactly_once(
    session: Session, clock: FixedClock
) -> None:
    elder = make_person(session, birth=date(1950, 1, 1))
    credit(session, clock, elder.id, 240, "earn")
    holds = ledger.hold_for_care(
        session,
        actor=Actor(role=Role.ELDER, person_id=elder.id),
        key="need1",
        holder_id=elder.id,
        beneficiary_id=elder.id,
        amount=180,
        reference="need:1",
        policy=POLICY,
        at=clock.now(),
    )
    assert [h.amount for h in holds] == [180]
    b = ledger.balances(session, person_id=elder.id, policy=POLICY)
    assert (b.earned, b.held, b.available) == (240, 180, 60)
    with pytest.raises(InsufficientBalance):
        ledger.hold_for_care(
            session,
            actor=Actor(role=Role.ELDER, person_id=elder.id),
            key="need2",
            holder_id=elder.id,
            beneficiary_id=elder.id,
            amount=61,
            reference="need:2",
            policy=POLICY,
            at=clock.now(),
        )
    ledger.settle_holds(
        session, actor=STATION, key="visit1", hold_ids=[holds[0].id], amount=120, at=clock.now()
    )
    b = ledger.balances(session, person_id=elder.id, policy=POLICY)
    assert (b.earned, b.held) == (120, 0)
    with pytest.raises(Conflict) as err:
        ledger.settle_holds(
            session, actor=STATION, key="visit1b", hold_ids=[holds[0].id], amount=0, at=clock.now()
        )
    assert err.value.rule == "hold_once"


def test_received_coins_are_spent_first(session: Session, clock: FixedClock) -> None:
    child = make_person(session, birth=date(1985, 1, 1))
    parent = make_person(session, birth=date(1955, 1, 1))
    make_kin(session, child, parent, "parent")
    credit(session, clock, child.id, 240, "c1")
    credit(session, clock, parent.id, 60, "p1")
    ledger.gift(
        session,
        actor=Actor(role=Role.VOLUNTEER, person_id=child.id),
        key="g1",
        giver_id=child.id,
        recipient_id=parent.id,
        amount=120,
        policy=POLICY,
        at=clock.now(),
    )
    holds = ledger.hold_for_care(
        session,
        actor=Actor(role=Role.ELDER, person_id=parent.id),
        key="n",
        holder_id=parent.id,
        beneficiary_id=parent.id,
        amount=150,
        reference="need:9",
        policy=POLICY,
        at=clock.now(),
    )
    assert sorted((h.key.rsplit(":", 1)[1], h.amount) for h in holds) == [
        ("earned", 30),
        ("received", 120),
    ]


def test_gift_rules(session: Session, clock: FixedClock) -> None:
    giver, parent, friend = (make_person(session) for _ in range(3))
    make_kin(session, giver, parent, "parent")
    credit(session, clock, giver.id, 480, "g")
    act = Actor(role=Role.VOLUNTEER, person_id=giver.id)
    with pytest.raises(RuleViolation) as err:
        ledger.gift(
            session,
            actor=act,
            key="x1",
            giver_id=giver.id,
            recipient_id=friend.id,
            amount=60,
            policy=POLICY,
            at=clock.now(),
        )
    assert err.value.rule == "gift_verified_kin"
    with pytest.raises(PermissionDenied):
        ledger.gift(
            session,
            actor=Actor(role=Role.VOLUNTEER, person_id=friend.id),
            key="x2",
            giver_id=giver.id,
            recipient_id=parent.id,
            amount=60,
            policy=POLICY,
            at=clock.now(),
        )
    tight = Policy(gift_yearly_count_limit=1)
    ledger.gift(
        session,
        actor=act,
        key="x3",
        giver_id=giver.id,
        recipient_id=parent.id,
        amount=60,
        policy=tight,
        at=clock.now(),
    )
    with pytest.raises(RuleViolation) as err:
        ledger.gift(
            session,
            actor=act,
            key="x4",
            giver_id=giver.id,
            recipient_id=parent.id,
            amount=60,
            policy=tight,
            at=clock.now(),
        )
    assert err.value.rule == "gift_yearly_count"
    # By default gifts debit the earned account (re-gifting: test_regift_follows_the_policy).
    assert ledger.balances(session, person_id=parent.id, policy=POLICY).received == 60


@pytest.mark.parametrize("allowed", [False, True])
def test_regift_follows_the_policy(session: Session, clock: FixedClock, allowed: bool) -> None:
    giver, parent = make_person(session), make_person(session)
    make_kin(session, giver, parent, "parent")
    credit(session, clock, giver.id, 120, "g")
    policy = Policy(regift_allowed=allowed)

    def give(by: int, to: int, key: str, source: str = "earned") -> object:
        return ledger.gift(
            session,
            actor=Actor(role=Role.VOLUNTEER, person_id=by),
            key=key,
            giver_id=by,
            recipient_id=to,
            amount=60,
            source=source,
            policy=policy,
            at=clock.now(),
        )

    give(giver.id, parent.id, "r1")
    # The parent holds only gifted coins: from "earned" there is nothing to give either way.
    with pytest.raises(InsufficientBalance):
        give(parent.id, giver.id, "r2")
    if not allowed:
        with pytest.raises(RuleViolation) as err:
            give(parent.id, giver.id, "r3", source="received")
        assert err.value.rule == "regift_not_allowed"
        assert ledger.balances(session, person_id=parent.id, policy=POLICY).received == 60
    else:
        give(parent.id, giver.id, "r3", source="received")
        assert ledger.balances(session, person_id=parent.id, policy=POLICY).received == 0
        assert ledger.balances(session, person_id=giver.id, policy=POLICY).received == 60


def test_redemption_is_for_holder_or_spouse_aged_60(session: Session, clock: FixedClock) -> None:
    young = make_person(session, birth=date(1990, 1, 1))
    spouse = make_person(session, birth=date(1960, 1, 1))
    credit(session, clock, young.id, 120, "y")
    act = Actor(role=Role.VOLUNTEER, person_id=young.id)
    with pytest.raises(RuleViolation) as err:
        ledger.hold_for_care(
            session,
            actor=act,
            key="h1",
            holder_id=young.id,
            beneficiary_id=young.id,
            amount=60,
            reference="need:1",
            policy=POLICY,
            at=clock.now(),
        )
    assert err.value.rule == "redemption_age"
    with pytest.raises(RuleViolation) as err:
        ledger.hold_for_care(
            session,
            actor=act,
            key="h2",
            holder_id=young.id,
            beneficiary_id=spouse.id,
            amount=60,
            reference="need:1",
            policy=POLICY,
            at=clock.now(),
        )
    assert err.value.rule == "redeem_holder_or_spouse"
    make_kin(session, young, spouse, "spouse")
    holds = ledger.hold_for_care(
        session,
        actor=act,
        key="h3",
        holder_id=young.id,
        beneficiary_id=spouse.id,
        amount=60,
        reference="need:1",
        policy=POLICY,
        at=clock.now(),
    )
    assert holds[0].amount == 60


def test_donation_and_pool_allocation(session: Session, clock: FixedClock) -> None:
    donor, elder = make_person(session), make_person(session, birth=date(1940, 1, 1))
    credit(session, clock, donor.id, 120, "d")
    pool_before = session.get(Account, POOL_ID).balance  # type: ignore[union-attr]
    ledger.donate(
        session,
        actor=Actor(role=Role.VOLUNTEER, person_id=donor.id),
        key="don",
        donor_id=donor.id,
        amount=90,
        at=clock.now(),
    )
    ledger.allocate_from_pool(
        session,
        actor=ADMIN,
        key="alloc",
        elder_id=elder.id,
        amount=60,
        reason="80+ living alone",
        at=clock.now(),
    )
    pool = session.get(Account, POOL_ID)
    assert pool is not None and pool.balance == pool_before + 30
    with pytest.raises(InsufficientBalance):
        ledger.allocate_from_pool(
            session,
            actor=ADMIN,
            key="alloc2",
            elder_id=elder.id,
            amount=pool.balance + 1,
            reason="too much",
            at=clock.now(),
        )


def test_reversal_once_and_debt_only_when_allowed(session: Session, clock: FixedClock) -> None:
    v = make_person(session)
    c = credit(session, clock, v.id, 120, "r")
    assert c is not None
    ledger.donate(
        session,
        actor=Actor(role=Role.VOLUNTEER, person_id=v.id),
        key="spent",
        donor_id=v.id,
        amount=120,
        at=clock.now(),
    )
    with pytest.raises(InsufficientBalance):
        ledger.reverse(
            session, actor=ADMIN, key="rev", transfer_id=c.id, reason="fraud", at=clock.now()
        )
    v.status = "disqualified"
    ledger.allow_debt(session, person_id=v.id)
    rev = ledger.reverse(
        session, actor=ADMIN, key="rev", transfer_id=c.id, reason="fraud", at=clock.now()
    )
    assert rev.debit_account_id == c.credit_account_id and rev.amount == 120
    b = ledger.balances(session, person_id=v.id, policy=POLICY)
    assert (b.earned, b.service_minutes) == (-120, 0)
    with pytest.raises(Conflict) as err:
        ledger.reverse(
            session, actor=ADMIN, key="rev2", transfer_id=c.id, reason="again", at=clock.now()
        )
    assert err.value.rule == "reverse_once"
    with pytest.raises(InvalidInput):
        ledger.reverse(
            session, actor=ADMIN, key="rev3", transfer_id=rev.id, reason="x", at=clock.now()
        )


def test_shape_rules_refuse_minting_outside_service(session: Session, clock: FixedClock) -> None:
    v = make_person(session)
    earned = ledger.account_of(session, v.id, "earned")
    with pytest.raises(RuleViolation) as err:
        post_transfers(
            session,
            [
                TransferSpec(
                    key="mint",
                    kind="gift",
                    debit_account_id=ISSUANCE_ID,
                    credit_account_id=earned.id,
                    amount=60,
                )
            ],
            actor="test",
            at=clock.now(),
        )
    assert err.value.rule == "transfer_shape"
    for bad in (0, -5, 1.5, True):
        with pytest.raises(InvalidInput):
            post_transfers(
                session,
                [
                    TransferSpec(
                        key=f"b{bad}",
                        kind="service_credit",
                        debit_account_id=ISSUANCE_ID,
                        credit_account_id=earned.id,
                        amount=bad,
                    )
                ],  # type: ignore[arg-type]
                actor="test",
                at=clock.now(),
            )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ledger_transfers SET amount = amount + 60", "DELETE FROM ledger_transfers"],
)
def test_transfers_are_immutable_in_the_database(
    session: Session, clock: FixedClock, statement: str
) -> None:
    v = make_person(session)
    credit(session, clock, v.id, 60, "imm")
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text(statement))


def test_frozen_accounts_cannot_move_coins(session: Session, clock: FixedClock) -> None:
    v = make_person(session, status="suspended")
    with pytest.raises(RuleViolation) as err:
        credit(session, clock, v.id, 60, "frozen")
    assert err.value.rule == "account_frozen"


def test_statement_tracks_running_balances(session: Session, clock: FixedClock) -> None:
    from timebank.ledger.statement import statement, statement_csv

    v = make_person(session, birth=date(1950, 1, 1))
    credit(session, clock, v.id, 120, "s1")
    holds = ledger.hold_for_care(
        session,
        actor=Actor(role=Role.ELDER, person_id=v.id),
        key="s2",
        holder_id=v.id,
        beneficiary_id=v.id,
        amount=60,
        reference="need:1",
        policy=POLICY,
        at=clock.now(),
    )
    clock.advance(hours=2)
    ledger.settle_holds(
        session, actor=STATION, key="s3", hold_ids=[holds[0].id], amount=30, at=clock.now()
    )
    lines = statement(session, person_id=v.id)
    assert [(ln.kind, ln.phase, ln.amount, ln.held, ln.balance) for ln in lines] == [
        ("service_credit", "single", 120, 0, 120),
        ("service_payment", "pending", 0, 60, 120),
        ("service_payment", "post", -30, -60, 90),
    ]
    csv_text = statement_csv(lines)
    assert "服务存入" in csv_text and csv_text.count("\n") == 4
    assert timedelta(hours=2) == lines[2].at - lines[1].at


def test_district_admins_move_only_their_districts_coins(
    session: Session, clock: FixedClock
) -> None:
    v = make_person(session)  # in 110105
    c = credit(session, clock, v.id, 60, "scope")
    assert c is not None
    elsewhere = Actor(role=Role.DISTRICT_ADMIN, district_code="110101")
    with pytest.raises(PermissionDenied) as err:
        ledger.reverse(
            session, actor=elsewhere, key="r", transfer_id=c.id, reason="x", at=clock.now()
        )
    assert err.value.rule == "district_scope"
    with pytest.raises(PermissionDenied):
        ledger.allocate_from_pool(
            session,
            actor=elsewhere,
            key="a",
            elder_id=v.id,
            amount=30,
            reason="priority",
            at=clock.now(),
        )
