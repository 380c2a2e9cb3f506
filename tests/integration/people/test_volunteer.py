from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.integration.people.factories import CHAOYANG, City, make_city, make_ready, register
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from timebank.people import services


@pytest.fixture
def city(session: Session, clock: FixedClock) -> City:
    return make_city(session, clock.now())


def me(person_id: int) -> Actor:
    return Actor(role=Role.VOLUNTEER, person_id=person_id)


def test_activation_names_every_unmet_rule(session: Session, city: City) -> None:
    person = register(session, city)
    with pytest.raises(RuleViolation) as info:
        services.activate_volunteer(session, actor=me(person.id), person_id=person.id, at=city.at)
    assert info.value.rule == "residency_proof"
    assert info.value.details["rules"] == ["residency_proof", "health_declaration", "training"]
    assert person.volunteer_status == "none"


def test_an_eligible_adult_is_activated(session: Session, city: City) -> None:
    person = make_ready(session, city, register(session, city))
    services.activate_volunteer(session, actor=me(person.id), person_id=person.id, at=city.at)
    assert (person.volunteer_status, person.activated_at) == ("active", city.at)
    assert services.serving_refusals(session, person_id=person.id, on=city.today) == []
    with pytest.raises(Conflict):
        services.activate_volunteer(session, actor=me(person.id), person_id=person.id, at=city.at)


def test_someone_else_cannot_activate_me(session: Session, city: City) -> None:
    person = make_ready(session, city, register(session, city))
    with pytest.raises(PermissionDenied):
        services.activate_volunteer(
            session, actor=me(person.id + 1), person_id=person.id, at=city.at
        )
    with pytest.raises(PermissionDenied) as info:
        services.activate_volunteer(
            session, actor=city.other_station, person_id=person.id, at=city.at
        )
    assert info.value.rule == "station_district"


def test_training_is_confirmed_by_a_station_of_the_district(session: Session, city: City) -> None:
    person = register(session, city)

    def train(actor: Actor, completed_on: date = city.today) -> object:
        return services.record_training(
            session,
            actor=actor,
            person_id=person.id,
            course="基础",
            completed_on=completed_on,
            at=city.at,
        )

    with pytest.raises(PermissionDenied):
        train(me(person.id))
    with pytest.raises(PermissionDenied):
        train(city.other_station)
    with pytest.raises(InvalidInput) as info:
        train(city.station, city.today + timedelta(days=1))
    assert info.value.field == "completed_on"
    record = services.record_training(
        session,
        actor=city.station,
        person_id=person.id,
        course="基础",
        completed_on=city.today,
        at=city.at,
    )
    assert record.confirmed_by_org_id == city.station.org_id


def test_a_residence_permit_must_be_current(session: Session, city: City) -> None:
    person = register(session, city)

    def prove(kind: str = "residence_permit", valid_until: date | None = None) -> object:
        return services.record_residency_proof(
            session,
            actor=city.station,
            person_id=person.id,
            kind=kind,
            reference="J1",
            at=city.at,
            valid_until=valid_until,
        )

    with pytest.raises(InvalidInput) as bad:
        prove()
    assert bad.value.field == "valid_until"
    with pytest.raises(RuleViolation) as expired:
        prove(valid_until=city.today - timedelta(days=1))
    assert expired.value.rule == "residency_expired"
    with pytest.raises(InvalidInput):
        prove(kind="passport")
    prove(valid_until=city.today + timedelta(days=30))
    assert person.residency_verified_by_org_id == city.station.org_id
    later = city.today + timedelta(days=31)
    assert "residency_expired" in services.serving_refusals(session, person_id=person.id, on=later)
    make_ready(session, city, person)  # a hukou replaces the permit and never expires
    assert services.serving_refusals(session, person_id=person.id, on=later) == ["volunteer_active"]


def test_declaring_unfit_stops_an_active_volunteer(session: Session, city: City) -> None:
    person = make_ready(session, city, register(session, city))
    services.activate_volunteer(session, actor=city.station, person_id=person.id, at=city.at)
    services.declare_health(
        session, actor=me(person.id), person_id=person.id, fit=False, at=city.at
    )
    assert person.volunteer_status == "pending"
    assert services.serving_refusals(session, person_id=person.id, on=city.today) == [
        "volunteer_active",
        "health_fit",
    ]


def test_a_student_minor_volunteers_with_a_consenting_guardian(
    session: Session, city: City
) -> None:
    parent = register(session, city, age=45)
    teen = make_ready(session, city, register(session, city, age=16, is_student=True))
    with pytest.raises(RuleViolation) as info:
        services.activate_volunteer(session, actor=city.station, person_id=teen.id, at=city.at)
    assert info.value.details["rules"] == ["minor_guardian", "minor_guardian_consent"]

    with pytest.raises(PermissionDenied):
        services.link_guardian(
            session, actor=me(parent.id), minor_id=teen.id, guardian_id=parent.id, at=city.at
        )
    services.link_guardian(
        session, actor=city.station, minor_id=teen.id, guardian_id=parent.id, at=city.at
    )
    with pytest.raises(PermissionDenied):
        services.record_guardian_consent(session, actor=me(teen.id), minor_id=teen.id, at=city.at)
    services.record_guardian_consent(session, actor=me(parent.id), minor_id=teen.id, at=city.at)
    services.activate_volunteer(session, actor=city.station, person_id=teen.id, at=city.at)
    assert teen.volunteer_status == "active"

    services.record_guardian_consent(
        session, actor=me(parent.id), minor_id=teen.id, at=city.at, consent=False
    )
    assert (teen.guardian_consent_at, teen.volunteer_status) == (None, "pending")


def test_only_minors_get_guardians(session: Session, city: City) -> None:
    adult, parent = register(session, city, age=18), register(session, city, age=50)
    with pytest.raises(RuleViolation) as info:
        services.link_guardian(
            session, actor=city.station, minor_id=adult.id, guardian_id=parent.id, at=city.at
        )
    assert info.value.rule == "guardian_minor"
    teen = register(session, city, age=15)
    with pytest.raises(InvalidInput):
        services.link_guardian(
            session, actor=city.station, minor_id=teen.id, guardian_id=teen.id, at=city.at
        )
    with pytest.raises(RuleViolation) as info:
        services.record_guardian_consent(session, actor=city.station, minor_id=teen.id, at=city.at)
    assert info.value.rule == "minor_guardian"


def test_a_changed_guardian_must_consent_again(session: Session, city: City) -> None:
    mother, father = register(session, city, age=40), register(session, city, age=41, sex="M")
    teen = register(session, city, age=13, guardian_id=mother.id, guardian_consent=True)
    services.link_guardian(
        session, actor=city.station, minor_id=teen.id, guardian_id=father.id, at=city.at
    )
    assert (teen.guardian_id, teen.guardian_consent_at) == (father.id, None)


def test_suspended_people_cannot_be_activated(session: Session, city: City) -> None:
    person = make_ready(session, city, register(session, city, district_code=CHAOYANG))
    admin = Actor(role=Role.DISTRICT_ADMIN, district_code=CHAOYANG)
    services.set_status(
        session, actor=admin, person_id=person.id, status="suspended", reason="核查", at=city.at
    )
    with pytest.raises(RuleViolation) as info:
        services.activate_volunteer(
            session, actor=city.other_station, person_id=person.id, at=city.at
        )
    assert info.value.rule == "status_active"
