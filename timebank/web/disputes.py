"""Disputed visits: the elder's side said something was wrong, so nothing was credited and the
elder's coins stay held; a station worker of the district hears both sides and decides — credit
the volunteer (all or part of the recorded time) or not (the hold is released)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.care import visits
from timebank.care.models import Need, Visit
from timebank.errors import InvalidInput, NotFound, TimebankError
from timebank.web import context as wc
from timebank.web.render import WebRoute, redirect, render
from timebank.web.station import station_district
from timebank.web.transactions import act, errors_of, logged, policy, read
from timebank.web.views import names_of, visit_rows

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/s/disputes")
Text = Annotated[str, Form()]
FIELDS = ("decision", "minutes", "resolution")


def _in_district(s: Session, district: str, visit_id: int) -> tuple[Visit, Need]:
    visit = s.get(Visit, visit_id)
    need = None if visit is None else s.get(Need, visit.need_id)
    if visit is None or need is None or need.district_code != district:
        raise NotFound(f"no visit {visit_id}", field="visit_id")
    return visit, need


@router.get("")
def disputes(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "resolve_dispute")

    def work(s: Session, actor: Actor) -> list[Any]:
        rows = list(
            s.execute(
                select(Visit)
                .join(Need, Need.id == Visit.need_id)
                .where(Need.district_code == district, Visit.status == "disputed")
                .order_by(Visit.scheduled_start)
                .limit(100)
            ).scalars()
        )
        return visit_rows(s, rows, lang=web.lang, _=web._, volunteer_view=False)

    return render(
        web,
        "s_disputes.html",
        title=web._("有异议的服务"),
        rows=read(web, work),
        notice=web._("已处理。") if done else None,
    )


def _dispute_page(
    web: wc.Web, district: str, visit_id: int, code: int = 200, **values: Any
) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        visit, _need = _in_district(s, district, visit_id)
        for person_id in (visit.elder_id, visit.volunteer_id):
            logged(web, s, actor, person_id, "dispute")
        row = visit_rows(s, [visit], lang=web.lang, _=web._, volunteer_view=False)[0]
        elder = names_of(s, {visit.elder_id}).get(visit.elder_id, "")
        return {"visit": visit, "row": row, "elder": elder}

    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "s_dispute.html",
        status=code,
        title=web._("处理异议"),
        **read(web, work),
        **values,
    )


@router.get("/{visit_id}")
def dispute_page(request: Request, visit_id: int) -> Response:
    web = wc.web_of(request)
    return _dispute_page(web, station_district(web, "resolve_dispute"), visit_id)


def _minutes(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 5:
        raise InvalidInput("give the minutes to credit as a whole number", field="minutes")
    return int(text)


@router.post("/{visit_id}")
def resolve(
    request: Request,
    visit_id: int,
    decision: Text = "",
    minutes: Text = "",
    resolution: Text = "",
) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "resolve_dispute")
    form = {"decision": decision, "minutes": minutes, "resolution": resolution}
    try:
        if decision not in ("credit", "no_credit"):
            raise InvalidInput("choose whether the volunteer is credited", field="decision")
        uphold = decision == "credit"
        granted = _minutes(minutes) if uphold else None

        def work(s: Session, actor: Actor) -> Visit:
            _in_district(s, district, visit_id)
            return visits.resolve_dispute(
                s,
                actor=actor,
                visit_id=visit_id,
                uphold=uphold,
                minutes=granted,
                resolution=resolution,
                at=web.now,
                policy=policy(s),
            )

        act(web, work, target={"visit_id": visit_id}, moves_coins=True)
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors = errors_of(web, exc, FIELDS)
        return _dispute_page(web, district, visit_id, code=exc.status, errors=errors, form=form)
    return redirect("/s/disputes?done=1")
