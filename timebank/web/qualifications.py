"""Professional qualifications: a volunteer declares one (type, number, issuer, validity) on
``/v/qualifications``; a station of the holder's district verifies or rejects it in its queue
``/s/qualifications``. Professional service items need one that is verified and unexpired."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.errors import InvalidInput, NotFound, TimebankError
from timebank.people import services as people
from timebank.people.models import Person, Qualification
from timebank.web import context as wc
from timebank.web.render import WebRoute, redirect, render
from timebank.web.station import station_district
from timebank.web.transactions import act, errors_of, logged, policy, read
from timebank.web.volunteer import volunteer_id

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Text = Annotated[str, Form()]
TYPE_WORDS = {
    "lawyer": "律师执业证",
    "financial": "金融从业资格",
    "medical": "医师执业证",
    "counsellor": "心理咨询师证",
    "social_worker": "社会工作者证",
    "nurse": "护士执业证",
}
STATUS_WORDS = {
    "pending": "等服务站核实",
    "verified": "已核实",
    "rejected": "没有通过",
    "cancelled": "已作废",
}
FIELDS = ("qualification_type", "number", "issuer", "valid_from", "valid_until")


def _day(raw: str, field: str, *, required: bool) -> date | None:
    if not raw.strip() and not required:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("give a date like 2024-05-01", field=field) from None


# The volunteer's side --------------------------------------------------------------------------


def _mine_page(web: wc.Web, me: int, code: int = 200, **values: Any) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        rows = s.execute(
            select(Qualification)
            .where(Qualification.person_id == me)
            .order_by(Qualification.id.desc())
        ).scalars()
        return {"rows": list(rows), "types": policy(s).qualification_types}

    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "v_qualifications.html",
        status=code,
        title=web._("专业资格"),
        type_words=TYPE_WORDS,
        status_words=STATUS_WORDS,
        **read(web, work),
        **values,
    )


@router.get("/v/qualifications")
def mine(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "add_qualification")
    notice = web._("已提交，请带证书原件到服务站核实。") if done else None
    return _mine_page(web, me, notice=notice)


@router.post("/v/qualifications")
def add(
    request: Request,
    qualification_type: Text = "",
    number: Text = "",
    issuer: Text = "",
    valid_from: Text = "",
    valid_until: Text = "",
) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "add_qualification")
    form = {
        "qualification_type": qualification_type,
        "number": number,
        "issuer": issuer,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    try:
        start = _day(valid_from, "valid_from", required=True)
        until = _day(valid_until, "valid_until", required=False)
        assert start is not None
        act(
            web,
            lambda s, actor: people.add_qualification(
                s,
                actor=actor,
                person_id=me,
                qualification_type=qualification_type,
                number=number,
                issuer=issuer,
                valid_from=start,
                valid_until=until,
                at=web.now,
                policy=policy(s),
            ),
            target={"person_id": me},
        )
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        return _mine_page(web, me, code=exc.status, errors=errors_of(web, exc, FIELDS), form=form)
    return redirect("/v/qualifications?done=1")


# The station's queue ---------------------------------------------------------------------------


def _queue_page(web: wc.Web, district: str, code: int = 200, **values: Any) -> Response:
    def work(s: Session, actor: Actor) -> list[tuple[Qualification, Person]]:
        rows = list(
            s.execute(
                select(Qualification, Person)
                .join(Person, Person.id == Qualification.person_id)
                .where(Qualification.status == "pending", Person.district_code == district)
                .order_by(Qualification.id)
                .limit(100)
            )
            .tuples()
            .all()
        )
        for _q, person in rows:
            logged(web, s, actor, person.id, "qualification_check")
        return rows

    values.setdefault("errors", {})
    return render(
        web,
        "s_qualifications.html",
        status=code,
        title=web._("专业资格核实"),
        rows=read(web, work),
        type_words=TYPE_WORDS,
        **values,
    )


@router.get("/s/qualifications")
def queue(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "verify_qualification")
    words = {"verified": web._("资格已核实。"), "rejected": web._("资格已驳回。")}
    return _queue_page(web, district, notice=words.get(done))


@router.post("/s/qualifications/{qualification_id}")
def decide(
    request: Request, qualification_id: int, decision: Text = "", reason: Text = ""
) -> Response:
    web = wc.web_of(request)
    verify = decision == "verify"
    district = station_district(web, "verify_qualification" if verify else "reject_qualification")

    def work(s: Session, actor: Actor) -> Qualification:
        found = s.get(Qualification, qualification_id)
        holder = None if found is None else s.get(Person, found.person_id)
        if holder is None or holder.district_code != district:
            raise NotFound(f"no qualification {qualification_id}", field="qualification_id")
        if verify:
            return people.verify_qualification(
                s, actor=actor, qualification_id=qualification_id, at=web.now
            )
        if decision != "reject":
            raise InvalidInput("choose verify or reject", field="reason")
        return people.reject_qualification(
            s, actor=actor, qualification_id=qualification_id, reason=reason, at=web.now
        )

    try:
        act(web, work, target={"qualification_id": qualification_id})
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        words = errors_of(web, exc, ("reason",))
        return _queue_page(web, district, code=exc.status, errors={qualification_id: words})
    return redirect(f"/s/qualifications?done={'verified' if verify else 'rejected'}")
