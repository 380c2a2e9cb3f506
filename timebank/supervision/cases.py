"""Cases: alerts grouped for review by their district, assigned, and decided.

A district admin acts only on cases of their own district; the city admin anywhere. Each use
case writes its audit entry in the same transaction; none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.audit.services import record_act
from timebank.auth.models import User
from timebank.errors import Conflict, InvalidInput, NotFound, RuleViolation
from timebank.notices.notify import Draft, notify
from timebank.people.models import Person
from timebank.people.rules import required_text
from timebank.people.scope import require_admin_in
from timebank.supervision import lifecycle, sanctions
from timebank.supervision.models import Alert, Case, CaseAlert, Decision, Sanction
from timebank.supervision.plans import plan_decision

# Re-exported (they moved to the read side, ``queries``): callers still import them from here.
from timebank.supervision.queries import case_alerts as case_alerts
from timebank.supervision.queries import case_people as case_people
from timebank.supervision.records import audit_target

WARNING = (
    "【时间银行】经核查，您账户的部分服务或时间币记录违反规定，现予以警告。如有异议，可提出申诉。"
)
WARNING_EN = (
    "[Time Bank] After review, some visit or time-coin records on your account broke the rules: "
    "this is a warning. You may appeal if you disagree."
)


def get_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    found = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no case {case_id}", field="case_id")
    return found


def open_case(
    session: Session,
    *,
    actor: Actor,
    alert_ids: Sequence[int],
    at: datetime,
    note: str | None = None,
    district_code: str | None = None,
) -> Case:
    """Group open alerts into a case of one district (the alerts' own, unless the city says)."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="supervision_role")
    ids = sorted(set(alert_ids))
    if not ids:
        raise InvalidInput("name at least one alert", field="alert_ids")
    alerts = {
        a.id: a
        for a in session.execute(select(Alert).where(Alert.id.in_(ids)).with_for_update())
        .scalars()
        .all()
    }
    for alert_id in ids:
        if alert_id not in alerts:
            raise NotFound(f"no alert {alert_id}", field="alert_ids")
        if alerts[alert_id].status != "open":
            raise Conflict(
                f"alert {alert_id} is {alerts[alert_id].status}, not open", rule="alert_open"
            )
    districts = {a.district_code for a in alerts.values()}
    if district_code is None:
        if len(districts) != 1 or None in districts:
            raise InvalidInput(
                "the alerts belong to several districts (or none): name the case's district",
                field="district_code",
            )
        district_code = next(iter(districts))
    assert district_code is not None
    require_admin_in(actor, district_code)
    if actor.role is Role.DISTRICT_ADMIN and districts != {district_code}:
        raise RuleViolation("a district admin groups only their district's alerts", rule="scope")
    case = Case(
        district_code=district_code,
        status="open",
        note=note.strip() if note and note.strip() else None,
        opened_by=actor.label[:80],
        opened_at=at,
        updated_at=at,
    )
    session.add(case)
    session.flush()
    session.add_all(CaseAlert(case_id=case.id, alert_id=i) for i in ids)
    for alert in alerts.values():
        alert.status = "in_case"
    _audit(session, actor, "supervision.case_open", case, at, alerts=ids)
    session.flush()
    return case


def assign_case(
    session: Session, *, actor: Actor, case_id: int, assignee_user_id: int, at: datetime
) -> Case:
    """Give the case to a reviewer: a district admin of the case's district, or the city."""
    case = get_case(session, case_id, lock=True)
    require_admin_in(actor, case.district_code)
    lifecycle.require_case_move(case.id, case.status, "assigned")
    user = session.get(User, assignee_user_id)
    if user is None or user.status != "active":
        raise NotFound(f"no active user {assignee_user_id}", field="assignee_user_id")
    in_district = user.role == "district_admin" and user.district_code == case.district_code
    if not (in_district or user.role == "city_admin"):
        raise RuleViolation(
            f"user {user.id} is not an admin of district {case.district_code}",
            rule="assignee_district",
        )
    case.status, case.assignee_user_id = "assigned", user.id
    case.assignee = f"{user.role}:{user.id}({user.display_name})"[:80]
    case.assigned_by, case.assigned_at, case.updated_at = actor.label[:80], at, at
    _audit(session, actor, "supervision.case_assign", case, at, assignee=user.id)
    session.flush()
    return case


def decide_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    outcome: str,
    reason: str,
    at: datetime,
    person_ids: Sequence[int] | None = None,
    organisation_ids: Sequence[int] = (),
    transfer_ids: Sequence[int] = (),
) -> Decision:
    """Dismiss, warn, or confirm fraud. ``person_ids`` defaults to everyone the alerts name;
    ``organisation_ids`` go on the untrustworthy list (station alerts add their station);
    ``transfer_ids`` are reversed beyond the service credits the alerts name.

    Deciding again with the same outcome is a retry: it finishes whatever is missing and
    repeats nothing (the ledger keys derive from the case). Another outcome is refused.
    What it does is ``plans.plan_decision``'s plan, the one the confirmation page shows."""
    case = get_case(session, case_id, lock=True)
    require_admin_in(actor, case.district_code)
    why = required_text(reason, field="reason", max_len=1000)
    target = lifecycle.state_for(outcome)
    decision = session.execute(
        select(Decision).where(Decision.case_id == case.id)
    ).scalar_one_or_none()
    if decision is not None and decision.outcome != outcome:
        raise Conflict(
            f"case {case.id} was already decided: {decision.outcome}", rule="case_decided"
        )
    if decision is None:
        lifecycle.require_case_move(case.id, case.status, target)
    plan = plan_decision(
        session,
        case,
        outcome,
        person_ids=person_ids,
        organisation_ids=organisation_ids,
        transfer_ids=transfer_ids,
    )
    people, alerts = list(plan.people), plan.alerts
    if outcome == "confirm_fraud":
        sanctions.apply_fraud(session, actor=actor, case=case, plan=plan, reason=why, at=at)
    elif outcome == "warn":
        _warn(session, actor, case, people, at)
    else:
        sanctions.lift_watch(session, actor=actor, people=people, at=at, except_case=case.id)
    if decision is None:
        decision = Decision(
            case_id=case.id, outcome=outcome, reason=why, decided_by=actor.label[:80], decided_at=at
        )
        session.add(decision)
        case.status, case.updated_at = target, at
        session.execute(
            update(Alert)
            .where(Alert.id.in_([a.id for a in alerts]))
            .values(status="closed")
            .execution_options(synchronize_session="fetch")
        )
    _audit(session, actor, f"supervision.case_{outcome}", case, at, people=people)
    session.flush()
    return decision


