"""Bodies of the coin endpoints: balances, statements, gifts, donations, staff corrections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from timebank.api.schemas.auth import Strict
from timebank.api.types import Id, Minutes, Reason
from timebank.ledger.core import Posted
from timebank.ledger.services import Balances


class BalanceOut(BaseModel):
    person_id: int
    earned: int = Field(description="Own-earned coins, in minutes", examples=[540])
    received: int = Field(description="Gifted or allocated coins, in minutes", examples=[0])
    held: int = Field(description="Held for published needs, in minutes", examples=[90])
    available: int = Field(examples=[450])
    service_minutes: int = Field(description="Own lifetime service", examples=[540])
    star_level: int
    admission_eligible: bool

    @classmethod
    def of(cls, person_id: int, b: Balances) -> BalanceOut:
        return cls(
            person_id=person_id,
            earned=b.earned,
            received=b.received,
            held=b.held,
            available=b.available,
            service_minutes=b.service_minutes,
            star_level=b.star_level,
            admission_eligible=b.admission_eligible,
        )


class StatementLineOut(BaseModel):
    n: int = Field(description="Position in the statement (the pagination key)")
    transfer_id: int
    at: datetime
    account: str
    kind: str
    phase: str
    amount: int
    held: int
    balance: int
    reference: str | None


class TransferOut(BaseModel):
    id: int
    key: str
    kind: str
    phase: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    reference: str | None
    value_date: date | None
    created_at: datetime
    replayed: bool

    @classmethod
    def of(cls, p: Posted) -> TransferOut:
        return cls(
            id=p.id,
            key=p.key,
            kind=p.kind,
            phase=p.phase,
            debit_account_id=p.debit_account_id,
            credit_account_id=p.credit_account_id,
            amount=p.amount,
            reference=p.reference,
            value_date=p.value_date,
            created_at=p.created_at,
            replayed=p.replayed,
        )


class GiftIn(Strict):
    recipient_id: Id
    amount: Minutes = Field(examples=[120])
    # "received" (coins gifted to the giver) only where the policy allows re-gifting.
    source: Literal["earned", "received"] = "earned"


class DonationIn(Strict):
    amount: Minutes
    source: Literal["earned", "received"] = "earned"


class AllocationIn(Strict):
    amount: Minutes
    reason: Reason


class ReversalIn(Strict):
    reason: Reason


class VerifyOut(BaseModel):
    ok: bool
    transfers: int
    accounts: int
    seals: int
    sealed_transfers: int
    outstanding_minutes: int
    first_bad_transfer: int | None
    problems: list[dict[str, Any]]


class SealOut(BaseModel):
    sealed: bool
    seal_id: int | None = None
    transfer_count: int = 0
    merkle_root: str | None = None


class PolicyOut(BaseModel):
    values: dict[str, Any]


class PolicyIn(Strict):
    values: dict[str, int | bool | list[int] | list[str]] = Field(
        max_length=40, examples=[{"daily_credit_cap_minutes": 480}]
    )


class ItemOut(BaseModel):
    id: int
    category_code: str
    district_code: str | None
    code: str
    name_zh: str
    name_en: str
    professional: bool
    required_qualification: str | None
    risk_level: str
    active: bool


class ItemIn(Strict):
    district_code: str = Field(pattern=r"^[0-9]{6}$")
    category_code: str = Field(max_length=48, pattern=r"^[a-z_]+$")
    code: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_]+$")
    name_zh: str = Field(min_length=1, max_length=96)
    name_en: str = Field(min_length=1, max_length=96)
    professional: bool = False
    required_qualification: str | None = Field(default=None, max_length=32)
    risk_level: Literal["low", "medium", "high"] = "low"


class ActiveIn(Strict):
    active: bool


class OrganisationIn(Strict):
    kind: Literal["station", "care_home", "service_org"]
    name: str = Field(min_length=1, max_length=128)
    district_code: str = Field(pattern=r"^[0-9]{6}$")
    street_code: str | None = Field(default=None, pattern=r"^[0-9]{9}$")


class OrganisationOut(BaseModel):
    id: int
    kind: str
    name: str
    district_code: str
    street_code: str | None
    confirmed_by_street_at: datetime | None
    untrustworthy: bool


class DashboardOut(BaseModel):
    """The admin dashboard's numbers for a district (or the city when ``district_code`` is
    null). Hours are decimal hours; coins are integer minutes."""

    district_code: str | None
    volunteers: int
    elders: int
    needs_by_status: dict[str, int]
    match_rate: float | None = Field(description="matched ÷ (matched + unmatched) needs")
    hours_by_category: dict[str, float]
    hours_by_month: list[tuple[str, float]]
    outstanding_minutes: int
    pool_minutes: int | None
    open_alerts: int
    open_cases: int
    alerts_by_rule: dict[str, int]
