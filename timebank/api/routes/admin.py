"""Catalog, policy parameters, organisations, and the audit trail."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.api.context import CtxDep, Idem
from timebank.api.pagination import Page, PageParams, page_params, paginate
from timebank.api.routes.common import policy, router
from timebank.api.schemas import ledger as S
from timebank.api.schemas.people import AuditEntryOut, DataAccessOut
from timebank.api.types import MAX_ID
from timebank.audit.models import AuditEntry, DataAccess
from timebank.care import stations
from timebank.catalog import services as catalog
from timebank.catalog.models import ServiceItem
from timebank.clock import local_date
from timebank.errors import NotFound
from timebank.people.models import Organisation
from timebank.policy_store import set_policy as store_policy
from timebank.reports.dashboard import build as build_dashboard

api = router("administration")
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
District = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]


def _item(item: ServiceItem) -> S.ItemOut:
    return S.ItemOut.model_validate(item, from_attributes=True)


@api.get("/catalog/items", response_model=list[S.ItemOut])
def list_items(ctx: CtxDep, district_code: District = None) -> Any:
    """Service items: city-wide ones plus, with ``district_code``, that district's own."""

    def work(s: Session, _: Actor) -> list[S.ItemOut]:
        if district_code:
            return [_item(i) for i in catalog.items_for(s, district_code)]
        rows = s.execute(
            select(ServiceItem).where(ServiceItem.active).order_by(ServiceItem.id)
        ).scalars()
        return [_item(i) for i in rows]

    return ctx.read(work, anonymous=True)


@api.post("/catalog/items", status_code=201, response_model=S.ItemOut, dependencies=[Idem])
def add_item(body: S.ItemIn, ctx: CtxDep) -> JSONResponse:
    """A district adds its own item under a city category."""
    return ctx.run(
        lambda s, actor: _item(
            catalog.add_district_item(
                s, actor=actor, policy=policy(s), at=ctx.now, **body.model_dump()
            )
        ),
        body=body,
        status=201,
    )


@api.post("/catalog/items/{item_id}/active", response_model=S.ItemOut)
def set_item_active(item_id: RowId, body: S.ActiveIn, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: _item(
            catalog.set_item_active(s, actor=actor, item_id=item_id, active=body.active)
        ),
        body=body,
    )


@api.get("/policy", response_model=S.PolicyOut)
def get_policy(ctx: CtxDep) -> Any:
    """The policy parameters in force (defaults merged with the city's overrides)."""
    return ctx.read(lambda s, _: S.PolicyOut(values=dataclasses.asdict(policy(s))))


@api.post("/policy", response_model=S.PolicyOut)
def set_policy(body: S.PolicyIn, ctx: CtxDep) -> JSONResponse:
    """The city admin changes policy parameters; the merged policy must stay valid."""
    return ctx.run(
        lambda s, actor: S.PolicyOut(
            values=dataclasses.asdict(
                store_policy(s, actor_label=actor.label, at=ctx.now, values=body.values)
            )
        ),
        body=body,
    )


def _org(org: Organisation) -> S.OrganisationOut:
    return S.OrganisationOut.model_validate(org, from_attributes=True)


@api.get("/organisations", response_model=list[S.OrganisationOut])
def list_organisations(ctx: CtxDep, district_code: District = None) -> Any:
    """Stations, care homes and service organisations (public information)."""

    def work(s: Session, _: Actor) -> list[S.OrganisationOut]:
        query = select(Organisation).order_by(Organisation.id).limit(1000)
        if district_code:
            query = query.where(Organisation.district_code == district_code)
        return [_org(o) for o in s.execute(query).scalars()]

    return ctx.read(work, anonymous=True)


@api.post("/organisations", status_code=201, response_model=S.OrganisationOut, dependencies=[Idem])
def register_organisation(body: S.OrganisationIn, ctx: CtxDep) -> JSONResponse:
    return ctx.run(
        lambda s, actor: _org(
            stations.register_organisation(s, actor=actor, at=ctx.now, **body.model_dump())
        ),
        body=body,
        status=201,
    )


@api.post("/organisations/{org_id}/confirmation", response_model=S.OrganisationOut)
def confirm_organisation(org_id: RowId, ctx: CtxDep) -> JSONResponse:
    """Record that the street (街道/乡镇) confirmed the organisation."""
    return ctx.run(
        lambda s, actor: _org(stations.confirm_by_street(s, actor=actor, org_id=org_id, at=ctx.now))
    )


@api.get("/audit/entries", response_model=Page[AuditEntryOut])
def audit_entries(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    moves_coins: bool | None = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """Every act made through the API: who (and for whom), what, on what, when.
    A district admin sees the acts of their district's staff."""

    def work(s: Session, actor: Actor) -> Page[AuditEntryOut]:
        query = select(AuditEntry)
        if actor.role is Role.DISTRICT_ADMIN:
            query = query.where(AuditEntry.district_code == actor.district_code)
        if moves_coins is not None:
            query = query.where(AuditEntry.moves_coins.is_(moves_coins))
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        return paginate(
            s,
            query,
            AuditEntry.id,
            page,
            lambda e: AuditEntryOut.model_validate(e, from_attributes=True),
        )

    return ctx.read(work)


@api.get("/audit/data-access", response_model=Page[DataAccessOut])
def data_access_log(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    person_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """Every staff read of personal data: who, whom, why."""

    def work(s: Session, _: Actor) -> Page[DataAccessOut]:
        query = select(DataAccess)
        if person_id is not None:
            query = query.where(DataAccess.person_id == person_id)
        return paginate(
            s,
            query,
            DataAccess.id,
            page,
            lambda e: DataAccessOut.model_validate(e, from_attributes=True),
        )

    return ctx.read(work)


@api.get("/dashboard", response_model=S.DashboardOut)
def dashboard(ctx: CtxDep, district_code: District = None) -> Any:
    """The dashboard's numbers: a district admin's own district; the city admin and auditors
    the whole city or, with ``district_code``, one district."""

    def work(s: Session, actor: Actor) -> S.DashboardOut:
        district = district_code
        if actor.role is Role.DISTRICT_ADMIN:
            if district_code not in (None, actor.district_code):
                raise NotFound("no such district in your scope", field="district_code")
            district = actor.district_code
        d = build_dashboard(s, district_code=district, today=local_date(ctx.now))
        return S.DashboardOut(district_code=district, **dataclasses.asdict(d))

    return ctx.read(work)