def confirm_fraud(
    session: Session, *, actor: Actor, case_id: int, reason: str, at: datetime, **options: object
) -> Decision:
    """``decide_case(outcome="confirm_fraud")``: disqualify, reverse, list the institutions."""
    return decide_case(
        session,
        actor=actor,
        case_id=case_id,
        outcome="confirm_fraud",
        reason=reason,
        at=at,
        **options,  # type: ignore[arg-type]
    )


def _warn(session: Session, actor: Actor, case: Case, people: list[int], at: datetime) -> None:
    """Warn each person once (by SMS when they have a phone; always in their inbox)."""
    done = set(
        session.execute(
            select(Sanction.person_id).where(
                Sanction.case_id == case.id, Sanction.kind == "warning"
            )
        ).scalars()
    )
    for person in session.execute(select(Person).where(Person.id.in_(people))).scalars():
        if person.id in done:
            continue
        session.add(
            Sanction(case_id=case.id, kind="warning", person_id=person.id, at=at, by=actor.label)
        )
        draft = Draft(
            key=f"case_warning:{case.id}:{person.id}",
            kind="case_warning",
            text_zh=WARNING,
            text_en=WARNING_EN,
            person_id=person.id,
            phone=person.phone,
        )
        notify(session, draft=draft, at=at)


def _audit(
    session: Session, actor: Actor, act: str, case: Case, at: datetime, **target: object
) -> None:
    record_act(
        session,
        actor=actor,
        act=act,
        target=audit_target(case=case.id, **target),
        status=200,
        at=at,
    )
