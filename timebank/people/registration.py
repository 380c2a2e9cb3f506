"""Real-name registration: the resident ID is validated, encrypted, hashed and masked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.phones import normalise_phone
from timebank.clock import age_on, local_date
from timebank.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from timebank.people import divisions, idcard, rules
from timebank.people.crypto import PiiVault, default_vault
from timebank.people.models import District, Person, Street
from timebank.people.repository import get_person
from timebank.people.scope import require_staff_in

# Anyone but an auditor: people sign themselves up, proxies and stations enter others.
REGISTRARS = (
    Role.VOLUNTEER,
    Role.ELDER,
    Role.PROXY,
    Role.STATION,
    Role.DISTRICT_ADMIN,
    Role.CITY_ADMIN,
)

CONSENT_TAKERS = (Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.SYSTEM)


def check_guardian(guardian: Person, minor_birth: date, today: date) -> None:
    """A guardian is a living, active adult (18+ under the Civil Code), not the minor."""
    if guardian.status != "active":
        raise RuleViolation(f"guardian {guardian.id} is {guardian.status}", rule="guardian_active")
    if age_on(guardian.birth_date, today) < rules.ADULT_AGE:
        raise RuleViolation(f"guardian {guardian.id} is not an adult", rule="guardian_adult")
    if guardian.birth_date >= minor_birth:
        raise RuleViolation("a guardian must be older than the minor", rule="guardian_adult")


def _place(
    session: Session,
    district_code: str,
    street_code: str | None,
    lat: float | None,
    lon: float | None,
) -> tuple[float, float]:
    district = session.get(District, district_code)
    if district is None:
        raise InvalidInput(f"unknown district {district_code!r}", field="district_code")
    street = session.get(Street, street_code) if street_code else None
    if street_code and (street is None or street.district_code != district_code):
        raise InvalidInput(
            f"street {street_code!r} is not in district {district_code}", field="street_code"
        )
    if (lat is None) != (lon is None):
        raise InvalidInput(
            "give both lat and lon, or neither", field="lat" if lat is None else "lon"
        )
    if lat is not None and lon is not None:
        # Judged against the city's imported geography, not a table of one city.
        if not divisions.in_city(session, lat, lon):
            raise InvalidInput(f"({lat}, {lon}) is outside the city", field="lat")
        return lat, lon
    # Without a geocoded address, the street (else district) centre stands in for matching.
    where = street or district
    return where.lat, where.lon


def register_person(
    session: Session,
    *,
    actor: Actor,
    full_name: str,
    id_number: str,
    phone: str | None,
    district_code: str,
    street_code: str | None = None,
    address: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    at: datetime,
    is_student: bool = False,
    guardian_id: int | None = None,
    guardian_consent: bool = False,
    vault: PiiVault | None = None,
    verifier: idcard.IdentityVerifier | None = None,
) -> Person:
    """Register a real-name person. A child under 14 needs a guardian who consents (PIPL)."""
    actor.require(*REGISTRARS, rule="register_role")
    today = local_date(at)
    name = rules.required_text(full_name, field="full_name", max_len=64)
    resident = idcard.parse(id_number, today=today)
    mobile = normalise_phone(phone) if phone else None
    home = rules.optional_text(address, field="address", max_len=200)
    lat, lon = _place(session, district_code, street_code, lat, lon)
    if actor.role in (Role.STATION, Role.DISTRICT_ADMIN):
        require_staff_in(actor, district_code)

    guardian = get_person(session, guardian_id, field="guardian_id") if guardian_id else None
    if guardian is not None:
        if age_on(resident.birth_date, today) >= rules.ADULT_AGE:
            raise RuleViolation("only a minor has a guardian", rule="guardian_minor")
        check_guardian(guardian, resident.birth_date, today)
    if guardian_consent:
        if guardian is None:
            raise InvalidInput("consent needs a guardian", field="guardian_consent")
        # Consent must come from the guardian (or staff holding the signed form), not from
        # anyone who happens to know the guardian's id.
        if actor.role not in CONSENT_TAKERS and not actor.acts_as(guardian.id):
            raise PermissionDenied(
                "only the guardian or a station may give the guardian's consent",
                rule="guardian_consent",
            )
    if rules.is_sensitive_minor(resident.birth_date, today) and not guardian_consent:
        raise RuleViolation(
            "a child under 14 is registered only with a guardian's consent",
            rule="pipl_under_14_consent",
        )

    vault = vault or default_vault()
    digest = vault.lookup_hash(resident.number)
    if session.execute(select(Person.id).where(Person.id_hash == digest)).first() is not None:
        raise Conflict(
            "a person with this resident ID is already registered",
            field="id_number",
            rule="unique_id_number",
        )
    # The outside source is asked last, once everything checkable here has passed.
    (verifier or idcard.FormOnlyVerifier()).verify(resident, name)
    person = Person(
        full_name=name,
        id_hash=digest,
        id_cipher=vault.encrypt(resident.number),
        id_masked=resident.masked,
        birth_date=resident.birth_date,
        sex=resident.sex,
        phone=mobile,
        district_code=district_code,
        street_code=street_code,
        address=home,
        lat=lat,
        lon=lon,
        is_student=is_student,
        guardian_id=guardian.id if guardian else None,
        guardian_consent_at=at if guardian and guardian_consent else None,
        status="active",
        volunteer_status="none",
        created_at=at,
    )
    session.add(person)
    session.flush()
    return person
