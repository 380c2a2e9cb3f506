"""Accounts and proxies, and a person's rights over their data: export, access log, consents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, Idem
from timebank.api.routes.common import router
from timebank.api.schemas import auth as A
from timebank.api.schemas import people as S
from timebank.api.types import MAX_ID
from timebank.audit.services import consents_of
from timebank.people import accounts
from timebank.people import proxies as grants
from timebank.people import queries as people_queries
from timebank.reports.personal_data import access_log_of
from timebank.reports.personal_data import export_person_data as export_data

api = router("accounts and personal data")
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.post("/users", status_code=201, response_model=A.UserOut, dependencies=[Idem])
def create_user(body: A.NewUserIn, ctx: CtxDep) -> JSONResponse:
    """Open an account: the city admin any; a district admin stations and people of the
    district; a station people of its district (after checking their ID in person)."""

    def work(s: Session, actor: Actor) -> A.UserOut:
        return A.UserOut.of(
            accounts.create_user(
                s, actor=actor, passwords=ctx.services.passwords, at=ctx.now, **body.model_dump()
            )
        )

    return ctx.run(work, body=body, status=201)


@api.post("/users/{user_id}/status", response_model=A.UserOut)
def set_user_status(user_id: RowId, body: A.UserStatusIn, ctx: CtxDep) -> JSONResponse:
    """Disable (signing it out everywhere) or re-enable an account of your scope."""
    return ctx.run(
        lambda s, actor: A.UserOut.of(
            accounts.set_user_status(
                s, actor=actor, user_id=user_id, status=body.status, at=ctx.now
            )
        ),
        body=body,
    )


def _grant(g: Any) -> A.GrantOut:
    return A.GrantOut.model_validate(g, from_attributes=True)


@api.post(
    "/people/{person_id}/proxy-grants",
    status_code=201,
    response_model=A.GrantOut,
    dependencies=[Idem],
)
def grant_proxy(person_id: PersonId, body: A.GrantIn, ctx: CtxDep) -> JSONResponse:
    """Let a family member's account act for this person (the person, or a station, grants)."""

    def work(s: Session, actor: Actor) -> A.GrantOut:
        people_queries.person(s, actor, person_id)
        return _grant(
            grants.grant_proxy(
                s, actor=actor, principal_id=person_id, proxy_phone=body.proxy_phone, at=ctx.now
            )
        )

    return ctx.run(work, body=body, status=201)


@api.post("/proxy-grants/{grant_id}/revoke", response_model=A.GrantOut)
def revoke_proxy(grant_id: RowId, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: _grant(grants.revoke_proxy(s, actor=actor, grant_id=grant_id, at=ctx.now))
    )


@api.get("/people/{person_id}/proxy-grants", response_model=list[A.GrantOut])
def list_grants(person_id: PersonId, ctx: CtxDep) -> Any:
    """Who may act for the person (and, for the person's own account, whom they act for)."""

    def work(s: Session, actor: Actor) -> list[A.GrantOut]:
        people_queries.person(s, actor, person_id)
        own = actor.person_id == person_id and actor.on_behalf_of is None
        rows = grants.grants_of(s, person_id=person_id, user_id=actor.user_id if own else None)
        return [_grant(g) for g in rows]

    return ctx.read(work)


@api.get("/people/{person_id}/export", response_model=dict[str, Any])
def export_person_data(person_id: PersonId, ctx: CtxDep) -> Any:
    """Everything held about you, as one JSON document (you or your proxy)."""

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        people_queries.person(s, actor, person_id)
        return export_data(s, actor=actor, person_id=person_id, at=ctx.now)

    return ctx.read(work)


@api.get("/people/{person_id}/data-access", response_model=list[S.DataAccessOut])
def person_data_access(person_id: PersonId, ctx: CtxDep) -> Any:
    """Which staff read this person's data, when and why."""

    def work(s: Session, actor: Actor) -> list[S.DataAccessOut]:
        people_queries.person(s, actor, person_id)
        return [
            S.DataAccessOut.model_validate(r, from_attributes=True)
            for r in access_log_of(s, person_id)
        ]

    return ctx.read(work)


@api.get("/people/{person_id}/consents", response_model=list[S.ConsentOut])
def list_consents(person_id: PersonId, ctx: CtxDep) -> Any:
    """Consents given and withdrawn: the person's own, and a guardian's for a minor."""

    def work(s: Session, actor: Actor) -> list[S.ConsentOut]:
        people_queries.person(s, actor, person_id)
        ctx.log_access(s, actor, person_id, "consents")
        return [
            S.ConsentOut.model_validate(r, from_attributes=True) for r in consents_of(s, person_id)
        ]

    return ctx.read(work)
