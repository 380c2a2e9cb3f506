"""Supervision pages for district and city admins (auditors read them too): alerts by rule and
status, opening a case from alerts, assigning it within the district, deciding it (with the
consequences stated before the decision is confirmed), and the watch list.

Every page passes the permission table's row (``list_alerts``, ``open_case`` …); a district
admin sees only their district — anything else reads as 404 — and the writes go through
``timebank.supervision.services``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.models import User
from timebank.errors import InvalidInput, NotFound, TimebankError
from timebank.people.models import Organisation, Person
from timebank.supervision import services as supervision
from timebank.supervision.cases import case_alerts, case_people
from timebank.supervision.models import OUTCOMES, Alert, Case, CaseAlert, Watch
from timebank.web import context as wc
from timebank.web.case_views import case_detail, consequences, people_rows
from timebank.web.render import WebRoute, redirect, render
from timebank.web.supervision_words import (
    ALERT_STATUS_WORDS,
    CASE_STATUS_WORDS,
    OUTCOME_WORDS,
    RULE_NAMES,
)
from timebank.web.transactions import act, errors_of, read

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/a")
Text = Annotated[str, Form()]
DONE = {
    "opened": "已立案。下一步：分配给审查人。",
    "assigned": "已分配。",
    "decided": "已作出决定，并通知了当事人。",
}
PAGE = 100


def scope_of(web: wc.Web, op: str) -> str | None:
    """The district the signed-in admin may see (None: the whole city)."""
    principal = web.gate(op)
    return principal.district_code if principal.role is Role.DISTRICT_ADMIN else None


def writer(web: wc.Web) -> bool:
    return web.principal is not None and web.principal.role in (
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
    )


def _notice(web: wc.Web, done: str) -> str | None:
    return web._(DONE[done]) if done in DONE else None


def visible_alert(s: Session, district: str | None, alert_id: int) -> Alert:
    alert = s.get(Alert, alert_id)
    if alert is None or (district is not None and alert.district_code != district):
        raise NotFound(f"no alert {alert_id}", field="alert_ids")
    return alert


def visible_case(s: Session, district: str | None, case_id: int) -> Case:
    case = s.get(Case, case_id)
    if case is None or (district is not None and case.district_code != district):
        raise NotFound(f"no case {case_id}", field="case_id")
    return case


# Alerts -------------------------------------------------------------------------------------


def _filters(web: wc.Web, rule: str, status: str) -> dict[str, tuple[str, bool]]:
    errors: dict[str, tuple[str, bool]] = {}
    if rule and rule not in RULE_NAMES:
        errors["rule"] = (web._("请从列表里选一条规则"), False)
    if status and status not in ALERT_STATUS_WORDS:
        errors["status"] = (web._("请从列表里选一种状态"), False)
    return errors


def _alerts_page(
    web: wc.Web, district: str | None, rule: str, status: str, code: int = 200, **values: Any
) -> Response:
    errors = _filters(web, rule, status)
    errors.update(values.pop("errors", {}))
    if errors and code == 200:
        code = 422

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        query = select(Alert).order_by(Alert.score.desc(), Alert.id.desc()).limit(PAGE)
        if district:
            query = query.where(Alert.district_code == district)
        if rule in RULE_NAMES:
            query = query.where(Alert.rule == rule)
        if status in ALERT_STATUS_WORDS:
            query = query.where(Alert.status == status)
        alerts = list(s.execute(query).scalars())
        counts = select(Alert.rule, func.count()).group_by(Alert.rule)
        if district:
            counts = counts.where(Alert.district_code == district)
        return {"alerts": alerts, "counts": dict(s.execute(counts).tuples().all())}

    return render(
        web,
        "a_alerts.html",
        status=code,
        title=web._("预警"),
        rule=rule,
        status_filter=status,
        can_open=writer(web),
        errors=errors,
        **read(web, work),
        **values,
    )


@router.get("/alerts")
def alerts(request: Request, rule: str = "", status: str = "open") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "list_alerts")
    return _alerts_page(web, district, rule, status)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "get_alert")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        alert = visible_alert(s, district, alert_id)
        case_id = s.execute(
            select(CaseAlert.case_id).where(CaseAlert.alert_id == alert.id)
        ).scalar_one_or_none()
        return {
            "alert": alert,
            "case_id": case_id,
            "people": people_rows(web, s, actor, [int(p) for p in alert.people or []]),
        }

    return render(
        web,
        "a_alert.html",
        title=web._("预警详情"),
        can_open=writer(web),
        **read(web, work),
    )


# Cases --------------------------------------------------------------------------------------


@router.post("/cases")
def open_case(
    request: Request,
    alert_ids: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "open_case")
    raw = alert_ids or []
    try:
        if not raw or not all(a.isdigit() and len(a) <= 15 for a in raw):
            raise InvalidInput("choose at least one open alert", field="alert_ids")
        ids = sorted({int(a) for a in raw})

        def work(s: Session, actor: Actor) -> Case:
            for alert_id in ids:
                visible_alert(s, district, alert_id)
            return supervision.open_case(s, actor=actor, alert_ids=ids, at=web.now, note=note)

        case = act(web, work, target={"alerts": ",".join(map(str, ids))})
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors = errors_of(web, exc, ("alert_ids", "note"))
        return _alerts_page(web, district, "", "open", code=exc.status, errors=errors, note=note)
    return redirect(f"/a/cases/{case.id}?done=opened")


@router.get("/cases")
def cases(request: Request, status: str = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "list_cases")
    bad = bool(status) and status not in CASE_STATUS_WORDS

    def work(s: Session, actor: Actor) -> list[tuple[Case, int]]:
        alerts = (
            select(CaseAlert.case_id, func.count().label("n"))
            .group_by(CaseAlert.case_id)
            .subquery()
        )
        query = (
            select(Case, alerts.c.n)
            .join(alerts, alerts.c.case_id == Case.id)
            .order_by(Case.id.desc())
            .limit(PAGE)
        )
        if district:
            query = query.where(Case.district_code == district)
        if status and not bad:
            query = query.where(Case.status == status)
        return list(s.execute(query).tuples().all())

    errors = {"status": (web._("请从列表里选一种状态"), False)} if bad else {}
    return render(
        web,
        "a_cases.html",
        status=422 if bad else 200,
        title=web._("案件"),
        rows=read(web, work),
        status_filter=status,
        errors=errors,
    )


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, done: str = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "get_case")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        return case_detail(web, s, actor, visible_case(s, district, case_id))

    return render(
        web,
        "a_case.html",
        title=web._("案件 {n}", n=case_id),
        notice=_notice(web, done),
        can_write=writer(web),
        **read(web, work),
    )


def _assignees(s: Session, case: Case) -> list[tuple[int, str]]:
    rows = s.execute(
        select(User.id, User.display_name, User.role)
        .where(
            User.status == "active",
            or_(
                User.role == "city_admin",
                (User.role == "district_admin") & (User.district_code == case.district_code),
            ),
        )
        .order_by(User.role.desc(), User.id)
    ).all()
    return [(uid, name) for uid, name, _role in rows]


def _assign_page(
    web: wc.Web, district: str | None, case_id: int, code: int = 200, errors: Any = None
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = visible_case(s, district, case_id)
        return {"case": case, "choices": _assignees(s, case)}

    return render(
        web,
        "a_case_assign.html",
        status=code,
        title=web._("分配案件"),
        errors=errors or {},
        **read(web, work),
    )


@router.get("/cases/{case_id}/assign")
def assign_page(request: Request, case_id: int) -> Response:
    web = wc.web_of(request)
    return _assign_page(web, scope_of(web, "assign_case"), case_id)


@router.post("/cases/{case_id}/assign")
def assign(request: Request, case_id: int, assignee_user_id: Text = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "assign_case")
    try:
        if not assignee_user_id.isdigit() or len(assignee_user_id) > 15:
            raise InvalidInput("choose who reviews the case", field="assignee_user_id")

        def work(s: Session, actor: Actor) -> Case:
            visible_case(s, district, case_id)
            return supervision.assign_case(
                s, actor=actor, case_id=case_id, assignee_user_id=int(assignee_user_id), at=web.now
            )

        act(web, work, target={"case_id": case_id})
    except TimebankError as exc:
        if exc.status in (401, 403) or exc.field == "case_id":
            raise
        # The form has one field: whatever was wrong is said beside it.
        errors = {"assignee_user_id": errors_of(web, exc, ())["_"]}
        return _assign_page(web, district, case_id, code=exc.status, errors=errors)
    return redirect(f"/a/cases/{case_id}?done=assigned")


# Deciding: choose → see the consequences → confirm ---------------------------------------------


def _stations(s: Session, case: Case) -> list[tuple[int, str]]:
    rows = s.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.district_code == case.district_code, Organisation.kind == "station")
        .order_by(Organisation.name)
    ).all()
    return [(oid, name) for oid, name in rows]


def _decide_page(
    web: wc.Web,
    district: str | None,
    case_id: int,
    *,
    code: int = 200,
    errors: Any = None,
    form: dict[str, Any] | None = None,
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = visible_case(s, district, case_id)
        people = people_rows(web, s, actor, case_people(s, case.id))
        return {"case": case, "people": people, "stations": _stations(s, case)}

    return render(
        web,
        "a_case_decide.html",
        status=code,
        title=web._("作出决定"),
        errors=errors or {},
        form=form or {"organisation_ids": []},
        **read(web, work),
    )


@router.get("/cases/{case_id}/decide")
def decide_page(request: Request, case_id: int) -> Response:
    web = wc.web_of(request)
    return _decide_page(web, scope_of(web, "decide_case"), case_id)


def _org_ids(raw: list[str] | None) -> list[int]:
    values = raw or []
    if not all(v.isdigit() and len(v) <= 15 for v in values):
        raise InvalidInput("choose institutions from the list", field="organisation_ids")
    return sorted({int(v) for v in values})


@router.post("/cases/{case_id}/decide")
def decide(
    request: Request,
    case_id: int,
    outcome: Text = "",
    reason: Text = "",
    confirmed: Text = "",
    organisation_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "decide_case")
    form = {"outcome": outcome, "reason": reason, "organisation_ids": organisation_ids or []}
    try:
        if outcome not in OUTCOMES:
            raise InvalidInput("choose dismiss, warn or confirm fraud", field="outcome")
        if not reason.strip() or len(reason) > 1000:
            raise InvalidInput("write the reason (at most 1000 characters)", field="reason")
        orgs = _org_ids(organisation_ids) if outcome == "confirm_fraud" else []
        if orgs:  # listing institutions is its own row of the permission table
            scope_of(web, "mark_untrustworthy")
            scope_of(web, "decide_case")
        if confirmed != "1":
            return _confirm_page(web, district, case_id, outcome, reason, orgs)

        def work(s: Session, actor: Actor) -> None:
            case = visible_case(s, district, case_id)
            allowed = {oid for oid, _ in _stations(s, case)}
            if not set(orgs) <= allowed:
                raise InvalidInput(
                    "choose institutions of the case's district", field="organisation_ids"
                )
            supervision.decide_case(
                s,
                actor=actor,
                case_id=case_id,
                outcome=outcome,
                reason=reason,
                organisation_ids=orgs,
                at=web.now,
            )

        act(web, work, target={"case_id": case_id}, moves_coins=outcome == "confirm_fraud")
    except TimebankError as exc:
        if exc.status in (401, 403) or exc.field == "case_id":
            raise
        errors = errors_of(web, exc, ("outcome", "reason", "organisation_ids"))
        return _decide_page(web, district, case_id, code=exc.status, errors=errors, form=form)
    return redirect(f"/a/cases/{case_id}?done=decided")


def _confirm_page(
    web: wc.Web, district: str | None, case_id: int, outcome: str, reason: str, orgs: list[int]
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = visible_case(s, district, case_id)
        found = consequences(web, s, actor, case, case_alerts(s, case.id), outcome, orgs)
        return {"case": case, "c": found}

    return render(
        web,
        "a_case_confirm.html",
        title=web._("确认决定"),
        outcome=outcome,
        outcome_words=web._(OUTCOME_WORDS[outcome]),
        reason=reason,
        orgs=orgs,
        **read(web, work),
    )


# The watch list ---------------------------------------------------------------------------------


@router.get("/watch")
def watch_list(request: Request) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "watch_list")

    def work(s: Session, actor: Actor) -> list[tuple[Watch, str]]:
        query = (
            select(Watch, Person.full_name)
            .join(Person, Person.id == Watch.person_id)
            .where(Watch.lifted_at.is_(None))
            .order_by(Watch.last_alert_at.desc())
            .limit(PAGE)
        )
        if district:
            query = query.where(Person.district_code == district)
        return list(s.execute(query).tuples().all())

    return render(web, "a_watch.html", title=web._("观察名单"), rows=read(web, work))
