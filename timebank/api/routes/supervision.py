"""Supervision: alerts and the watch list, cases (open, assign, decide), appeals, the public
untrustworthy list, and a full scan on demand.

District admins see and act only in their own district (another district's alert or case
reads as 404, acting on it is 403); auditors read; the city hears appeals and runs scans.
Every handler is thin: the use cases are ``timebank.supervision.services``'.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, Idem, IdemRequired
from timebank.api.pagination import Page, PageParams, envelope, page_params, window
from timebank.api.routes.common import router
from timebank.api.schemas import supervision as S
from timebank.api.types import MAX_ID
from timebank.clock import LOCAL_TZ
from timebank.errors import InvalidInput
from timebank.supervision import queries as q
from timebank.supervision import sanctions
from timebank.supervision import services as sv
from timebank.supervision.cases import get_case
from timebank.supervision.detection.facts import Rule
from timebank.supervision.models import (
    ALERT_STATES,
    APPEAL_STATES,
    CASE_STATES,
    Case,
)

api = router("supervision")
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")]
District = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]


def _one_of(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"{field} is one of {', '.join(allowed)}", field=field)


@api.get("/supervision/alerts", response_model=Page[S.AlertOut])
def list_alerts(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Status = None,
    rule: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    district_code: District = None,
    person_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """Alerts, newest last; a district admin sees their district's."""
    _one_of(status, ALERT_STATES, "status")
    _one_of(rule, tuple(r.value for r in Rule), "rule")

    def work(s: Session, actor: Actor) -> Page[S.AlertOut]:
        found = q.alerts(
            s,
            actor,
            window(page),
            status=status,
            rule=rule,
            district_code=district_code,
            person_id=person_id,
        )
        return envelope(found, S.AlertOut.of)

    return ctx.read(work)


@api.get("/supervision/alerts/{alert_id}", response_model=S.AlertOut)
def get_alert(alert_id: RowId, ctx: CtxDep) -> Any:
    """One alert with its evidence."""

    def work(s: Session, actor: Actor) -> S.AlertOut:
        found = q.alert(s, actor, alert_id)
        ctx.log_access(s, actor, None, f"supervision alert {found.id}")
        return S.AlertOut.of(found)

    return ctx.read(work)


@api.get("/supervision/watch", response_model=Page[S.WatchOut])
def watch_list(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    district_code: District = None,
    lifted: Annotated[bool, Query(description="Include people taken off the list")] = False,
) -> Any:
    """People on the watch list (by person id); a district admin sees their district's."""

    def work(s: Session, actor: Actor) -> Page[S.WatchOut]:
        found = q.watch_list(s, actor, window(page), district_code=district_code, lifted=lifted)
        ctx.log_access(s, actor, None, "supervision watch list")
        return envelope(found, lambda row: S.WatchOut.of(row[0]))

    return ctx.read(work)


@api.get("/supervision/cases", response_model=Page[S.CaseOut])
def list_cases(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Status = None,
    district_code: District = None,
) -> Any:
    """Cases, oldest first; a district admin sees their district's."""
    _one_of(status, CASE_STATES, "status")

    def work(s: Session, actor: Actor) -> Page[S.CaseOut]:
        found = q.cases(s, actor, window(page), status=status, district_code=district_code)
        return envelope(found, S.CaseOut.of)

    return ctx.read(work)


def _detail(s: Session, case: Case) -> S.CaseDetailOut:
    record = q.case_record(s, case)
    return S.CaseDetailOut(
        **S.CaseOut.of(case).model_dump(),
        alert_ids=[a.id for a in record.alerts],
        people=record.people,
        decision=S.DecisionOut.of(record.decision) if record.decision else None,
        sanctions=[S.SanctionOut.of(x) for x in record.sanctions],
        appeals=[S.AppealOut.of(x) for x in record.appeals],
        listings=[S.ListingOut.of(x.entry, x.name, x.district_code) for x in record.listings],
    )


@api.post(
    "/supervision/cases", status_code=201, response_model=S.CaseDetailOut, dependencies=[Idem]
)
def open_case(body: S.CaseIn, ctx: CtxDep) -> JSONResponse:
    """Group open alerts of one district into a case."""

    def work(s: Session, actor: Actor) -> S.CaseDetailOut:
        case = sv.open_case(
            s,
            actor=actor,
            alert_ids=body.alert_ids,
            at=ctx.now,
            note=body.note,
            district_code=body.district_code,
        )
        return _detail(s, case)

    return ctx.run(work, body=body, status=201)


@api.get("/supervision/cases/{case_id}", response_model=S.CaseDetailOut, name="get_case")
def get_case_detail(case_id: RowId, ctx: CtxDep) -> Any:
    """A case with its alerts, people, decision, sanctions, appeals and listings."""

    def work(s: Session, actor: Actor) -> S.CaseDetailOut:
        found = q.case(s, actor, case_id)
        ctx.log_access(s, actor, None, f"supervision case {found.id}")
        return _detail(s, found)

    return ctx.read(work)


@api.post("/supervision/cases/{case_id}/assignment", response_model=S.CaseDetailOut)
def assign_case(case_id: RowId, body: S.AssignIn, ctx: CtxDep) -> JSONResponse:
    """Give the case to a reviewer of its district (or the city)."""

    def work(s: Session, actor: Actor) -> S.CaseDetailOut:
        case = sv.assign_case(
            s, actor=actor, case_id=case_id, assignee_user_id=body.assignee_user_id, at=ctx.now
        )
        return _detail(s, case)

    return ctx.run(work, body=body)


