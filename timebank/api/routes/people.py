"""People: staff registration, reading (masked), the road to volunteering, status, profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.api.context import CtxDep, Idem
from timebank.api.pagination import Page, PageParams, page_params, paginate
from timebank.api.routes.common import policy, router
from timebank.api.schemas import people as S
from timebank.api.types import MAX_ID
from timebank.audit.services import record_consent
from timebank.care.profiles import set_volunteer_profile as set_profile
from timebank.errors import NotFound
from timebank.ledger.services import open_accounts
from timebank.people import queries as people_queries
from timebank.people import services as people
from timebank.people.models import Person

api = router("people")
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.post("/people", status_code=201, response_model=S.PersonOut, dependencies=[Idem])
def register_person(body: S.PersonIn, ctx: CtxDep) -> JSONResponse:
    """A station registers a person of its district — e.g. an elder without a phone."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        person = people.register_person(s, actor=actor, at=ctx.now, **body.model_dump())
        open_accounts(s, person_id=person.id, at=ctx.now)
        if body.guardian_consent and body.guardian_id:
            record_consent(
                s,
                actor=actor,
                person_id=person.id,
                kind="guardian",
                given=True,
                at=ctx.now,
                guardian_id=body.guardian_id,
            )
        return S.PersonOut.of(person, actor)

    return ctx.run(work, body=body, status=201)


