"""The write-time hook: the API calls it after a visit, gift or donation commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.care.conftest import POLICY, World
from tests.integration.care.test_visit_flow import publish_and_open, run_visit
from tests.integration.supervision.conftest import plant_visit
from timebank.care import visits
from timebank.care.profiles import set_volunteer_profile
from timebank.errors import InvalidInput
from timebank.ledger import services as ledger
from timebank.supervision.models import Alert
from timebank.supervision.services import after_commit, check_after_commit, scan_and_record


def test_a_late_night_visit_is_caught_when_it_is_confirmed(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    # Published at 09:00 for 22:00 tonight, booked, served and confirmed through the app.
    set_volunteer_profile(
        w.session,
        actor=w.volunteer_actor,
        person_id=w.volunteer.id,
        categories=["emotional_comfort"],
        radius_m=3000,
        availability=[[d, "18:00", "23:59"] for d in range(7)],
        at=w.clock.now(),
    )
    need = publish_and_open(w, hours_ahead=13, minutes=60)
    visit = run_visit(w, need, 70)
    visits.confirm_visit(
        w.session, actor=w.elder_actor, visit_id=visit.id, rating=5, at=w.clock.now(), policy=POLICY
    )
    w.session.flush()
    new = after_commit(factory, "visit", visit.id, at=w.clock.now())
    alert = w.session.execute(select(Alert)).scalar_one()
    assert new == [alert.id]
    assert (alert.rule, alert.source, alert.subject_id) == ("late_night", "live", str(visit.id))
    # The scan reaches the same fact under the same key and stores nothing new.
    assert after_commit(factory, "visit", visit.id, at=w.clock.now()) == []
    assert scan_and_record(w.session, at=w.clock.now()).new_alerts == 0


def test_the_hook_sees_the_volunteers_other_visits(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    start = w.clock.now() - timedelta(days=2)
    plant_visit(w, start=start, minutes=90)
    second = plant_visit(w, start=start + timedelta(minutes=30), minutes=60)
    after_commit(factory, "visit", second.id, at=w.clock.now())
    assert w.session.execute(select(Alert.rule)).scalars().all() == ["overlap"]


def test_donations_in_quick_succession(world: World, factory: sessionmaker[Session]) -> None:
    w = world
    posted = [
        ledger.donate(
            w.session,
            actor=w.elder_actor,
            key=f"d{i}",
            donor_id=w.elder.id,
            amount=30,
            at=w.clock.now() + timedelta(hours=i),
        )
        for i in range(3)
    ]
    w.session.flush()
    assert after_commit(factory, "donation", posted[1].id) == []
    [alert_id] = after_commit(factory, "donation", posted[2].id)
    alert = w.session.get(Alert, alert_id)
    assert alert is not None and alert.rule == "donation_velocity"
    assert alert.evidence["ids"] == [p.id for p in posted]


def test_a_wrong_kind_is_refused_by_the_check_and_swallowed_by_the_hook(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    donation = ledger.donate(
        w.session, actor=w.elder_actor, key="d", donor_id=w.elder.id, amount=30, at=w.clock.now()
    )
    with pytest.raises(InvalidInput):
        check_after_commit(factory, "gift", donation.id)
    with pytest.raises(InvalidInput):
        check_after_commit(factory, "parcel", 1)  # type: ignore[arg-type]
    assert after_commit(factory, "gift", donation.id) == []
    assert after_commit(factory, "visit", 10**9) == []  # unknown: nothing to judge
