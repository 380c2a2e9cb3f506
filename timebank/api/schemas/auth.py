"""Bodies of the sign-in endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from timebank.api.types import (
    Address,
    Code,
    DistrictCode,
    Id,
    IdNumber,
    Lat,
    Lon,
    Name,
    Password,
    Phone,
    StreetCode,
)
from timebank.auth.models import User


class Strict(BaseModel):
    """A request body: unknown fields are refused, and so is text no database can store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check_text(data)
        return data


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k)
            _check_text(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_text(v)


class RegisterIn(Strict):
    full_name: Name
    id_number: IdNumber
    phone: Phone
    password: Password
    role: Literal["volunteer", "elder", "proxy"] = "volunteer"
    district_code: DistrictCode
    street_code: StreetCode | None = None
    address: Address | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    is_student: bool = False


class RegisteredOut(BaseModel):
    user_id: int
    person_id: int
    status: str = Field(examples=["unverified"])
    next: str = Field(examples=["POST /api/v1/auth/verify-phone with the SMS code"])


class VerifyIn(Strict):
    phone: Phone
    code: Code


class CodeIn(Strict):
    phone: Phone
    purpose: Literal["verify", "reset", "login"]


class AcceptedOut(BaseModel):
    status: str = Field(examples=["accepted"])
    detail: str


class SignInIn(Strict):
    grant_type: Literal["password", "otp"] = "password"
    phone: Phone
    password: Password | None = None
    code: Code | None = None


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(examples=[900])


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class RevokeIn(Strict):
    token: str = Field(min_length=1, max_length=200)


class SessionIn(Strict):
    phone: Phone
    password: Password


class SessionOut(BaseModel):
    csrf_token: str = Field(description="Send as X-CSRF-Token on every POST with the cookie")
    expires_at: datetime


class ResetIn(Strict):
    phone: Phone
    code: Code
    new_password: Password


class ChangePasswordIn(Strict):
    old_password: Password
    new_password: Password


class UserOut(BaseModel):
    id: int
    role: str
    status: str
    phone_masked: str = Field(examples=["138****8000"])
    display_name: str
    person_id: int | None
    org_id: int | None
    district_code: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            role=user.role,
            status=user.status,
            phone_masked=mask_phone(user.phone),
            display_name=user.display_name,
            person_id=user.person_id,
            org_id=user.org_id,
            district_code=user.district_code,
            created_at=user.created_at,
        )


class NewUserIn(Strict):
    phone: Phone
    password: Password
    role: Literal[
        "volunteer", "elder", "proxy", "station", "district_admin", "city_admin", "auditor"
    ]
    display_name: Name
    person_id: Id | None = None
    org_id: Id | None = None
    district_code: DistrictCode | None = None


class UserStatusIn(Strict):
    status: Literal["active", "disabled"]


class GrantIn(Strict):
    proxy_phone: Phone


class GrantOut(BaseModel):
    id: int
    proxy_user_id: int
    principal_id: int
    granted_by: str
    created_at: datetime
    revoked_at: datetime | None


class OutboxOut(BaseModel):
    id: int
    channel: str
    recipient: str
    body: str
    created_at: datetime


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