@api.post(
    "/supervision/cases/{case_id}/decision",
    response_model=S.CaseDetailOut,
    dependencies=[IdemRequired],
)
def decide_case(case_id: RowId, body: S.DecisionIn, ctx: CtxDep) -> JSONResponse:
    """Dismiss, warn, or confirm fraud (disqualify, reverse the named credits, list the
    institutions). Deciding again with the same outcome repeats nothing."""

    def work(s: Session, actor: Actor) -> S.CaseDetailOut:
        sv.decide_case(
            s,
            actor=actor,
            case_id=case_id,
            outcome=body.outcome,
            reason=body.reason,
            at=ctx.now,
            person_ids=body.person_ids,
            organisation_ids=body.organisation_ids,
            transfer_ids=body.transfer_ids,
        )
        return _detail(s, get_case(s, case_id))

    return ctx.run(work, body=body, moves_coins=body.outcome == "confirm_fraud")


@api.post(
    "/supervision/cases/{case_id}/appeals",
    status_code=201,
    response_model=S.AppealOut,
    dependencies=[Idem],
)
def file_appeal(case_id: RowId, body: S.AppealIn, ctx: CtxDep) -> JSONResponse:
    """A sanctioned person (or their proxy), or a listed station, appeals to the city."""
    return ctx.run(
        lambda s, actor: S.AppealOut.of(
            sv.appeal(s, actor=actor, case_id=case_id, reason=body.reason, at=ctx.now)
        ),
        body=body,
        status=201,
    )


@api.get("/supervision/appeals", response_model=Page[S.AppealOut])
def list_appeals(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Status = None,
    district_code: District = None,
) -> Any:
    """Appeals (by their case's district); a district admin sees their district's."""
    _one_of(status, APPEAL_STATES, "status")

    def work(s: Session, actor: Actor) -> Page[S.AppealOut]:
        found = q.appeals(s, actor, window(page), status=status, district_code=district_code)
        return envelope(found, S.AppealOut.of)

    return ctx.read(work)


@api.post(
    "/supervision/appeals/{appeal_id}/decision",
    response_model=S.AppealOut,
    dependencies=[IdemRequired],
)
def decide_appeal(appeal_id: RowId, body: S.AppealDecisionIn, ctx: CtxDep) -> JSONResponse:
    """The city upholds (the case is overturned: credits restored, people reinstated,
    listings lifted) or rejects the appeal."""

    def work(s: Session, actor: Actor) -> S.AppealOut:
        if body.uphold:
            row = sv.reinstate(s, actor=actor, appeal_id=appeal_id, reason=body.reason, at=ctx.now)
        else:
            row = sv.reject_appeal(
                s, actor=actor, appeal_id=appeal_id, reason=body.reason, at=ctx.now
            )
        return S.AppealOut.of(row)

    return ctx.run(work, body=body, moves_coins=body.uphold)


@api.get("/untrustworthy", response_model=Page[S.ListingOut])
def untrustworthy_list(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    district_code: District = None,
    lifted: Annotated[bool, Query(description="Include listings since lifted")] = False,
) -> Any:
    """The public untrustworthy list (失信名单): institution, reason, date."""

    def work(s: Session, _: Actor) -> Page[S.ListingOut]:
        found = q.untrustworthy(s, window(page), district_code=district_code, lifted=lifted)
        return envelope(found, lambda x: S.ListingOut.of(x.entry, x.name, x.district_code))

    return ctx.read(work, anonymous=True)


@api.post("/organisations/{org_id}/untrustworthy", response_model=list[S.ListingOut])
def mark_untrustworthy(org_id: RowId, body: S.ListingIn, ctx: CtxDep) -> JSONResponse:
    """List an institution (it may no longer publish, review or confirm), or lift its
    listings made outside a case; the entries of the institution are returned."""

    def work(s: Session, actor: Actor) -> list[S.ListingOut]:
        if body.listed:
            sanctions.list_untrustworthy(
                s, actor=actor, org_id=org_id, reason=body.reason, at=ctx.now
            )
        else:
            sanctions.lift_untrustworthy(
                s, actor=actor, org_id=org_id, reason=body.reason, at=ctx.now
            )
        return [
            S.ListingOut.of(x.entry, x.name, x.district_code)
            for x in q.listings_of(s, org_id=org_id)
        ]

    return ctx.run(work, body=body)


@api.post("/supervision/scans", status_code=201, response_model=S.ScanOut, dependencies=[Idem])
def run_scan(body: S.ScanIn, ctx: CtxDep) -> JSONResponse:
    """Run every rule over the records (``since`` a local day) and store the new alerts."""
    since = None
    if body.since is not None:
        since = datetime.combine(body.since, time(0), tzinfo=LOCAL_TZ)

    def work(s: Session, actor: Actor) -> S.ScanOut:
        summary = sv.scan_and_record(s, actor=actor, since=since, at=ctx.now)
        return S.ScanOut(
            run_id=summary.run_id,
            visits=summary.visits,
            transfers=summary.transfers,
            accounts=summary.accounts,
            alerts=summary.alerts,
            new_alerts=summary.new_alerts,
            counts=summary.counts,
            new=summary.new,
        )

    return ctx.run(work, body=body, status=201)
