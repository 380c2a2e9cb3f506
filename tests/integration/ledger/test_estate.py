"""On death, coins pass to the named verified relative, else to the pool."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_kin, make_person
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.errors import RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.models import POOL_ID, Account
from timebank.policy import Policy

STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")


def earn(session: Session, clock: FixedClock, person_id: int, minutes: int) -> None:
    ledger.credit_service(
        session,
        actor=STATION,
        key=f"e{person_id}",
        volunteer_id=person_id,
        duration_minutes=minutes,
        started_at=clock.now(),
        reference="x",
        policy=Policy(),
        at=clock.now(),
    )


def test_named_relative_inherits_once(session: Session, clock: FixedClock) -> None:
    elder, child = make_person(session, birth=date(1940, 1, 1)), make_person(session)
    make_kin(session, elder, child, "child")
    earn(session, clock, elder.id, 240)
    elder.beneficiary_id = child.id
    with pytest.raises(RuleViolation) as err:
        ledger.settle_estate(session, actor=STATION, person_id=elder.id, at=clock.now())
    assert err.value.rule == "estate_deceased"
    elder.status = "deceased"
    [moved] = ledger.settle_estate(session, actor=STATION, person_id=elder.id, at=clock.now())
    assert (moved.kind, moved.amount) == ("bequest", 240)
    assert ledger.balances(session, person_id=child.id, policy=Policy()).received == 240
    again = ledger.settle_estate(session, actor=STATION, person_id=elder.id, at=clock.now())
    assert [t.replayed for t in again] == [True]  # a retry replays, moves nothing twice
    assert ledger.balances(session, person_id=child.id, policy=Policy()).received == 240


def test_without_a_living_verified_heir_the_pool_inherits(
    session: Session, clock: FixedClock
) -> None:
    elder, friend = make_person(session, birth=date(1940, 1, 1)), make_person(session)
    earn(session, clock, elder.id, 120)
    elder.beneficiary_id = friend.id  # not verified kin: ignored
    elder.status = "deceased"
    before = session.get(Account, POOL_ID).balance  # type: ignore[union-attr]
    ledger.settle_estate(session, actor=STATION, person_id=elder.id, at=clock.now())
    assert session.get(Account, POOL_ID).balance == before + 120  # type: ignore[union-attr]