@api.get("/people", response_model=Page[S.PersonOut])
def list_people(
    ctx: CtxDep,
    page: Annotated[PageParams, Depends(page_params)],
    district_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> Any:
    """People of a district (staff: their own district). Each read is logged."""

    def work(s: Session, actor: Actor) -> Page[S.PersonOut]:
        district = district_code
        if actor.role in (Role.STATION, Role.DISTRICT_ADMIN):
            district = actor.district_code
        query = select(Person)
        if district:
            query = query.where(Person.district_code == district)
        result = paginate(s, query, Person.id, page, lambda p: S.PersonOut.of(p, actor))
        ctx.log_access(s, actor, None, f"list:{district or 'city'}")
        return result

    return ctx.read(work)


@api.get("/people/{person_id}", response_model=S.PersonOut)
def get_person(person_id: PersonId, ctx: CtxDep) -> Any:
    """A person's record: the resident ID is masked except to its owner. Staff reads are
    logged with the X-Purpose header as the reason."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        person = people_queries.person(s, actor, person_id)
        ctx.log_access(s, actor, person.id, "person")
        full = None
        if actor.person_id == person.id and actor.on_behalf_of is None:
            full = people.reveal_id_number(s, actor=actor, person_id=person.id)
        return S.PersonOut.of(person, actor, full)

    return ctx.read(work)


@api.get("/people/{person_id}/id-number", response_model=S.IdNumberOut)
def reveal_id_number(person_id: PersonId, ctx: CtxDep) -> Any:
    """The full resident ID: the person, their proxy, or the city admin (logged)."""

    def work(s: Session, actor: Actor) -> S.IdNumberOut:
        people_queries.person(s, actor, person_id)
        number = people.reveal_id_number(s, actor=actor, person_id=person_id)
        ctx.log_access(s, actor, person_id, "id_number")
        return S.IdNumberOut(person_id=person_id, id_number=number)

    return ctx.read(work)


def _person_act(ctx: Any, body: Any, fn: Any, **kw: Any) -> JSONResponse:
    def work(s: Session, actor: Actor) -> S.PersonOut:
        people_queries.person(s, actor, kw.get("person_id") or kw["minor_id"])
        return S.PersonOut.of(fn(s, actor=actor, at=ctx.now, **kw), actor)

    return ctx.run(work, body=body)


@api.post("/people/{person_id}/residency", response_model=S.PersonOut)
def record_residency(person_id: PersonId, body: S.ResidencyIn, ctx: CtxDep) -> JSONResponse:
    """A station records the hukou or residence permit it has seen."""
    return _person_act(
        ctx, body, people.record_residency_proof, person_id=person_id, **body.model_dump()
    )


@api.post("/people/{person_id}/health", response_model=S.PersonOut)
def declare_health(person_id: PersonId, body: S.HealthIn, ctx: CtxDep) -> JSONResponse:
    """The person (or proxy, or a station from a paper form) declares fitness to serve."""
    return _person_act(ctx, body, people.declare_health, person_id=person_id, fit=body.fit)


@api.post("/people/{person_id}/training", status_code=201, response_model=S.PersonOut)
def record_training(person_id: PersonId, body: S.TrainingIn, ctx: CtxDep) -> JSONResponse:
    """A station confirms a completed course (training comes before activation)."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        people_queries.person(s, actor, person_id)
        people.record_training(s, actor=actor, person_id=person_id, at=ctx.now, **body.model_dump())
        return S.PersonOut.of(people.get_person(s, person_id), actor)

    return ctx.run(work, body=body, status=201)


@api.post("/people/{person_id}/guardian", response_model=S.PersonOut)
def link_guardian(person_id: PersonId, body: S.GuardianIn, ctx: CtxDep) -> JSONResponse:
    """A station links a minor to a guardian; consent starts afresh."""
    return _person_act(
        ctx, body, people.link_guardian, minor_id=person_id, guardian_id=body.guardian_id
    )


@api.post("/people/{person_id}/guardian-consent", response_model=S.PersonOut)
def record_guardian_consent(person_id: PersonId, body: S.ConsentIn, ctx: CtxDep) -> JSONResponse:
    """The guardian (or a station holding the signed form) gives or withdraws consent."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        people_queries.person(s, actor, person_id)
        minor = people.record_guardian_consent(
            s, actor=actor, minor_id=person_id, at=ctx.now, consent=body.consent
        )
        record_consent(
            s,
            actor=actor,
            person_id=minor.id,
            kind="guardian",
            given=body.consent,
            at=ctx.now,
            guardian_id=minor.guardian_id,
            evidence=body.evidence,
        )
        return S.PersonOut.of(minor, actor)

    return ctx.run(work, body=body)


@api.post("/people/{person_id}/activation", response_model=S.PersonOut)
def activate_volunteer(person_id: PersonId, ctx: CtxDep) -> JSONResponse:
    """Become a volunteer once every rule holds; otherwise 409 names each unmet rule."""

    def work(s: Session, actor: Actor) -> S.PersonOut:
        people_queries.person(s, actor, person_id)
        person = people.activate_volunteer(
            s, actor=actor, person_id=person_id, at=ctx.now, policy=policy(s)
        )
        return S.PersonOut.of(person, actor)

    return ctx.run(work)


@api.post("/people/{person_id}/status", response_model=S.PersonOut)
def set_person_status(person_id: PersonId, body: S.StatusIn, ctx: CtxDep) -> JSONResponse:
    """Suspend, reinstate, disqualify or exit a person, with a reason."""
    return _person_act(
        ctx, body, people.set_status, person_id=person_id, status=body.status, reason=body.reason
    )


@api.post("/people/{person_id}/death", response_model=S.PersonOut)
def record_death(person_id: PersonId, body: S.DeathIn, ctx: CtxDep) -> JSONResponse:
    """Record a death; the coins pass to the named relative or the pool."""
    return _person_act(
        ctx,
        body,
        people.record_death,
        person_id=person_id,
        died_on=body.died_on,
        reason=body.reason,
    )


@api.put("/people/{person_id}/volunteer-profile", response_model=S.ProfileOut)
def set_volunteer_profile(person_id: PersonId, body: S.ProfileIn, ctx: CtxDep) -> JSONResponse:
    """What a volunteer offers: categories, travel radius, weekly hours (Asia/Shanghai)."""

    def work(s: Session, actor: Actor) -> S.ProfileOut:
        people_queries.person(s, actor, person_id)
        if s.get(Person, person_id) is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        profile = set_profile(
            s,
            actor=actor,
            person_id=person_id,
            categories=body.categories,
            radius_m=body.radius_m,
            availability=[list(a) for a in body.availability],
            at=ctx.now,
            lat=body.lat,
            lon=body.lon,
        )
        return S.ProfileOut.model_validate(profile, from_attributes=True)

    return ctx.run(work, body=body)
