"""Bodies of the people endpoints. Resident IDs are masked except to their owner."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from timebank.actors import Actor
from timebank.api.schemas.auth import Strict, mask_phone
from timebank.api.types import (
    Address,
    DistrictCode,
    Id,
    IdNumber,
    Lat,
    Lon,
    Name,
    Note,
    Phone,
    Reason,
    Short,
    StreetCode,
)
from timebank.people.models import Kinship, Person, Qualification


class PersonIn(Strict):
    """A station registers a person (an elder without a phone, a volunteer from a paper form)."""

    full_name: Name
    id_number: IdNumber
    phone: Phone | None = None
    district_code: DistrictCode
    street_code: StreetCode | None = None
    address: Address | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    is_student: bool = False
    guardian_id: Id | None = None
    guardian_consent: bool = False


class PersonOut(BaseModel):
    id: int
    full_name: str
    id_number: str = Field(description="Masked (110105********123X) except to its owner")
    birth_date: date
    sex: str
    phone: str | None
    district_code: str
    street_code: str | None
    address: str | None
    lat: float | None
    lon: float | None
    status: str
    volunteer_status: str
    is_student: bool
    guardian_id: int | None
    guardian_consent_at: datetime | None
    residency_kind: str | None
    health_fit: bool | None
    beneficiary_id: int | None
    priority_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, person: Person, actor: Actor, full_id: str | None = None) -> PersonOut:
        owner = actor.person_id == person.id and actor.on_behalf_of is None
        return cls(
            id=person.id,
            full_name=person.full_name,
            id_number=full_id if owner and full_id else person.id_masked,
            birth_date=person.birth_date,
            sex=person.sex,
            phone=person.phone if owner else (mask_phone(person.phone) or None),
            district_code=person.district_code,
            street_code=person.street_code,
            address=person.address,
            lat=person.lat,
            lon=person.lon,
            status=person.status,
            volunteer_status=person.volunteer_status,
            is_student=person.is_student,
            guardian_id=person.guardian_id,
            guardian_consent_at=person.guardian_consent_at,
            residency_kind=person.residency_kind,
            health_fit=person.health_fit,
            beneficiary_id=person.beneficiary_id,
            priority_reason=person.priority_reason,
            created_at=person.created_at,
        )


class IdNumberOut(BaseModel):
    person_id: int
    id_number: str


class ResidencyIn(Strict):
    kind: Literal["hukou", "residence_permit"]
    reference: Short
    valid_until: date | None = None


class HealthIn(Strict):
    fit: bool


class TrainingIn(Strict):
    course: Short
    completed_on: date


class GuardianIn(Strict):
    guardian_id: Id


class ConsentIn(Strict):
    consent: bool = True
    evidence: Note | None = None


class KinshipIn(Strict):
    relative_id: Id
    relation: Literal["spouse", "parent", "child", "grandparent", "grandchild"]
    evidence: Short | None = None


class KinshipOut(BaseModel):
    id: int
    person_id: int
    relative_id: int
    relation: str
    status: str
    declared_by: str
    verified_at: datetime | None
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Kinship) -> KinshipOut:
        return cls.model_validate(row, from_attributes=True)


class ReasonIn(Strict):
    reason: Reason


class BeneficiaryIn(Strict):
    beneficiary_id: Id | None


class QualificationIn(Strict):
    qualification_type: Short = Field(examples=["lawyer"])
    number: Short
    issuer: Name
    valid_from: date
    valid_until: date | None = None


class QualificationOut(BaseModel):
    id: int
    person_id: int
    type: str
    number: str
    issuer: str
    valid_from: date
    valid_until: date | None
    status: str
    verified_at: datetime | None
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Qualification) -> QualificationOut:
        return cls.model_validate(row, from_attributes=True)


class StatusIn(Strict):
    status: Literal["active", "suspended", "disqualified", "exited"]
    reason: Reason


class DeathIn(Strict):
    died_on: date
    reason: Reason = "death recorded"


class ProfileIn(Strict):
    categories: list[Short] = Field(max_length=16, examples=[["emotional_comfort"]])
    radius_m: int = Field(ge=100, le=50_000, examples=[3000])
    availability: list[tuple[int, str, str]] = Field(
        default_factory=list, max_length=50, examples=[[[0, "09:00", "12:00"]]]
    )
    lat: Lat | None = None
    lon: Lon | None = None


class ProfileOut(BaseModel):
    person_id: int
    categories: list[str]
    radius_m: int
    availability: list[list[int | str]]
    lat: float | None
    lon: float | None
    updated_at: datetime


class ConsentOut(BaseModel):
    id: int
    person_id: int
    kind: str
    given: bool
    given_by: str
    guardian_id: int | None
    policy_version: str
    at: datetime


class DataAccessOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    actor: str
    person_id: int | None
    scope: str
    purpose: str
    act: str


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    role: str
    actor: str
    on_behalf_of: int | None
    district_code: str | None
    act: str
    target: dict[str, str]
    moves_coins: bool
    status: int
