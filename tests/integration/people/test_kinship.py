from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.integration.people.factories import CHAOYANG, City, make_city, register
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.people import services
from timebank.people.models import Kinship


@pytest.fixture
def city(session: Session, clock: FixedClock) -> City:
    return make_city(session, clock.now())


def me(person_id: int) -> Actor:
    return Actor(role=Role.ELDER, person_id=person_id)


def declare(
    session: Session, city: City, person_id: int, relative_id: int, relation: str
) -> Kinship:
    return services.declare_kinship(
        session,
        actor=me(person_id),
        person_id=person_id,
        relative_id=relative_id,
        relation=relation,
        at=city.at,
        evidence="户口簿",
    )


def verify(session: Session, city: City, row: Kinship) -> Kinship:
    return services.verify_kinship(session, actor=city.station, kinship_id=row.id, at=city.at)


def test_verified_kinship_reads_from_both_sides(session: Session, city: City) -> None:
    elder, son = register(session, city, age=70), register(session, city, age=40, sex="M")
    row = declare(session, city, elder.id, son.id, "child")
    assert (row.status, row.declared_by) == ("pending", f"elder:{elder.id}")
    assert services.verified_relation(session, elder.id, son.id) is None
    verify(session, city, row)
    assert (row.status, row.verified_by_org_id) == ("verified", city.station.org_id)
    assert services.verified_relation(session, elder.id, son.id) == "child"
    assert services.verified_relation(session, son.id, elder.id) == "parent"
    assert services.verified_relatives(session, son.id) == [(elder.id, "parent")]


def test_a_proxy_declares_for_the_person(session: Session, city: City) -> None:
    elder, grandchild = register(session, city, age=80), register(session, city, age=20)
    proxy = Actor(role=Role.PROXY, person_id=grandchild.id, on_behalf_of=elder.id)
    row = services.declare_kinship(
        session,
        actor=proxy,
        person_id=elder.id,
        relative_id=grandchild.id,
        relation="grandchild",
        at=city.at,
    )
    assert row.declared_by == f"proxy:{grandchild.id} for person:{elder.id}"
    stranger = Actor(role=Role.PROXY, person_id=grandchild.id, on_behalf_of=grandchild.id + 1)
    with pytest.raises(PermissionDenied):
        services.declare_kinship(
            session,
            actor=stranger,
            person_id=elder.id,
            relative_id=grandchild.id,
            relation="grandchild",
            at=city.at,
        )


def test_implausible_kinship_is_refused(session: Session, city: City) -> None:
    a, b = register(session, city, age=40), register(session, city, age=30)
    with pytest.raises(RuleViolation) as info:
        declare(session, city, a.id, b.id, "parent")
    assert info.value.rule == "kinship_generation_gap"
    teen = register(session, city, age=17)
    with pytest.raises(RuleViolation) as info:
        declare(session, city, a.id, teen.id, "spouse")
    assert info.value.rule == "kinship_marriage_age"
    with pytest.raises(InvalidInput):
        declare(session, city, a.id, b.id, "cousin")
    with pytest.raises(InvalidInput):
        declare(session, city, a.id, a.id, "spouse")
    with pytest.raises(NotFound):
        declare(session, city, a.id, 10_000, "spouse")


def test_a_pair_is_declared_once_in_either_direction(session: Session, city: City) -> None:
    wife, husband = register(session, city, age=60), register(session, city, age=62, sex="M")
    declare(session, city, wife.id, husband.id, "spouse")
    with pytest.raises(Conflict) as info:
        declare(session, city, husband.id, wife.id, "spouse")
    assert info.value.rule == "kinship_exists"


def test_a_rejected_kinship_may_be_declared_again(session: Session, city: City) -> None:
    elder, daughter = register(session, city, age=75), register(session, city, age=45)
    row = declare(session, city, elder.id, daughter.id, "child")
    services.reject_kinship(
        session, actor=city.station, kinship_id=row.id, reason="证明不足", at=city.at
    )
    assert (row.status, row.note) == ("rejected", "证明不足")
    with pytest.raises(Conflict):
        services.reject_kinship(
            session, actor=city.station, kinship_id=row.id, reason="x", at=city.at
        )
    again = declare(session, city, daughter.id, elder.id, "parent")
    assert again.id == row.id
    assert (again.person_id, again.status, again.note) == (daughter.id, "pending", None)
    verify(session, city, again)
    assert services.verified_relation(session, elder.id, daughter.id) == "child"


def test_stations_verify_only_their_own_people(session: Session, city: City) -> None:
    a = register(session, city, age=70)
    b = register(session, city, age=72, sex="M", district_code=CHAOYANG)
    c = register(session, city, age=71, district_code=CHAOYANG)
    row = declare(session, city, a.id, b.id, "spouse")
    # Either spouse's district may verify.
    services.verify_kinship(session, actor=city.other_station, kinship_id=row.id, at=city.at)
    d = register(session, city, age=40, district_code=CHAOYANG)
    row3 = declare(session, city, c.id, d.id, "child")
    with pytest.raises(PermissionDenied) as info:
        verify(session, city, row3)
    assert info.value.rule == "station_district"
    with pytest.raises(PermissionDenied):
        services.verify_kinship(session, actor=me(c.id), kinship_id=row3.id, at=city.at)


def test_one_spouse_and_two_parents(session: Session, city: City) -> None:
    husband = register(session, city, age=50, sex="M")
    wife1, wife2 = register(session, city, age=48), register(session, city, age=47)
    verify(session, city, declare(session, city, husband.id, wife1.id, "spouse"))
    with pytest.raises(RuleViolation) as info:
        verify(session, city, declare(session, city, wife2.id, husband.id, "spouse"))
    assert info.value.rule == "max_spouse"

    child = register(session, city, age=10, guardian_id=wife1.id, guardian_consent=True)
    verify(session, city, declare(session, city, child.id, husband.id, "parent"))
    verify(session, city, declare(session, city, wife1.id, child.id, "child"))
    with pytest.raises(RuleViolation) as info:
        verify(session, city, declare(session, city, child.id, wife2.id, "parent"))
    assert info.value.rule == "max_parent"


def test_the_beneficiary_is_a_verified_relative(session: Session, city: City) -> None:
    elder, son, friend = (
        register(session, city, age=80),
        register(session, city, age=50),
        register(session, city, age=60),
    )
    row = declare(session, city, elder.id, son.id, "child")

    def name(beneficiary_id: int | None) -> None:
        services.name_beneficiary(
            session, actor=me(elder.id), person_id=elder.id, beneficiary_id=beneficiary_id
        )

    with pytest.raises(RuleViolation) as info:
        name(son.id)
    assert info.value.rule == "beneficiary_relative"
    verify(session, city, row)
    name(son.id)
    assert elder.beneficiary_id == son.id
    with pytest.raises(RuleViolation):
        name(friend.id)
    name(None)
    assert elder.beneficiary_id is None
