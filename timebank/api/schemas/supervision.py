"""Bodies of the supervision endpoints: alerts, the watch list, cases, appeals, the public
untrustworthy list, scans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from timebank.api.schemas.auth import Strict
from timebank.api.types import DistrictCode, Id, Note, Reason
from timebank.supervision.models import (
    Alert,
    Appeal,
    Case,
    Decision,
    Sanction,
    UntrustworthyEntry,
    Watch,
)


class AlertOut(BaseModel):
    id: int
    rule: str
    subject_kind: str = Field(description="visit, person, person_day, pair, ring, gift, …")
    subject_id: str
    score: float = Field(description="0–1; 0.5 at the rule's threshold")
    evidence: dict[str, Any]
    people: list[int] = Field(description="The accounts the alert names (watched, reminded)")
    station_id: int | None
    district_code: str | None
    source: str = Field(description="scan or live (the write-time check)")
    status: str
    run_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls.model_validate(alert, from_attributes=True)


class WatchOut(BaseModel):
    person_id: int
    since: datetime
    alerts: int
    last_alert_at: datetime
    reminded_at: datetime | None
    lifted_at: datetime | None
    lifted_by: str | None

    @classmethod
    def of(cls, watch: Watch) -> WatchOut:
        return cls.model_validate(watch, from_attributes=True)


class CaseIn(Strict):
    alert_ids: list[Id] = Field(min_length=1, max_length=200, examples=[[1, 2]])
    note: Note | None = None
    district_code: DistrictCode | None = Field(
        default=None, description="Only the city admin, for alerts of several districts"
    )


class AssignIn(Strict):
    assignee_user_id: Id = Field(description="A district admin of the case's district, or city")


class DecisionIn(Strict):
    outcome: Literal["dismiss", "warn", "confirm_fraud"]
    reason: Reason
    person_ids: list[Id] | None = Field(
        default=None, max_length=200, description="Default: everyone the case's alerts name"
    )
    organisation_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Put on the untrustworthy list"
    )
    transfer_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="Reversed beyond the service credits the alerts name",
    )


class CaseOut(BaseModel):
    id: int
    district_code: str
    status: str
    note: str | None
    opened_by: str
    opened_at: datetime
    assignee_user_id: int | None
    assignee: str | None
    assigned_by: str | None
    assigned_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        return cls.model_validate(case, from_attributes=True)


class DecisionOut(BaseModel):
    case_id: int
    outcome: str
    reason: str
    decided_by: str
    decided_at: datetime

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls.model_validate(decision, from_attributes=True)


class SanctionOut(BaseModel):
    id: int
    kind: str = Field(description="warning, disqualification or reversal")
    person_id: int
    transfer_id: int | None
    reversal_id: int | None
    minutes: int | None
    at: datetime
    by: str
    lifted_at: datetime | None
    lifted_by: str | None
    restore_id: int | None = Field(description="The transfer that gave a reversal back")
    note: str | None

    @classmethod
    def of(cls, sanction: Sanction) -> SanctionOut:
        return cls.model_validate(sanction, from_attributes=True)


class AppealIn(Strict):
    reason: Reason


class AppealDecisionIn(Strict):
    uphold: bool = Field(description="true: the case is overturned and its sanctions undone")
    reason: Reason


class AppealOut(BaseModel):
    id: int
    case_id: int
    filed_by: str
    filed_at: datetime
    reason: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None

    @classmethod
    def of(cls, appeal: Appeal) -> AppealOut:
        return cls.model_validate(appeal, from_attributes=True)


class ListingIn(Strict):
    listed: bool = Field(
        default=True,
        description="false lifts the listings made outside a case (a case's listing comes "
        "off only by an upheld appeal)",
    )
    reason: Reason


class ListingOut(BaseModel):
    """An entry of the public untrustworthy list (失信名单)."""

    id: int
    organisation_id: int
    organisation_name: str
    district_code: str
    case_id: int | None
    reason: str
    listed_at: datetime
    lifted_at: datetime | None
    lift_reason: str | None

    @classmethod
    def of(cls, entry: UntrustworthyEntry, name: str, district_code: str) -> ListingOut:
        return cls(
            id=entry.id,
            organisation_id=entry.organisation_id,
            organisation_name=name,
            district_code=district_code,
            case_id=entry.case_id,
            reason=entry.reason,
            listed_at=entry.listed_at,
            lifted_at=entry.lifted_at,
            lift_reason=entry.lift_reason,
        )


class CaseDetailOut(CaseOut):
    alert_ids: list[int]
    people: list[int]
    decision: DecisionOut | None
    sanctions: list[SanctionOut]
    appeals: list[AppealOut]
    listings: list[ListingOut]


class ScanIn(Strict):
    since: date | None = Field(
        default=None, description="Only facts from this local day (history windows still read)"
    )


class ScanOut(BaseModel):
    run_id: int
    visits: int
    transfers: int
    accounts: int
    alerts: int
    new_alerts: int
    counts: dict[str, int] = Field(description="Alerts found per rule (every rule present)")
    new: dict[str, int] = Field(description="Of which stored for the first time")
