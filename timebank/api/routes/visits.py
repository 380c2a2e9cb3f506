"""Visits: the elder's code, check-in and check-out, confirmation (coins post), disputes,
no-shows; paper records entered by one station user and approved by another."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, Idem
from timebank.api.pagination import Page, PageParams, page_params, paginate
from timebank.api.routes.common import policy, router
from timebank.api.schemas import care as S
from timebank.api.types import MAX_ID
from timebank.care import assign, codes, offline, visits
from timebank.care import queries as care_queries
from timebank.care.models import Visit
from timebank.people import queries as people_queries

api = router("visits")
VisitId = Annotated[int, Path(ge=1, le=MAX_ID)]
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.get("/people/{person_id}/visits", response_model=Page[S.VisitOut])
def person_visits(
    person_id: PersonId, ctx: CtxDep, page: Annotated[PageParams, Depends(page_params)]
) -> Any:
    """Visits the person made (as volunteer) or received (as elder)."""

    def work(s: Session, actor: Actor) -> Page[S.VisitOut]:
        people_queries.person(s, actor, person_id)
        query = select(Visit).where(
            or_(Visit.volunteer_id == person_id, Visit.elder_id == person_id)
        )
        return paginate(s, query, Visit.id, page, S.VisitOut.of)

    return ctx.read(work)


@api.get("/people/{person_id}/check-in-code", response_model=S.CodeOut)
def check_in_code(person_id: PersonId, ctx: CtxDep, qr: bool = False) -> Any:
    """The elder's current check-in code (changes every minute), optionally as a QR SVG."""

    def work(s: Session, actor: Actor) -> S.CodeOut:
        elder = people_queries.person(s, actor, person_id)
        if actor.role.value == "station":
            ctx.log_access(s, actor, elder.id, "check_in_code")
        code = codes.current_code(s, elder_id=elder.id, at=ctx.now)
        return S.CodeOut(
            elder_id=elder.id,
            code=code,
            valid_for_s=codes.STEP_SECONDS,
            qr_svg=codes.qr_svg(code) if qr else None,
        )

    return ctx.read(work)


@api.get("/visits/{visit_id}", response_model=S.VisitOut)
def get_visit(visit_id: VisitId, ctx: CtxDep) -> Any:
    return ctx.read(lambda s, actor: S.VisitOut.of(care_queries.visit(s, actor, visit_id)))


@api.post("/visits/{visit_id}/check-in", response_model=S.VisitOut)
def check_in(visit_id: VisitId, body: S.CheckIn, ctx: CtxDep) -> JSONResponse:
    """The volunteer checks in with the elder's code (or the elder's proxy vouches)."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.check_in(
                s,
                actor=actor,
                visit_id=visit_id,
                code=body.code,
                at=ctx.now,
                policy=policy(s),
                lat=body.lat,
                lon=body.lon,
                device=body.device,
            )
        ),
        body=body,
    )


@api.post("/visits/{visit_id}/check-out", response_model=S.VisitOut)
def check_out(visit_id: VisitId, body: S.CheckOut, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.check_out(
                s,
                actor=actor,
                visit_id=visit_id,
                code=body.code,
                at=ctx.now,
                lat=body.lat,
                lon=body.lon,
            )
        ),
        body=body,
    )


@api.post("/visits/{visit_id}/confirm", response_model=S.VisitOut)
def confirm_visit(visit_id: VisitId, body: S.ConfirmIn, ctx: CtxDep) -> JSONResponse:
    """The elder's side confirms and rates; the volunteer's credit and the payment post."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.confirm_visit(
                s,
                actor=actor,
                visit_id=visit_id,
                rating=body.rating,
                comment=body.comment,
                at=ctx.now,
                policy=policy(s),
                device=body.device,
            )
        ),
        body=body,
        moves_coins=True,
    )


@api.post("/visits/{visit_id}/dispute", response_model=S.VisitOut)
def dispute_visit(visit_id: VisitId, body: S.ReasonIn, ctx: CtxDep) -> JSONResponse:
    """Dispute instead of confirming: nothing posts, the hold stays until the station decides."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.dispute_visit(s, actor=actor, visit_id=visit_id, reason=body.reason, at=ctx.now)
        ),
        body=body,
    )


@api.post("/visits/{visit_id}/resolution", response_model=S.VisitOut)
def resolve_dispute(visit_id: VisitId, body: S.ResolveIn, ctx: CtxDep) -> JSONResponse:
    """The station upholds (credits ``minutes``) or rejects a disputed visit."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.resolve_dispute(
                s,
                actor=actor,
                visit_id=visit_id,
                uphold=body.uphold,
                minutes=body.minutes,
                resolution=body.resolution,
                at=ctx.now,
                policy=policy(s),
            )
        ),
        body=body,
        moves_coins=True,
    )


@api.post("/visits/{visit_id}/no-show", response_model=S.VisitOut)
def record_no_show(visit_id: VisitId, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            visits.record_no_show(s, actor=actor, visit_id=visit_id, at=ctx.now)
        )
    )


@api.post("/visits/{visit_id}/withdrawal", response_model=S.NeedOut)
def withdraw_visit(visit_id: VisitId, ctx: CtxDep) -> JSONResponse:
    """The volunteer gives a scheduled visit back; the need is open again."""
    return ctx.run(
        lambda s, actor: S.NeedOut.of(
            assign.withdraw(s, actor=actor, visit_id=visit_id, at=ctx.now)
        )
    )


@api.post("/paper-records", status_code=201, response_model=S.PaperImportOut, dependencies=[Idem])
def import_paper_records(body: S.PaperImportIn, ctx: CtxDep) -> JSONResponse:
    """A station enters paper visit records (source=offline); all or nothing unless
    ``partial``. Each waits for a second station user's approval."""

    def work(s: Session, actor: Actor) -> S.PaperImportOut:
        rows: list[dict[str, object]] = [
            {**r.model_dump(), "_row": i} for i, r in enumerate(body.rows, start=1)
        ]
        report = offline.import_records(
            s, actor=actor, rows=rows, policy=policy(s), at=ctx.now, partial=body.partial
        )
        return S.PaperImportOut(
            created=report.created,
            errors=[
                S.RowErrorOut(row=e.row, field=e.field, message=e.message) for e in report.errors
            ],
        )

    return ctx.run(work, body=body, status=201)


@api.post("/visits/{visit_id}/approval", response_model=S.VisitOut)
def approve_paper_record(visit_id: VisitId, body: S.ApprovalIn, ctx: CtxDep) -> JSONResponse:
    """A second station user approves (coins post) or rejects a paper record."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            offline.approve_paper_record(
                s,
                actor=actor,
                visit_id=visit_id,
                approve=body.approve,
                reason=body.reason,
                policy=policy(s),
                at=ctx.now,
            )
        ),
        body=body,
        moves_coins=body.approve,
    )
