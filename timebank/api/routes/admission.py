"""The 10,000 rule: apply (coins held), station review, district decision, withdraw."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, IdemRequired
from timebank.api.routes.common import policy, router
from timebank.api.schemas import care as S
from timebank.api.types import MAX_ID
from timebank.care import admission
from timebank.care import queries as care_queries

api = router("care home admission")
AppId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.post(
    "/admission-applications",
    status_code=201,
    response_model=S.AdmissionOut,
    dependencies=[IdemRequired],
)
def apply_for_admission(body: S.AdmissionIn, ctx: CtxDep) -> JSONResponse:
    """Apply to enter a public care home of the home district; 10,000 coins are held."""

    def work(s: Session, actor: Actor) -> S.AdmissionOut:
        return S.AdmissionOut.of(
            admission.apply_for_admission(
                s,
                actor=actor,
                key=ctx.ledger_key("admission"),
                person_id=body.person_id,
                care_home_id=body.care_home_id,
                policy=policy(s),
                at=ctx.now,
            )
        )

    return ctx.run(work, body=body, status=201, moves_coins=True)


@api.get("/admission-applications/{application_id}", response_model=S.AdmissionOut)
def get_admission(application_id: AppId, ctx: CtxDep) -> Any:
    return ctx.read(
        lambda s, actor: S.AdmissionOut.of(care_queries.admission(s, actor, application_id))
    )


@api.post("/admission-applications/{application_id}/station-review", response_model=S.AdmissionOut)
def station_review_admission(
    application_id: AppId, body: S.DecisionIn, ctx: CtxDep
) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.AdmissionOut.of(
            admission.station_review(
                s,
                actor=actor,
                application_id=application_id,
                approve=body.approve,
                reason=body.reason,
                at=ctx.now,
            )
        ),
        body=body,
        moves_coins=not body.approve,
    )


@api.post("/admission-applications/{application_id}/decision", response_model=S.AdmissionOut)
def district_decide_admission(
    application_id: AppId, body: S.DecisionIn, ctx: CtxDep
) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.AdmissionOut.of(
            admission.district_decide(
                s,
                actor=actor,
                application_id=application_id,
                approve=body.approve,
                reason=body.reason,
                policy=policy(s),
                at=ctx.now,
            )
        ),
        body=body,
        moves_coins=True,
    )


@api.post("/admission-applications/{application_id}/withdrawal", response_model=S.AdmissionOut)
def withdraw_admission(application_id: AppId, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: S.AdmissionOut.of(
            admission.withdraw_admission(s, actor=actor, application_id=application_id, at=ctx.now)
        ),
        moves_coins=True,
    )
