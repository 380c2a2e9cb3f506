"""Appeals: a sanctioned person (or their proxy) appeals a warning or a confirmed fraud on
``/appeals``; admins read the appeals of their district; the city decides — reject, or reinstate
(which undoes the case's sanctions), with the consequences stated before confirming."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.errors import InvalidInput, NotFound, PermissionDenied, TimebankError
from timebank.supervision import services as supervision
from timebank.supervision.lifecycle import APPEALABLE
from timebank.supervision.models import Appeal, Case, Decision, Sanction, UntrustworthyEntry
from timebank.web import context as wc
from timebank.web.case_views import appeal_consequences, case_detail
from timebank.web.cases import scope_of
from timebank.web.on_behalf import whose
from timebank.web.render import WebRoute, redirect, render
from timebank.web.supervision_words import (
    APPEAL_DECISION_WORDS,
    APPEAL_STATUS_WORDS,
)
from timebank.web.transactions import act, errors_of, read

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Text = Annotated[str, Form()]
PAGE = 100


# The sanctioned person's side ------------------------------------------------------------------


def _my_cases(s: Session, person_id: int) -> list[dict[str, Any]]:
    case_ids = sorted(
        set(s.execute(select(Sanction.case_id).where(Sanction.person_id == person_id)).scalars()),
        reverse=True,
    )
    out = []
    for case_id in case_ids:
        case = s.get(Case, case_id)
        assert case is not None
        appeals = list(
            s.execute(select(Appeal).where(Appeal.case_id == case_id).order_by(Appeal.id)).scalars()
        )
        out.append(
            {
                "case": case,
                "decision": s.execute(
                    select(Decision).where(Decision.case_id == case_id)
                ).scalar_one_or_none(),
                "sanctions": list(
                    s.execute(
                        select(Sanction).where(
                            Sanction.case_id == case_id, Sanction.person_id == person_id
                        )
                    ).scalars()
                ),
                "appeals": appeals,
                "can_appeal": case.status in APPEALABLE
                and not any(a.status == "pending" for a in appeals),
            }
        )
    return out


def _appeals_page(web: wc.Web, person_id: int, act_for: int | None, **values: Any) -> Response:
    rows = read(web, lambda s, actor: _my_cases(s, person_id), act_for=act_for)
    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "appeals.html",
        status=values.pop("code", 200),
        title=web._("处理决定和申诉"),
        rows=rows,
        **values,
    )


@router.get("/appeals")
def my_appeals(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    who = whose(web, "file_appeal", own=(Role.VOLUNTEER, Role.ELDER))
    notice = web._("申诉已提交，市里会审理并通知您。") if done else None
    return _appeals_page(web, who.person_id, who.act_for, notice=notice)


@router.post("/appeals/{case_id}")
def file_appeal(request: Request, case_id: int, reason: Text = "") -> Response:
    web = wc.web_of(request)
    who = whose(web, "file_appeal", own=(Role.VOLUNTEER, Role.ELDER))

    def work(s: Session, actor: Actor) -> Appeal:
        mine = s.execute(
            select(Sanction.id).where(
                Sanction.case_id == case_id, Sanction.person_id == who.person_id
            )
        ).first()
        if mine is None:
            raise NotFound(f"no case {case_id} of yours", field="case_id")
        return supervision.appeal(s, actor=actor, case_id=case_id, reason=reason, at=web.now)

    try:
        act(web, work, act_for=who.act_for, target={"case_id": case_id})
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _appeals_page(
            web,
            who.person_id,
            who.act_for,
            code=exc.status,
            errors={case_id: errors_of(web, exc, ("reason",))},
            form={case_id: reason},
        )
    return redirect("/appeals?done=1")


# A listed institution's side: its station appeals the listing ----------------------------------


def _station_org(web: wc.Web) -> int:
    principal = web.gate("file_appeal")
    if principal.role is not Role.STATION or principal.org_id is None:
        raise PermissionDenied("this page is for station workers", rule="api_role")
    return principal.org_id


def _listings(s: Session, org_id: int) -> list[dict[str, Any]]:
    """The cases that put this organisation on the untrustworthy list, newest first."""
    entries = s.execute(
        select(UntrustworthyEntry)
        .where(
            UntrustworthyEntry.organisation_id == org_id, UntrustworthyEntry.case_id.is_not(None)
        )
        .order_by(UntrustworthyEntry.id.desc())
        .limit(PAGE)
    ).scalars()
    out = []
    for entry in entries:
        case = s.get(Case, entry.case_id)
        assert case is not None
        appeals = list(
            s.execute(select(Appeal).where(Appeal.case_id == case.id).order_by(Appeal.id)).scalars()
        )
        out.append(
            {
                "case": case,
                "entry": entry,
                "appeals": appeals,
                "can_appeal": entry.lifted_at is None
                and case.status in APPEALABLE
                and not any(a.status == "pending" for a in appeals),
            }
        )
    return out


def _station_page(web: wc.Web, org_id: int, **values: Any) -> Response:
    rows = read(web, lambda s, actor: _listings(s, org_id))
    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "s_appeals.html",
        status=values.pop("code", 200),
        title=web._("本站的失信记录和申诉"),
        rows=rows,
        **values,
    )


@router.get("/s/appeals")
def station_appeals(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    org_id = _station_org(web)
    notice = web._("申诉已提交，市里会审理并通知您。") if done else None
    return _station_page(web, org_id, notice=notice)


@router.post("/s/appeals/{case_id}")
def station_file_appeal(request: Request, case_id: int, reason: Text = "") -> Response:
    web = wc.web_of(request)
    org_id = _station_org(web)

    def work(s: Session, actor: Actor) -> Appeal:
        listed = s.execute(
            select(UntrustworthyEntry.id).where(
                UntrustworthyEntry.case_id == case_id,
                UntrustworthyEntry.organisation_id == org_id,
            )
        ).first()
        if listed is None:
            raise NotFound(f"no case {case_id} listing your station", field="case_id")
        return supervision.appeal(s, actor=actor, case_id=case_id, reason=reason, at=web.now)

    try:
        act(web, work, target={"case_id": case_id})
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _station_page(
            web,
            org_id,
            code=exc.status,
            errors={case_id: errors_of(web, exc, ("reason",))},
            form={case_id: reason},
        )
    return redirect("/s/appeals?done=1")


# The admins' side ------------------------------------------------------------------------------


@router.get("/a/appeals")
def appeals(request: Request, status: str = "pending") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "list_appeals")
    bad = bool(status) and status not in APPEAL_STATUS_WORDS

    def work(s: Session, actor: Actor) -> list[tuple[Appeal, Case]]:
        query = (
            select(Appeal, Case)
            .join(Case, Case.id == Appeal.case_id)
            .order_by(Appeal.id.desc())
            .limit(PAGE)
        )
        if district:
            query = query.where(Case.district_code == district)
        if status and not bad:
            query = query.where(Appeal.status == status)
        return list(s.execute(query).tuples().all())

    return render(
        web,
        "a_appeals.html",
        status=422 if bad else 200,
        title=web._("申诉"),
        rows=read(web, work),
        status_filter=status,
        errors={"status": (web._("请从列表里选一种状态"), False)} if bad else {},
    )


def _appeal(s: Session, district: str | None, appeal_id: int) -> tuple[Appeal, Case]:
    appeal = s.get(Appeal, appeal_id)
    case = None if appeal is None else s.get(Case, appeal.case_id)
    if appeal is None or case is None or (district and case.district_code != district):
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
    return appeal, case


def _appeal_page(
    web: wc.Web, district: str | None, appeal_id: int, code: int = 200, **values: Any
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        appeal, case = _appeal(s, district, appeal_id)
        return {"appeal": appeal, **case_detail(web, s, actor, case)}

    values.setdefault("errors", {})
    values.setdefault("form", {})
    principal = web.principal
    return render(
        web,
        "a_appeal.html",
        status=code,
        title=web._("申诉 {n}", n=appeal_id),
        can_decide=principal is not None and principal.role is Role.CITY_ADMIN,
        **read(web, work),
        **values,
    )


@router.get("/a/appeals/{appeal_id}")
def appeal_page(request: Request, appeal_id: int, done: str = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "list_appeals")
    notice = web._("已作出决定，并通知了申诉人。") if done else None
    return _appeal_page(web, district, appeal_id, notice=notice)


@router.post("/a/appeals/{appeal_id}")
def decide_appeal(
    request: Request,
    appeal_id: int,
    decision: Text = "",
    reason: Text = "",
    confirmed: Text = "",
) -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "decide_appeal")
    try:
        if decision not in APPEAL_DECISION_WORDS:
            raise InvalidInput("choose reject or reinstate", field="decision")
        if not reason.strip() or len(reason) > 2000:
            raise InvalidInput("write the reason (at most 2000 characters)", field="reason")
        if confirmed != "1":
            return _confirm_page(web, district, appeal_id, decision, reason)
        decide = supervision.reinstate if decision == "reinstate" else supervision.reject_appeal

        def work(s: Session, actor: Actor) -> Appeal:
            _appeal(s, district, appeal_id)
            return decide(s, actor=actor, appeal_id=appeal_id, reason=reason, at=web.now)

        act(web, work, target={"appeal_id": appeal_id}, moves_coins=decision == "reinstate")
    except TimebankError as exc:
        if exc.status in (401, 403) or exc.field == "appeal_id":
            raise
        return _appeal_page(
            web,
            district,
            appeal_id,
            code=exc.status,
            errors=errors_of(web, exc, ("decision", "reason")),
            form={"decision": decision, "reason": reason},
        )
    return redirect(f"/a/appeals/{appeal_id}?done=1")


def _confirm_page(
    web: wc.Web, district: str | None, appeal_id: int, decision: str, reason: str
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        appeal, case = _appeal(s, district, appeal_id)
        return {"appeal": appeal, "case": case, "c": appeal_consequences(s, appeal)}

    return render(
        web,
        "a_appeal_confirm.html",
        title=web._("确认决定"),
        decision=decision,
        decision_words=web._(APPEAL_DECISION_WORDS[decision]),
        reason=reason,
        **read(web, work),
    )
