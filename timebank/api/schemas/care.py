"""Bodies of needs, visits, paper records and admission applications."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from timebank.api.schemas.auth import Strict
from timebank.api.schemas.people import ReasonIn as ReasonIn
from timebank.api.types import Address, Code, Id, Lat, Lon, Minutes, Note, Rating, Reason, When
from timebank.care.admission import AdmissionApplication
from timebank.care.models import Need, Visit


class NeedIn(Strict):
    elder_id: Id
    item_id: Id
    description: str = Field(min_length=1, max_length=500, examples=["陪老人聊天、读报"])
    window_start: When
    window_end: When = Field(examples=["2026-03-03T12:00:00+08:00"])
    expected_minutes: Minutes = Field(examples=[90])
    payer_id: Id | None = None
    address: Address | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    preferences: dict[str, str] | None = Field(default=None, max_length=20)
    attendee_ids: list[Id] = Field(default_factory=list, max_length=10)
    funding: Literal["own", "pool"] = "own"
    repeat_weeks: int = Field(default=1, ge=1, le=26)


class NeedOut(BaseModel):
    id: int
    elder_id: int
    payer_id: int
    item_id: int
    district_code: str
    station_id: int | None
    description: str
    address: str
    lat: float
    lon: float
    window_start: datetime
    window_end: datetime
    expected_minutes: int
    funding: str
    source: str
    status: str
    series_id: int | None
    volunteer_id: int | None
    published_by: str
    reviewed_by: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, need: Need) -> NeedOut:
        return cls.model_validate(need, from_attributes=True)


class ReviewIn(Strict):
    approve: bool
    reason: Note = ""


class AssignIn(Strict):
    volunteer_id: Id


class DispatchOut(BaseModel):
    assignments: list[dict[str, int]]
    unassigned: list[int]
    total_travel_m: int


class NearbyOut(BaseModel):
    need_id: int
    distance_m: int
    start: datetime
    wait_s: int
    score: float


class VisitOut(BaseModel):
    id: int
    need_id: int
    volunteer_id: int
    elder_id: int
    status: str
    source: str
    scheduled_start: datetime
    scheduled_end: datetime
    check_in_at: datetime | None
    check_in_method: str | None
    check_out_at: datetime | None
    duration_minutes: int | None
    credited_minutes: int | None
    paid_minutes: int | None
    rating: int | None
    comment: str | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    entered_by: str | None
    dispute_reason: str | None
    resolution: str | None
    created_at: datetime

    @classmethod
    def of(cls, visit: Visit) -> VisitOut:
        return cls.model_validate(visit, from_attributes=True)


class CheckIn(Strict):
    code: Code | None = Field(default=None, description="The elder's rotating 6-digit code")
    lat: Lat | None = None
    lon: Lon | None = None
    device: str | None = Field(default=None, max_length=64, pattern=r"^[\x20-\x7e]*$")


class CheckOut(Strict):
    code: Code | None = None
    lat: Lat | None = None
    lon: Lon | None = None


class ConfirmIn(Strict):
    rating: Rating
    comment: Note = ""
    device: str | None = Field(default=None, max_length=64, pattern=r"^[\x20-\x7e]*$")


class ResolveIn(Strict):
    uphold: bool
    minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    resolution: Reason


class CodeOut(BaseModel):
    elder_id: int
    code: str = Field(examples=["042917"])
    valid_for_s: int = Field(examples=[60])
    qr_svg: str | None = None


class PaperRow(Strict):
    volunteer_id_number: str = Field(max_length=18, pattern=r"^[0-9Xx]*$")
    elder_id_number: str = Field(max_length=18, pattern=r"^[0-9Xx]*$")
    item_code: str = Field(max_length=48, pattern=r"^[A-Za-z0-9_]*$")
    start: str = Field(max_length=20, examples=["2026-03-01 09:00"], pattern=r"^[0-9 :/T-]*$")
    end: str = Field(max_length=20, examples=["2026-03-01 10:30"], pattern=r"^[0-9 :/T-]*$")
    note: Note = ""


class PaperImportIn(Strict):
    rows: list[PaperRow] = Field(min_length=1, max_length=5000)
    partial: bool = False


class RowErrorOut(BaseModel):
    row: int
    field: str
    message: str


class PaperImportOut(BaseModel):
    created: list[int]
    errors: list[RowErrorOut]


class ApprovalIn(Strict):
    approve: bool
    reason: Note = ""


class AdmissionIn(Strict):
    person_id: Id
    care_home_id: Id | None = None


class DecisionIn(Strict):
    approve: bool
    reason: Note = ""


class AdmissionOut(BaseModel):
    id: int
    person_id: int
    district_code: str
    care_home_id: int | None
    status: str
    hold_id: int
    station_decided_by: str | None
    decided_by: str | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, app: AdmissionApplication) -> AdmissionOut:
        return cls.model_validate(app, from_attributes=True)


def jsonable_preferences(raw: dict[str, Any] | None) -> dict[str, Any]:
    return dict(raw or {})
