from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.integration.people.factories import City, make_city, make_ready, register
from timebank.actors import SYSTEM, Actor, Role
from timebank.clock import FixedClock
from timebank.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from timebank.people import services
from timebank.people.models import Person, Qualification
from timebank.policy import Policy


@pytest.fixture
def city(session: Session, clock: FixedClock) -> City:
    return make_city(session, clock.now())


def me(person_id: int) -> Actor:
    return Actor(role=Role.VOLUNTEER, person_id=person_id)


def add(
    session: Session,
    city: City,
    person: Person,
    *,
    kind: str = "lawyer",
    number: str = "11101200010000001",
    valid_until: date | None = None,
    valid_from: date | None = None,
) -> Qualification:
    return services.add_qualification(
        session,
        actor=me(person.id),
        person_id=person.id,
        qualification_type=kind,
        number=number,
        issuer="北京市司法局",
        valid_from=valid_from or city.today - timedelta(days=365),
        valid_until=valid_until,
        at=city.at,
    )


def test_a_verified_qualification_counts_while_valid(session: Session, city: City) -> None:
    lawyer = register(session, city)
    until = city.today + timedelta(days=10)
    q = add(session, city, lawyer, valid_until=until)
    assert services.valid_qualifications(session, lawyer.id, city.today) == []
    services.verify_qualification(session, actor=city.station, qualification_id=q.id, at=city.at)
    assert (q.status, q.verified_by_org_id) == ("verified", city.station.org_id)
    assert services.valid_qualifications(session, lawyer.id, until) == [q]
    assert services.has_valid_qualification(session, lawyer.id, "lawyer", until)
    assert not services.has_valid_qualification(session, lawyer.id, "medical", until)
    assert services.valid_qualifications(session, lawyer.id, until + timedelta(days=1)) == []


def test_qualification_input_is_checked(session: Session, city: City) -> None:
    person = register(session, city)
    with pytest.raises(InvalidInput) as info:
        add(session, city, person, kind="astrologer")
    assert info.value.field == "qualification_type"
    with pytest.raises(InvalidInput) as info:
        add(session, city, person, valid_until=city.today - timedelta(days=400))
    assert info.value.field == "valid_until"
    with pytest.raises(InvalidInput) as info:
        add(session, city, person, valid_from=city.today + timedelta(days=1))
    assert info.value.field == "valid_from"
    add(session, city, person)
    with pytest.raises(Conflict) as dup:
        add(session, city, person)
    assert dup.value.rule == "unique_qualification"
    custom = Policy(qualification_types=("astrologer",))
    q = services.add_qualification(
        session,
        actor=me(person.id),
        person_id=person.id,
        qualification_type="astrologer",
        number="1",
        issuer="x",
        valid_from=city.today,
        valid_until=None,
        at=city.at,
        policy=custom,
    )
    assert q.status == "pending"


def test_an_expired_qualification_is_not_verified(session: Session, city: City) -> None:
    person = register(session, city)
    q = add(session, city, person, valid_until=city.today - timedelta(days=1))
    with pytest.raises(RuleViolation) as info:
        services.verify_qualification(
            session, actor=city.station, qualification_id=q.id, at=city.at
        )
    assert info.value.rule == "qualification_expired"
    with pytest.raises(PermissionDenied):
        services.verify_qualification(
            session, actor=city.other_station, qualification_id=q.id, at=city.at
        )
    services.reject_qualification(
        session, actor=city.station, qualification_id=q.id, reason="已过期", at=city.at
    )
    assert q.status == "rejected"


def test_disqualification_cancels_qualifications(session: Session, city: City) -> None:
    person = make_ready(session, city, register(session, city))
    services.activate_volunteer(session, actor=city.station, person_id=person.id, at=city.at)
    verified = add(session, city, person)
    services.verify_qualification(
        session, actor=city.station, qualification_id=verified.id, at=city.at
    )
    pending = add(session, city, person, kind="medical", number="M-1")
    with pytest.raises(PermissionDenied):
        services.set_status(
            session,
            actor=city.station,
            person_id=person.id,
            status="disqualified",
            reason="虚假记录",
            at=city.at,
        )
    services.set_status(
        session,
        actor=city.admin,
        person_id=person.id,
        status="disqualified",
        reason="虚假记录",
        at=city.at,
    )
    assert (person.status, person.volunteer_status) == ("disqualified", "disqualified")
    assert (verified.status, pending.status) == ("cancelled", "cancelled")
    assert verified.cancelled_at == city.at
    assert services.valid_qualifications(session, person.id, city.today) == []
    with pytest.raises(Conflict) as info:
        services.set_status(
            session, actor=city.admin, person_id=person.id, status="active", reason="x", at=city.at
        )
    assert info.value.rule == "status_transition"


def test_cancel_qualifications_counts_and_needs_an_admin(session: Session, city: City) -> None:
    person = register(session, city)
    add(session, city, person)
    with pytest.raises(PermissionDenied):
        services.cancel_qualifications(
            session, actor=me(person.id), person_id=person.id, reason="x", at=city.at
        )
    n = services.cancel_qualifications(
        session, actor=SYSTEM, person_id=person.id, reason="制裁", at=city.at
    )
    assert n == 1
    assert (
        services.cancel_qualifications(
            session, actor=city.city_admin, person_id=person.id, reason="制裁", at=city.at
        )
        == 0
    )


def test_suspend_reinstate_exit_and_rejoin(session: Session, city: City) -> None:
    person = register(session, city)

    def move(actor: Actor, status: str) -> Person:
        return services.set_status(
            session, actor=actor, person_id=person.id, status=status, reason="因故", at=city.at
        )

    move(city.admin, "suspended")
    assert (person.status, person.status_reason, person.status_changed_at) == (
        "suspended",
        "因故",
        city.at,
    )
    with pytest.raises(PermissionDenied):
        move(me(person.id), "active")
    move(city.city_admin, "active")
    move(me(person.id), "exited")
    with pytest.raises(Conflict):
        move(me(person.id), "exited")
    move(city.admin, "active")
    with pytest.raises(InvalidInput):
        move(city.admin, "frozen")
    other_admin = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")
    for status in ("suspended", "exited"):
        with pytest.raises(PermissionDenied) as info:
            move(other_admin, status)
        assert info.value.rule == "admin_district"
    with pytest.raises(PermissionDenied):
        move(me(person.id + 1), "exited")


def test_death_is_recorded_with_its_date(session: Session, city: City) -> None:
    person = register(session, city, age=90)
    died = city.today - timedelta(days=2)
    with pytest.raises(InvalidInput) as info:
        services.record_death(
            session,
            actor=city.station,
            person_id=person.id,
            died_on=city.today + timedelta(days=1),
            at=city.at,
        )
    assert info.value.field == "died_on"
    with pytest.raises(InvalidInput):
        services.set_status(
            session,
            actor=city.admin,
            person_id=person.id,
            status="deceased",
            reason="x",
            at=city.at,
        )
    services.record_death(
        session, actor=city.station, person_id=person.id, died_on=died, at=city.at
    )
    assert (person.status, person.died_on) == ("deceased", died)
    with pytest.raises(Conflict) as conflict:
        services.declare_health(
            session, actor=city.station, person_id=person.id, fit=True, at=city.at
        )
    assert conflict.value.rule == "person_deceased"
