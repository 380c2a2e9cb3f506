"""Persistence for people and the places and organisations they belong to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime


class District(Base):
    __tablename__ = "districts"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260
    name_zh: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Street(Base):
    """A street (街道) or township (乡镇) within a district."""

    __tablename__ = "streets"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Community(Base):
    """A community (社区 / 村) within a street; imported with the city's geography."""

    __tablename__ = "communities"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("streets.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Organisation(Base):
    """A station (服务网点), public care home or service organisation."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('station','care_home','service_org')", name="kind"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The city's own code for a station imported with its geography; None for the others.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    street_code: Mapped[str | None] = mapped_column(ForeignKey("streets.code"))
    confirmed_by_street_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    untrustworthy: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active','suspended','disqualified','deceased','exited')", name="status"
        ),
        CheckConstraint(
            "volunteer_status IN ('none','pending','active','disqualified')",
            name="volunteer_status",
        ),
        CheckConstraint("sex IN ('M','F')", name="sex"),
        CheckConstraint(
            "residency_kind IS NULL OR residency_kind IN ('hukou','residence_permit')",
            name="residency_kind",
        ),
        CheckConstraint(
            "priority_reason IS NULL OR priority_reason IN ('alone_80','shidu','dibao_disabled')",
            name="priority_reason",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(64))
    # Resident ID: encrypted (AES-GCM), looked up by a keyed hash, shown masked.
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_cipher: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    street_code: Mapped[str | None] = mapped_column(ForeignKey("streets.code"))
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    residency_kind: Mapped[str | None] = mapped_column(String(20))  # hukou | residence_permit
    residency_ref: Mapped[str | None] = mapped_column(String(64))
    residency_valid_until: Mapped[date | None] = mapped_column(Date)  # residence permits expire
    residency_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    residency_verified_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    health_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    health_fit: Mapped[bool | None] = mapped_column(Boolean)  # what the declaration said
    is_student: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    volunteer_status: Mapped[str] = mapped_column(String(16), default="none")
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # Priority elders may have needs funded from the donation pool (DESIGN §2, INF):
    # alone_80 (80+ living alone), shidu (失独), dibao_disabled (低保 and disabled).
    priority_reason: Mapped[str | None] = mapped_column(String(20))
    died_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrainingRecord(Base):
    __tablename__ = "training_records"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    course: Mapped[str] = mapped_column(String(64))
    completed_on: Mapped[date] = mapped_column(Date)
    confirmed_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Kinship(Base):
    """``relative`` is the ``relation`` of ``person`` (e.g. relative is person's parent)."""

    __tablename__ = "kinships"
    __table_args__ = (
        UniqueConstraint("person_id", "relative_id"),
        CheckConstraint(
            "relation IN ('spouse','parent','child','grandparent','grandchild')", name="relation"
        ),
        CheckConstraint("status IN ('pending','verified','rejected')", name="status"),
        CheckConstraint("person_id <> relative_id", name="not_self"),
        Index("ix_kinships_relative", "relative_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    relative_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    relation: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    declared_by: Mapped[str] = mapped_column(String(80))  # actor label, e.g. "proxy:7 for person:3"
    verified_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # verified or rejected
    note: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Qualification(Base):
    __tablename__ = "qualifications"
    __table_args__ = (
        CheckConstraint("status IN ('pending','verified','rejected','cancelled')", name="status"),
        UniqueConstraint("person_id", "type", "number"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    verified_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # why it was rejected or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
