"""Service categories (city) and items (city-wide or one district's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime


class ServiceCategory(Base):
    __tablename__ = "service_categories"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    sort: Mapped[int] = mapped_column(Integer)


class ServiceItem(Base):
    __tablename__ = "service_items"
    __table_args__ = (
        UniqueConstraint("district_code", "code"),
        CheckConstraint("risk_level IN ('low','medium','high')", name="risk_level"),
        CheckConstraint(
            "NOT professional OR required_qualification IS NOT NULL", name="professional_needs_type"
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("service_categories.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))  # None: city
    code: Mapped[str] = mapped_column(String(48))
    name_zh: Mapped[str] = mapped_column(String(96))
    name_en: Mapped[str] = mapped_column(String(128))
    professional: Mapped[bool] = mapped_column(Boolean, default=False)
    required_qualification: Mapped[str | None] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(8), default="low")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
