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
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.errors import InvalidInput, TimebankError
from timebank.paging import Window
from timebank.people.queries import stations_of
from timebank.supervision import queries as q
from timebank.supervision import services as supervision
from timebank.supervision.models import OUTCOMES, Case, Watch
from timebank.supervision.plans import plan_decision
from timebank.web import context as wc
from timebank.web.case_views import case_detail, consequences, people_rows
from timebank.web.forms import attempt
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


# Alerts -------------------------------------------------------------------------------------


def _filters(web: wc.Web, rule: str, status: str) -> dict[str, tuple[str, bool]]:
    errors: dict[str, tuple[str, bool]] = {}
    if rule and rule not in RULE_NAMES:
        errors["rule"] = (web._("请从列表里选一条规则"), False)
    if status and status not in ALERT_STATUS_WORDS:
        errors["status"] = (web._("请从列表里选一种状态"), False)
    return errors


def _alerts_page(web: wc.Web, rule: str, status: str, code: int = 200, **values: Any) -> Response:
    errors = _filters(web, rule, status)
    errors.update(values.pop("errors", {}))
    if errors and code == 200:
        code = 422

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        found = q.alerts(
            s,
            actor,
            Window(limit=PAGE),
            rule=rule if rule in RULE_NAMES else None,
            status=status if status in ALERT_STATUS_WORDS else None,
            by_score=True,
        )
        return {"alerts": found.items, "total": found.total, "counts": q.alert_counts(s, actor)}

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
    scope_of(web, "list_alerts")
    return _alerts_page(web, rule, status)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int) -> Response:
    web = wc.web_of(request)
    scope_of(web, "get_alert")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        alert = q.alert(s, actor, alert_id)
        return {
            "alert": alert,
            "case_id": q.case_of_alert(s, alert.id),
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
    scope_of(web, "open_case")
    raw = alert_ids or []

    def run() -> Case:
        if not raw or not all(a.isdigit() and len(a) <= 15 for a in raw):
            raise InvalidInput("choose at least one open alert", field="alert_ids")
        ids = sorted({int(a) for a in raw})

        def work(s: Session, actor: Actor) -> Case:
            for alert_id in ids:
                q.alert(s, actor, alert_id, field="alert_ids")
            return supervision.open_case(s, actor=actor, alert_ids=ids, at=web.now, note=note)

        return act(web, work, target={"alerts": ",".join(map(str, ids))})

    return attempt(
        web,
        run,
        fields=("alert_ids", "note"),
        again=lambda code, errors: _alerts_page(
            web, "", "open", code=code, errors=errors, note=note
        ),
        done=lambda case: f"/a/cases/{case.id}?done=opened",
        passes=(401, 403, 404),
    )


@router.get("/cases")
def cases(request: Request, status: str = "") -> Response:
    web = wc.web_of(request)
    scope_of(web, "list_cases")
    bad = bool(status) and status not in CASE_STATUS_WORDS

    def work(s: Session, actor: Actor) -> list[tuple[Case, int]]:
        wanted = None if bad else (status or None)
        found = q.cases(s, actor, Window(limit=PAGE), status=wanted, newest_first=True)
        numbers = q.alert_numbers(s, [c.id for c in found.items])
        return [(c, numbers.get(c.id, 0)) for c in found.items]

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
    scope_of(web, "get_case")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        return case_detail(web, s, actor, q.case(s, actor, case_id))

    return render(
        web,
        "a_case.html",
        title=web._("案件 {n}", n=case_id),
        notice=_notice(web, done),
        can_write=writer(web),
        **read(web, work),
    )


def _assign_page(web: wc.Web, case_id: int, code: int = 200, errors: Any = None) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = q.case(s, actor, case_id)
        return {"case": case, "choices": q.reviewers(s, case)}

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
    scope_of(web, "assign_case")
    return _assign_page(web, case_id)


@router.post("/cases/{case_id}/assign")
def assign(request: Request, case_id: int, assignee_user_id: Text = "") -> Response:
    web = wc.web_of(request)
    scope_of(web, "assign_case")

    def run() -> Case:
        if not assignee_user_id.isdigit() or len(assignee_user_id) > 15:
            raise InvalidInput("choose who reviews the case", field="assignee_user_id")

        def work(s: Session, actor: Actor) -> Case:
            q.case(s, actor, case_id)
            return supervision.assign_case(
                s, actor=actor, case_id=case_id, assignee_user_id=int(assignee_user_id), at=web.now
            )

        return act(web, work, target={"case_id": case_id})

    # The form has one field: whatever was wrong is said beside it.
    return attempt(
        web,
        run,
        fields=(),
        again=lambda code, errors: _assign_page(
            web, case_id, code=code, errors={"assignee_user_id": errors["_"]}
        ),
        done=f"/a/cases/{case_id}?done=assigned",
        passes_fields=("case_id",),
    )


# Deciding: choose → see the consequences → confirm ---------------------------------------------


def _decide_page(
    web: wc.Web,
    case_id: int,
    *,
    code: int = 200,
    errors: Any = None,
    form: dict[str, Any] | None = None,
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = q.case(s, actor, case_id)
        people = people_rows(web, s, actor, q.case_people(s, case.id))
        return {"case": case, "people": people, "stations": stations_of(s, case.district_code)}

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
    scope_of(web, "decide_case")
    return _decide_page(web, case_id)


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
    scope_of(web, "decide_case")
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
            return _confirm_page(web, case_id, outcome, reason, orgs)

        def work(s: Session, actor: Actor) -> None:
            case = q.case(s, actor, case_id)
            allowed = {oid for oid, _ in stations_of(s, case.district_code)}
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
        return _decide_page(web, case_id, code=exc.status, errors=errors, form=form)
    return redirect(f"/a/cases/{case_id}?done=decided")


def _confirm_page(
    web: wc.Web, case_id: int, outcome: str, reason: str, orgs: list[int]
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        case = q.case(s, actor, case_id)
        # The plan decide_case will carry out for the same form (same outcome, institutions).
        plan = plan_decision(s, case, outcome, organisation_ids=orgs)
        return {"case": case, "c": consequences(web, s, actor, plan)}

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
    scope_of(web, "watch_list")

    def work(s: Session, actor: Actor) -> list[tuple[Watch, str]]:
        return q.watch_list(s, actor, Window(limit=PAGE), latest_first=True).items

    return render(web, "a_watch.html", title=web._("观察名单"), rows=read(web, work))
