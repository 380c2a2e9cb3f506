from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.integration.people.factories import (
    CHAOYANG,
    DONGCHENG,
    VAULT,
    City,
    born,
    fresh_id_number,
    make_city,
    register,
)
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.demo import geography
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.people import services
from timebank.people.idcard import make_id_number
from timebank.people.models import District, Person, Street


@pytest.fixture
def city(session: Session, clock: FixedClock) -> City:
    return make_city(session, clock.now())


def test_seed_geography_is_idempotent(session: Session, city: City) -> None:
    assert geography.seed_geography(session) == 0
    assert session.scalar(select(func.count()).select_from(District)) == 16
    streets = sum(len(s) for s in geography.STREETS.values())
    assert session.scalar(select(func.count()).select_from(Street)) == streets


def test_registration_stores_the_id_encrypted_hashed_and_masked(
    session: Session, city: City
) -> None:
    number = fresh_id_number(born(70, city.today), sex="M")
    person = services.register_person(
        session,
        actor=city.station,
        full_name=" 李 建国 ",
        id_number=number.lower(),
        phone="+86 139 0000 1111",
        district_code=DONGCHENG,
        street_code="110101002",
        address="景山前街 4 号",
        at=city.at,
        vault=VAULT,
    )
    assert person.id is not None
    assert person.full_name == "李 建国"
    assert (person.sex, person.birth_date) == ("M", born(70, city.today))
    assert person.phone == "13900001111"
    assert person.id_masked == number[:6] + "********" + number[-4:]
    assert number not in person.id_cipher
    assert VAULT.decrypt(person.id_cipher) == number
    assert person.id_hash == VAULT.lookup_hash(number)
    street = geography.street("110101002")
    assert street is not None
    assert (person.lat, person.lon) == (street.lat, street.lon)
    assert (person.status, person.volunteer_status) == ("active", "none")
    assert services.find_by_id_number(session, number, vault=VAULT) is person
    assert (
        services.reveal_id_number(
            session,
            actor=Actor(role=Role.ELDER, person_id=person.id),
            person_id=person.id,
            vault=VAULT,
        )
        == number
    )


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_a_residence_permit_holder_registers_in_the_district_they_live_in(
    session: Session, city: City, region: str
) -> None:
    # 港澳台居民居住证: the region code says where the holder is from, not where they live.
    number = make_id_number(region, born(66, city.today), 37)
    person = register(session, city, id_number=number, district_code=CHAOYANG, name="陈美玲")
    assert person.district_code == CHAOYANG
    assert (person.sex, person.birth_date) == ("M", born(66, city.today))
    assert person.id_masked == region + "********" + number[-4:]
    services.record_residency_proof(
        session,
        actor=city.other_station,
        person_id=person.id,
        kind="residence_permit",
        reference="居住证",
        valid_until=city.today.replace(year=city.today.year + 5),
        at=city.at,
    )
    assert services.find_by_id_number(session, number, vault=VAULT) is person


def test_an_old_15_digit_id_is_refused_with_the_18_digit_form(session: Session, city: City) -> None:
    new = fresh_id_number(born(60, city.today))
    old = new[:6] + new[8:17]
    with pytest.raises(InvalidInput) as info:
        register(session, city, id_number=old)
    assert info.value.field == "id_number"
    assert info.value.details["suggested"] == new
    assert new in info.value.message


