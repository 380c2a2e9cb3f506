"""The 10,000 rule: an eligible volunteer applies to enter a public care home in the home
district on 特困人员 terms; the coins are held while a station and then the district decide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.actors import Actor, Role
from timebank.care.stations import require_trusted_station
from timebank.db import Base, BigId, UTCDateTime
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.ledger import rules
from timebank.ledger import services as ledger
from timebank.ledger.models import Transfer
from timebank.ledger.services import account_of, settle_holds
from timebank.people.models import Organisation, Person
from timebank.policy import Policy


class AdmissionApplication(Base):
    __tablename__ = "admission_applications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('submitted','station_approved','approved','rejected','withdrawn')",
            name="status",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    care_home_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    hold_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"))
    station_decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def apply_for_admission(
    session: Session,
    *,
    actor: Actor,
    key: str,
    person_id: int,
    care_home_id: int | None,
    policy: Policy,
    at: datetime,
) -> AdmissionApplication:
    actor.require_self_or_proxy(person_id)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", field="person_id")
    rules.require_can_move(
        rules.PersonFacts(person.id, person.status, person.birth_date), role="applicant"
    )
    open_app = session.execute(
        select(AdmissionApplication).where(
            AdmissionApplication.person_id == person_id,
            AdmissionApplication.status.in_(("submitted", "station_approved")),
        )
    ).scalar_one_or_none()
    if open_app is not None:
        raise Conflict("an admission application is already being decided", rule="one_open")
    if care_home_id is not None:
        home = session.get(Organisation, care_home_id)
        if home is None or home.kind != "care_home":
            raise InvalidInput("no such public care home", field="care_home_id")
        if home.district_code != person.district_code:
            raise RuleViolation("the care home must be in the home district", rule="home_district")
    earned = account_of(session, person_id, "earned")
    if not rules.admission_eligible(
        earned.service_minutes, earned.balance - earned.pending, policy
    ):
        raise RuleViolation(
            f"needs {policy.admission_service_minutes // 60} hours of own service and "
            f"{policy.admission_balance_minutes // 60} own-earned coins "
            f"(has {earned.service_minutes // 60} h and {(earned.balance - earned.pending) // 60})",
            rule="admission_10000",
        )
    hold = ledger.hold_for_admission(
        session,
        actor=actor,
        key=key,
        person_id=person_id,
        amount=policy.admission_balance_minutes,
        at=at,
    )
    app = AdmissionApplication(
        person_id=person_id,
        district_code=person.district_code,
        care_home_id=care_home_id,
        hold_id=hold.id,
        created_at=at,
    )
    session.add(app)
    session.flush()
    return app


def _get(session: Session, application_id: int) -> AdmissionApplication:
    app = session.get(AdmissionApplication, application_id)
    if app is None:
        raise NotFound(f"no admission application {application_id}", field="application_id")
    return app


def _in_scope(actor: Actor, app: AdmissionApplication) -> None:
    if actor.role is not Role.CITY_ADMIN and actor.district_code != app.district_code:
        raise PermissionDenied("the application is in another district", rule="district_scope")


def station_review(
    session: Session,
    *,
    actor: Actor,
    application_id: int,
    approve: bool,
    reason: str,
    at: datetime,
) -> AdmissionApplication:
    actor.require(Role.STATION, rule="admission_station_review")
    app = _get(session, application_id)
    _in_scope(actor, app)
    require_trusted_station(session, actor)
    if app.status != "submitted":
        raise Conflict(f"the application is {app.status}", rule="admission_state")
    app.station_decided_by = actor.label
    if approve:
        app.status = "station_approved"
        session.flush()
        return app
    return _close(session, app, actor=actor, status="rejected", reason=reason, spend=False, at=at)


def district_decide(
    session: Session,
    *,
    actor: Actor,
    application_id: int,
    approve: bool,
    reason: str,
    policy: Policy,
    at: datetime,
) -> AdmissionApplication:
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="admission_district_decision")
    app = _get(session, application_id)
    _in_scope(actor, app)
    if app.status != "station_approved":
        raise Conflict(
            f"the application is {app.status}; a station reviews it first", rule="admission_state"
        )
    status = "approved" if approve else "rejected"
    spend = approve and policy.admission_consumes_coins
    return _close(session, app, actor=actor, status=status, reason=reason, spend=spend, at=at)


def withdraw_admission(
    session: Session, *, actor: Actor, application_id: int, at: datetime
) -> AdmissionApplication:
    app = _get(session, application_id)
    actor.require_self_or_proxy(app.person_id)
    if app.status not in ("submitted", "station_approved"):
        raise Conflict(f"the application is {app.status}", rule="admission_state")
    return _close(session, app, actor=actor, status="withdrawn", reason="", spend=False, at=at)


def _close(
    session: Session,
    app: AdmissionApplication,
    *,
    actor: Actor,
    status: str,
    reason: str,
    spend: bool,
    at: datetime,
) -> AdmissionApplication:
    hold = session.get(Transfer, app.hold_id)
    assert hold is not None
    settle_holds(
        session,
        actor=actor,
        key=f"admission:{app.id}:close",
        hold_ids=[hold.id],
        amount=hold.amount if spend else 0,
        at=at,
    )
    app.status, app.reason, app.decided_by, app.decided_at = status, reason, actor.label, at
    session.flush()
    return app
