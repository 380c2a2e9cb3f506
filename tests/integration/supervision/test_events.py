"""Domain events: the use cases record what supervision checks after commit.

A committed ``run_in_transaction(..., events=collected)`` hands over the events its use cases
recorded — a gift, a donation, a settled visit and the elder's payment for it (a redemption) —
and ``deliver`` runs the write-time checks on them. A rolled-back attempt hands over nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.care.conftest import POLICY, World
from tests.integration.care.test_visit_flow import publish_and_open, run_visit
from timebank.care import visits
from timebank.db import run_in_transaction
from timebank.domain_events import Event
from timebank.errors import RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.models import Transfer
from timebank.people import services as people
from timebank.supervision.models import Alert
from timebank.supervision.services import deliver


def relatives(w: World) -> None:
    """The volunteer has coins and the elder is their verified parent."""
    w.fund(w.volunteer, 600, "volunteer")
    row = people.declare_kinship(
        w.session,
        actor=w.volunteer_actor,
        person_id=w.volunteer.id,
        relative_id=w.elder.id,
        relation="parent",
        at=w.clock.now(),
        evidence="户口簿",
    )
    people.verify_kinship(w.session, actor=w.city.station, kinship_id=row.id, at=w.clock.now())
    w.session.flush()


def test_a_gift_soon_spent_on_care_is_caught_through_the_events(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    relatives(w)
    gave: list[Event] = []
    gift = run_in_transaction(
        factory,
        lambda s: ledger.gift(
            s,
            actor=w.volunteer_actor,
            key="g1",
            giver_id=w.volunteer.id,
            recipient_id=w.elder.id,
            amount=240,
            policy=POLICY,
            at=w.clock.now(),
        ),
        events=gave,
    )
    assert gave == [Event("gift", gift.id)]
    assert deliver(factory, gave, at=w.clock.now()) == []  # one gift is nothing unusual
    # The elder spends it on care within hours: the confirmation records the settled visit and
    # the payment from the elder's coins.
    need = publish_and_open(w, hours_ahead=2, minutes=180)
    visit = run_visit(w, need, 180)
    w.session.flush()
    confirmed: list[Event] = []
    run_in_transaction(
        factory,
        lambda s: visits.confirm_visit(
            s, actor=w.elder_actor, visit_id=visit.id, rating=5, at=w.clock.now(), policy=POLICY
        ),
        events=confirmed,
    )
    [payment] = w.session.execute(
        select(Transfer.id).where(Transfer.kind == "service_payment", Transfer.phase == "post")
    ).scalars()
    assert sorted(confirmed, key=lambda e: e.kind) == [
        Event("redemption", payment),
        Event("visit", visit.id),
    ]
    new = deliver(factory, confirmed + confirmed, at=w.clock.now())  # each event checked once
    alerts = w.session.execute(select(Alert).order_by(Alert.id)).scalars().all()
    assert new == [a.id for a in alerts]
    [alert] = alerts
    assert (alert.rule, alert.source, alert.subject_id) == (
        "gift_then_redeem",
        "live",
        str(gift.id),
    )
    assert alert.evidence["redemption_ids"] == [payment]
    assert deliver(factory, confirmed, at=w.clock.now()) == []  # stored once


def test_donations_record_their_events_and_a_burst_is_caught(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    collected: list[Event] = []
    for i in range(3):
        run_in_transaction(
            factory,
            lambda s, i=i: ledger.donate(
                s,
                actor=w.elder_actor,
                key=f"d{i}",
                donor_id=w.elder.id,
                amount=30,
                at=w.clock.now() + timedelta(hours=i),
            ),
            events=collected,
        )
    assert [e.kind for e in collected] == ["donation"] * 3
    [alert_id] = deliver(factory, collected)
    alert = w.session.get(Alert, alert_id)
    assert alert is not None and alert.rule == "donation_velocity"
    assert alert.evidence["ids"] == [e.record_id for e in collected]


def test_a_rolled_back_attempt_delivers_nothing(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    relatives(w)
    collected: list[Event] = []

    def gift_then_fail(s: Session) -> None:
        ledger.gift(
            s,
            actor=w.volunteer_actor,
            key="g-lost",
            giver_id=w.volunteer.id,
            recipient_id=w.elder.id,
            amount=60,
            policy=POLICY,
            at=w.clock.now(),
        )
        ledger.donate(
            s,
            actor=w.volunteer_actor,
            key="d-lost",
            donor_id=w.volunteer.id,
            amount=60,
            at=w.clock.now(),
        )
        raise RuleViolation("the caller changed its mind", rule="test")

    with pytest.raises(RuleViolation):
        run_in_transaction(factory, gift_then_fail, events=collected)
    assert collected == []
    assert w.session.execute(select(Transfer).where(Transfer.key == "g-lost")).first() is None
    assert deliver(factory, collected) == []


def test_delivery_never_raises(world: World, factory: sessionmaker[Session]) -> None:
    w = world
    donation = ledger.donate(
        w.session, actor=w.elder_actor, key="d", donor_id=w.elder.id, amount=30, at=w.clock.now()
    )
    w.session.flush()
    # A wrong kind for the record and an unknown record: logged and skipped, not raised.
    assert deliver(factory, [Event("gift", donation.id), Event("visit", 10**9)]) == []