def test_a_resident_id_registers_once(session: Session, city: City) -> None:
    number = fresh_id_number(born(40, city.today))
    register(session, city, id_number=number, name="甲")
    with pytest.raises(Conflict) as info:
        register(session, city, id_number=number.lower(), name="乙")
    assert info.value.rule == "unique_id_number"
    assert info.value.field == "id_number"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "11010519491231002"}, "id_number"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"full_name": "  "}, "full_name"),
        ({"district_code": "110103"}, "district_code"),
        ({"street_code": "110105001"}, "street_code"),
        ({"lat": 39.9}, "lon"),
        ({"lat": 31.2, "lon": 121.4}, "lat"),
    ],
)
def test_bad_input_names_the_field(
    session: Session, city: City, change: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {
        "full_name": "王芳",
        "id_number": fresh_id_number(born(30, city.today)),
        "phone": "13800138000",
        "district_code": DONGCHENG,
    }
    args.update(change)
    with pytest.raises(InvalidInput) as info:
        services.register_person(
            session,
            actor=city.station,
            at=city.at,
            vault=VAULT,
            **args,  # type: ignore[arg-type]
        )
    assert info.value.field == field


def test_birth_after_today_is_refused(session: Session, city: City) -> None:
    with pytest.raises(InvalidInput) as info:
        register(session, city, age=-1)
    assert info.value.details["problem"] == "birth"


def test_stations_register_only_in_their_district(session: Session, city: City) -> None:
    with pytest.raises(PermissionDenied) as info:
        register(session, city, district_code=CHAOYANG, actor=city.station)
    assert info.value.rule == "station_district"
    with pytest.raises(PermissionDenied):
        register(session, city, actor=Actor(role=Role.AUDITOR))
    assert register(session, city, district_code=CHAOYANG).district_code == CHAOYANG
    assert register(session, city, actor=Actor(role=Role.VOLUNTEER)).id is not None


def test_a_child_under_14_needs_the_guardian_s_consent(session: Session, city: City) -> None:
    parent = register(session, city, age=40)
    with pytest.raises(RuleViolation) as info:
        register(session, city, age=10)
    assert info.value.rule == "pipl_under_14_consent"
    with pytest.raises(RuleViolation):
        register(session, city, age=10, guardian_id=parent.id)
    with pytest.raises(PermissionDenied) as denied:
        register(
            session,
            city,
            age=10,
            guardian_id=parent.id,
            guardian_consent=True,
            actor=Actor(role=Role.VOLUNTEER, person_id=999),
        )
    assert denied.value.rule == "guardian_consent"
    child = register(
        session,
        city,
        age=10,
        guardian_id=parent.id,
        guardian_consent=True,
        actor=Actor(role=Role.VOLUNTEER, person_id=parent.id),
    )
    assert child.guardian_id == parent.id
    assert child.guardian_consent_at == city.at


def test_a_guardian_is_an_active_adult_of_a_minor(session: Session, city: City) -> None:
    teen = register(session, city, age=16)
    adult = register(session, city, age=30)
    with pytest.raises(RuleViolation) as info:
        register(session, city, age=15, guardian_id=teen.id)
    assert info.value.rule == "guardian_adult"
    with pytest.raises(RuleViolation) as info:
        register(session, city, age=20, guardian_id=adult.id)
    assert info.value.rule == "guardian_minor"
    with pytest.raises(NotFound):
        register(session, city, age=15, guardian_id=10_000)


def test_only_the_person_their_proxy_or_the_city_admin_see_the_full_id(
    session: Session, city: City
) -> None:
    person = register(session, city)
    proxy = Actor(role=Role.PROXY, person_id=5000, on_behalf_of=person.id)
    assert (
        len(services.reveal_id_number(session, actor=proxy, person_id=person.id, vault=VAULT)) == 18
    )
    assert services.reveal_id_number(
        session, actor=city.city_admin, person_id=person.id, vault=VAULT
    )
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(session, actor=city.station, person_id=person.id, vault=VAULT)


def test_lookups(session: Session, city: City) -> None:
    with pytest.raises(NotFound):
        services.get_person(session, 10_000)
    assert services.find_by_id_number(session, "11010519491231002X", vault=VAULT) is None
    with pytest.raises(InvalidInput):
        services.find_by_id_number(session, "123", vault=VAULT)
    assert session.get(Person, register(session, city).id) is not None


def test_a_home_outside_the_imported_city_is_refused(session: Session, city: City) -> None:
    with pytest.raises(InvalidInput) as info:
        register(session, city, lat=39.13, lon=117.20)  # Tianjin, not Beijing
    assert info.value.field == "lat" and "outside the city" in info.value.message
    person = register(session, city, lat=39.93, lon=116.42)
    assert (person.lat, person.lon) == (39.93, 116.42)
