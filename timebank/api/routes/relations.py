"""Kinship (for gifts and bequests), the beneficiary, and professional qualifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, Idem
from timebank.api.routes.common import policy, router
from timebank.api.schemas import people as S
from timebank.api.types import MAX_ID
from timebank.people import queries as people_queries
from timebank.people import services as people
from timebank.people.repository import kinships_of

api = router("kinship and qualifications")
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.post(
    "/people/{person_id}/kinships",
    status_code=201,
    response_model=S.KinshipOut,
    dependencies=[Idem],
)
def declare_kinship(person_id: PersonId, body: S.KinshipIn, ctx: CtxDep) -> JSONResponse:
    """Declare that ``relative_id`` is this person's ``relation``; a station verifies it."""

    def work(s: Session, actor: Actor) -> S.KinshipOut:
        people_queries.person(s, actor, person_id)
        return S.KinshipOut.of(
            people.declare_kinship(
                s, actor=actor, person_id=person_id, at=ctx.now, **body.model_dump()
            )
        )

    return ctx.run(work, body=body, status=201)


@api.get("/people/{person_id}/kinships", response_model=list[S.KinshipOut])
def list_kinships(person_id: PersonId, ctx: CtxDep) -> Any:
    """Kinships naming the person, on either side, in every state."""

    def work(s: Session, actor: Actor) -> list[S.KinshipOut]:
        people_queries.person(s, actor, person_id)
        ctx.log_access(s, actor, person_id, "kinships")
        return [S.KinshipOut.of(k) for k in kinships_of(s, person_id)]

    return ctx.read(work)


@api.post("/kinships/{kinship_id}/verify", response_model=S.KinshipOut)
def verify_kinship(kinship_id: RowId, ctx: CtxDep) -> JSONResponse:
    """A station has seen the proof (户口簿, marriage certificate)."""
    return ctx.run(
        lambda s, actor: S.KinshipOut.of(
            people.verify_kinship(s, actor=actor, kinship_id=kinship_id, at=ctx.now)
        )
    )


@api.post("/kinships/{kinship_id}/reject", response_model=S.KinshipOut)
def reject_kinship(kinship_id: RowId, body: S.ReasonIn, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.KinshipOut.of(
            people.reject_kinship(
                s, actor=actor, kinship_id=kinship_id, reason=body.reason, at=ctx.now
            )
        ),
        body=body,
    )


@api.post("/people/{person_id}/beneficiary", response_model=S.PersonOut)
def name_beneficiary(person_id: PersonId, body: S.BeneficiaryIn, ctx: CtxDep) -> JSONResponse:
    """Name (or with null, clear) the verified relative who receives the coins on death."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        people_queries.person(s, actor, person_id)
        person = people.name_beneficiary(
            s, actor=actor, person_id=person_id, beneficiary_id=body.beneficiary_id
        )
        return S.PersonOut.of(person, actor)

    return ctx.run(work, body=body)


@api.post(
    "/people/{person_id}/qualifications",
    status_code=201,
    response_model=S.QualificationOut,
    dependencies=[Idem],
)
def add_qualification(person_id: PersonId, body: S.QualificationIn, ctx: CtxDep) -> JSONResponse:
    """Declare a professional qualification; it counts once a station verifies it."""

    def work(s: Session, actor: Actor) -> S.QualificationOut:
        people_queries.person(s, actor, person_id)
        return S.QualificationOut.of(
            people.add_qualification(
                s,
                actor=actor,
                person_id=person_id,
                at=ctx.now,
                policy=policy(s),
                **body.model_dump(),
            )
        )

    return ctx.run(work, body=body, status=201)


@api.post("/qualifications/{qualification_id}/verify", response_model=S.QualificationOut)
def verify_qualification(qualification_id: RowId, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.QualificationOut.of(
            people.verify_qualification(
                s, actor=actor, qualification_id=qualification_id, at=ctx.now
            )
        )
    )


@api.post("/qualifications/{qualification_id}/reject", response_model=S.QualificationOut)
def reject_qualification(qualification_id: RowId, body: S.ReasonIn, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.QualificationOut.of(
            people.reject_qualification(
                s,
                actor=actor,
                qualification_id=qualification_id,
                reason=body.reason,
                at=ctx.now,
            )
        ),
        body=body,
    )
