"""Needs: publish (elder, proxy, station), review (station), take or dispatch, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.api.context import CtxDep, Idem
from timebank.api.pagination import Page, PageParams, page_params, paginate
from timebank.api.routes.common import policy, router
from timebank.api.schemas import care as S
from timebank.api.types import MAX_ID
from timebank.care import assign, needs
from timebank.care import queries as care_queries
from timebank.care.models import NEED_STATES, Need
from timebank.errors import InvalidInput
from timebank.people import queries as people_queries

api = router("needs")
NeedId = Annotated[int, Path(ge=1, le=MAX_ID)]
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")]


@api.post("/needs", status_code=201, response_model=list[S.NeedOut], dependencies=[Idem])
def publish_need(body: S.NeedIn, ctx: CtxDep) -> JSONResponse:
    """Publish a need (or a weekly series); the usable balance must cover it. The station
    reviews it next, holding the coins."""

    def work(s: Session, actor: Actor) -> list[S.NeedOut]:
        data = body.model_dump()
        data["attendee_ids"] = tuple(data["attendee_ids"])
        request = needs.NeedRequest(**data)
        published = needs.publish_need(
            s, actor=actor, request=request, policy=policy(s), at=ctx.now
        )
        return [S.NeedOut.of(n) for n in published]

    return ctx.run(work, body=body, status=201)


def _check_status(status: str | None) -> None:
    if status is not None and status not in NEED_STATES:
        raise InvalidInput(f"status is one of {', '.join(NEED_STATES)}", field="status")


@api.get("/needs", response_model=Page[S.NeedOut])
def list_needs(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Status = None,
    district_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> Any:
    """Needs of a district (staff: their own), optionally by status."""
    _check_status(status)

    def work(s: Session, actor: Actor) -> Page[S.NeedOut]:
        district = district_code
        if actor.role in (Role.STATION, Role.DISTRICT_ADMIN):
            district = actor.district_code
        query = select(Need)
        if district:
            query = query.where(Need.district_code == district)
        if status:
            query = query.where(Need.status == status)
        return paginate(s, query, Need.id, page, S.NeedOut.of)

    return ctx.read(work)


@api.get("/needs/{need_id}", response_model=S.NeedOut)
def get_need(need_id: NeedId, ctx: CtxDep) -> Any:
    return ctx.read(lambda s, actor: S.NeedOut.of(care_queries.need(s, actor, need_id)))


@api.get("/people/{person_id}/needs", response_model=Page[S.NeedOut])
def person_needs(
    person_id: PersonId,
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Status = None,
) -> Any:
    """The needs an elder received or paid for."""
    _check_status(status)

    def work(s: Session, actor: Actor) -> Page[S.NeedOut]:
        people_queries.person(s, actor, person_id)
        query = select(Need).where(or_(Need.elder_id == person_id, Need.payer_id == person_id))
        if status:
            query = query.where(Need.status == status)
        return paginate(s, query, Need.id, page, S.NeedOut.of)

    return ctx.read(work)


@api.post("/needs/{need_id}/review", response_model=S.NeedOut)
def review_need(need_id: NeedId, body: S.ReviewIn, ctx: CtxDep) -> JSONResponse:
    """The station approves (the coins are held) or rejects with a reason."""
    return ctx.run(
        lambda s, actor: S.NeedOut.of(
            needs.review_need(
                s,
                actor=actor,
                need_id=need_id,
                approve=body.approve,
                reason=body.reason,
                policy=policy(s),
                at=ctx.now,
            )
        ),
        body=body,
        moves_coins=body.approve,
    )


@api.post("/needs/{need_id}/cancel", response_model=S.NeedOut)
def cancel_need(need_id: NeedId, body: S.ReasonIn, ctx: CtxDep) -> JSONResponse:
    """The elder, a proxy or the station cancels; held coins are released."""
    return ctx.run(
        lambda s, actor: S.NeedOut.of(
            needs.cancel_need(s, actor=actor, need_id=need_id, reason=body.reason, at=ctx.now)
        ),
        body=body,
        moves_coins=True,
    )


@api.post("/needs/{need_id}/accept", status_code=201, response_model=S.VisitOut)
def accept_need(need_id: NeedId, ctx: CtxDep) -> JSONResponse:
    """A volunteer takes an open need; the visit is scheduled at the first time that fits."""

    def work(s: Session, actor: Actor) -> S.VisitOut:
        if actor.person_id is None:
            raise InvalidInput("only a volunteer's own account takes needs", field="X-Act-For")
        visit = assign.assign_need(
            s,
            actor=actor,
            need_id=need_id,
            volunteer_id=actor.person_id,
            policy=policy(s),
            at=ctx.now,
        )
        return S.VisitOut.of(visit)

    return ctx.run(work, status=201)


@api.post("/needs/{need_id}/assignment", status_code=201, response_model=S.VisitOut)
def assign_need(need_id: NeedId, body: S.AssignIn, ctx: CtxDep) -> JSONResponse:
    """Staff assign a need to a volunteer; every rule is checked as for an accept."""
    return ctx.run(
        lambda s, actor: S.VisitOut.of(
            assign.assign_need(
                s,
                actor=actor,
                need_id=need_id,
                volunteer_id=body.volunteer_id,
                policy=policy(s),
                at=ctx.now,
            )
        ),
        body=body,
        status=201,
    )


@api.post("/districts/{district_code}/dispatch", response_model=S.DispatchOut)
def dispatch_district(
    district_code: Annotated[str, Path(pattern=r"^[0-9]{6}$")], ctx: CtxDep
) -> JSONResponse:
    """Assign the district's open needs in one optimal batch over feasible pairs only."""

    def work(s: Session, actor: Actor) -> S.DispatchOut:
        result = assign.dispatch_district(
            s, actor=actor, district_code=district_code, policy=policy(s), at=ctx.now
        )
        return S.DispatchOut(
            assignments=[
                {"need_id": a.need_id, "volunteer_id": a.volunteer_id, "travel_m": a.travel_m}
                for a in result.assignments
            ],
            unassigned=[u.need_id for u in result.unmatched],
            total_travel_m=result.total_travel_m,
        )

    return ctx.run(work)


@api.post("/needs/expiry", response_model=dict[str, int])
def expire_needs(ctx: CtxDep) -> JSONResponse:
    """Expire needs whose window has closed and release their holds (normally a job)."""
    return ctx.run(
        lambda s, actor: {"expired": needs.expire_needs(s, actor=actor, at=ctx.now)},
        moves_coins=True,
    )


@api.get("/people/{person_id}/nearby-needs", response_model=list[S.NearbyOut])
def nearby_needs(
    person_id: PersonId,
    ctx: CtxDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """Open needs this volunteer may take now, nearest and best-fitting first."""

    def work(s: Session, actor: Actor) -> list[S.NearbyOut]:
        people_queries.person(s, actor, person_id)
        rows = assign.nearby_needs(s, volunteer_id=person_id, at=ctx.now, limit=limit)
        return [
            S.NearbyOut(
                need_id=r.need_id,
                distance_m=r.distance_m,
                start=datetime.fromtimestamp(r.start, UTC),
                wait_s=r.wait_s,
                score=r.score,
            )
            for r in rows
        ]

    return ctx.read(work)
