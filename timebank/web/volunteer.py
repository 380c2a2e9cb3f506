"""The volunteer's pages: home, nearby needs, accept, check in and out, history, statement,
gifts to verified relatives, donations."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.care import assign, visits
from timebank.care import queries as care_queries
from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceItem
from timebank.clock import local_date
from timebank.errors import InvalidInput, PermissionDenied, TimebankError
from timebank.ledger import services as ledger
from timebank.ledger.statement import statement, statement_csv
from timebank.people import services as people
from timebank.people.models import TrainingRecord
from timebank.web import context as wc
from timebank.web.case_views import has_sanctions
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import act, errors_of, ledger_key, nonce, policy, read
from timebank.web.views import (
    KIND_WORDS,
    REFUSAL_WORDS,
    RELATION_WORDS,
    item_name,
    names_of,
    visit_rows,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/v")
Text = Annotated[str, Form()]
DONE = {
    "accepted": "已接单。请按时上门，到了请老人出示签到码。",
    "checked_in": "已签到。服务结束时请签退。",
    "checked_out": "已签退。老人确认后，时间币会存入您的账户。",
    "gift": "赠予成功。",
    "donation": "捐赠成功，谢谢您！",
}


def volunteer_id(web: wc.Web, op: str) -> int:
    principal = web.gate(op)
    if principal.role is not Role.VOLUNTEER or principal.person_id is None:
        raise PermissionDenied("these pages are for volunteers", rule="api_role")
    return principal.person_id


def _notice(web: wc.Web, done: str) -> str | None:
    return web._(DONE[done]) if done in DONE else None


def hours_to_minutes(raw: str, field: str = "amount") -> int:
    try:
        hours = float(raw.strip().replace("，", "."))
    except ValueError:
        raise InvalidInput("give a number of hours, like 1 or 1.5", field=field) from None
    minutes = round(hours * 60)
    if minutes <= 0 or minutes > 100_000 * 60 or abs(hours * 60 - minutes) > 1e-6:
        raise InvalidInput("give a number of hours, like 1 or 1.5", field=field)
    return minutes


@router.get("")
def home(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "get_balance")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        pol = policy(s)
        person = people.get_person(s, me)
        trained = (
            s.execute(
                select(TrainingRecord)
                .where(TrainingRecord.person_id == me)
                .order_by(TrainingRecord.completed_on.desc())
            )
            .scalars()
            .first()
        )
        upcoming = list(
            s.execute(
                select(Visit)
                .where(Visit.volunteer_id == me, Visit.status.in_(("scheduled", "checked_in")))
                .order_by(Visit.scheduled_start)
                .limit(5)
            ).scalars()
        )
        return {
            "person": person,
            "bal": ledger.balances(s, person_id=me, policy=pol),
            "trained": trained,
            "refusals": people.serving_refusals(
                s, person_id=me, on=local_date(web.now), policy=pol
            ),
            "upcoming": visit_rows(s, upcoming, lang=web.lang, _=web._, volunteer_view=True),
            "goal_minutes": pol.admission_service_minutes,
            "levels": pol.star_level_hours,
            "refusal_words": REFUSAL_WORDS,
            "sanctioned": has_sanctions(s, me),
        }

    data = read(web, work)
    return render(
        web, "v_home.html", title=web._("我的时间银行"), notice=_notice(web, done), **data
    )


@router.get("/nearby")
def nearby(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "nearby_needs")

    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        found = assign.nearby_needs(s, volunteer_id=me, at=web.now, limit=20)
        needs = {
            n.id: n
            for n in s.execute(
                select(Need).where(Need.id.in_([f.need_id for f in found]))
            ).scalars()
        }
        items = {
            i.id: i
            for i in s.execute(
                select(ServiceItem).where(ServiceItem.id.in_({n.item_id for n in needs.values()}))
            ).scalars()
        }
        out = []
        for f in found:
            need = needs[f.need_id]
            out.append(
                {
                    "id": need.id,
                    "item": item_name(items.get(need.item_id), web.lang),
                    "distance_m": f.distance_m,
                    "start": datetime.fromtimestamp(f.start, UTC),
                    "minutes": need.expected_minutes,
                    "description": need.description,
                }
            )
        return out

    rows = read(web, work)
    return render(web, "v_nearby.html", title=web._("附近的需求"), rows=rows)


@router.post("/needs/{need_id}/accept")
def accept(request: Request, need_id: int) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "accept_need")
    visit = act(
        web,
        lambda s, actor: assign.assign_need(
            s, actor=actor, need_id=need_id, volunteer_id=me, policy=policy(s), at=web.now
        ),
        target={"need_id": need_id},
    )
    return redirect(f"/v/visits/{visit.id}?done=accepted")


@router.get("/visits")
def history(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "person_visits")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        rows = list(
            s.execute(
                select(Visit)
                .where(Visit.volunteer_id == me)
                .order_by(Visit.scheduled_start.desc())
                .limit(50)
            ).scalars()
        )
        credits = [line for line in statement(s, person_id=me) if line.kind == "service_credit"][
            -30:
        ]
        return {
            "visits": visit_rows(s, rows, lang=web.lang, _=web._, volunteer_view=True),
            "credits": list(reversed(credits)),
        }

    return render(web, "v_history.html", title=web._("我的服务记录"), **read(web, work))


def _own_visit(s: Session, actor: Actor, visit_id: int, me: int) -> Visit:
    visit = care_queries.visit(s, actor, visit_id)
    if visit.volunteer_id != me:
        raise PermissionDenied("this visit is another volunteer's", rule="own_visit")
    return visit


def _visit_page(
    web: wc.Web,
    visit_id: int,
    me: int,
    errors: dict[str, Any],
    status: int = 200,
    notice: str | None = None,
) -> Response:
    def work(s: Session, actor: Actor) -> Any:
        visit = _own_visit(s, actor, visit_id, me)
        return visit_rows(s, [visit], lang=web.lang, _=web._, volunteer_view=True)[0]

    row = read(web, work)
    return render(
        web,
        "v_visit.html",
        status=status,
        title=web._("这次服务"),
        row=row,
        errors=errors,
        notice=notice,
    )


@router.get("/visits/{visit_id}")
def visit_page(request: Request, visit_id: int, done: str = "") -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "get_visit")
    return _visit_page(web, visit_id, me, {}, notice=_notice(web, done))


@router.post("/visits/{visit_id}/check-in")
def check_in(
    request: Request, visit_id: int, code: Text = "", lat: Text = "", lon: Text = ""
) -> Response:
    return _presence(request, visit_id, code, "check_in", lat, lon)


@router.post("/visits/{visit_id}/check-out")
def check_out(
    request: Request, visit_id: int, code: Text = "", lat: Text = "", lon: Text = ""
) -> Response:
    return _presence(request, visit_id, code, "check_out", lat, lon)


def position(lat: str, lon: str) -> tuple[float | None, float | None]:
    """The browser's position, when it gave one (``static/app.js``); the form works without."""
    if not lat.strip() and not lon.strip():
        return None, None
    try:
        found = float(lat), float(lon)
    except ValueError:
        raise InvalidInput("the position sent by the phone is not a number", field="lat") from None
    if not all(math.isfinite(v) for v in found):
        raise InvalidInput("the position sent by the phone is not a number", field="lat")
    return found


def _presence(request: Request, visit_id: int, code: str, op: str, lat: str, lon: str) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, op)
    device = (request.headers.get("user-agent") or "")[:64]

    def work(s: Session, actor: Actor) -> Visit:
        _own_visit(s, actor, visit_id, me)
        where_lat, where_lon = position(lat, lon)
        if op == "check_in":
            return visits.check_in(
                s,
                actor=actor,
                visit_id=visit_id,
                code=code,
                at=web.now,
                policy=policy(s),
                lat=where_lat,
                lon=where_lon,
                device=device,
            )
        return visits.check_out(
            s, actor=actor, visit_id=visit_id, code=code, at=web.now, lat=where_lat, lon=where_lon
        )

    try:
        act(web, work, target={"visit_id": visit_id})
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _visit_page(web, visit_id, me, errors_of(web, exc, ("code",)), status=exc.status)
    return redirect(
        f"/v/visits/{visit_id}?done={'checked_in' if op == 'check_in' else 'checked_out'}"
    )


@router.get("/statement")
def statement_page(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "get_statement")
    lines = read(web, lambda s, actor: statement(s, person_id=me))
    rows = list(reversed(lines))[:100]
    return render(
        web,
        "v_statement.html",
        title=web._("账单"),
        rows=rows,
        total=len(lines),
        kinds=KIND_WORDS,
    )


@router.get("/statement.csv")
def statement_download(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "get_statement")
    text = read(web, lambda s, actor: statement_csv(statement(s, person_id=me)))
    day = local_date(web.now).isoformat()
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{day}.csv"'},
    )


# Gifts and donations -------------------------------------------------------------------------


def _relatives(web: wc.Web, me: int) -> tuple[list[tuple[int, str, str]], Any]:
    def work(s: Session, actor: Actor) -> tuple[list[tuple[int, str, str]], Any]:
        rel = people.verified_relatives(s, me)
        names = names_of(s, {pid for pid, _ in rel})
        out = [(pid, names.get(pid, ""), web._(RELATION_WORDS.get(r, r))) for pid, r in rel]
        return out, ledger.balances(s, person_id=me, policy=policy(s))

    return read(web, work)


@router.get("/gift")
def gift_page(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "gift")
    relatives, bal = _relatives(web, me)
    return render(
        web,
        "v_gift.html",
        title=web._("赠予亲属"),
        relatives=relatives,
        bal=bal,
        errors={},
        form={},
        nonce=nonce(),
    )


@router.post("/gift")
def gift(
    request: Request,
    amount: Text,
    key: Text,
    recipient_id: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "gift")
    try:
        if not recipient_id.isdigit():
            raise InvalidInput("choose a relative", field="recipient_id")
        minutes = hours_to_minutes(amount)
        act(
            web,
            lambda s, actor: ledger.gift(
                s,
                actor=actor,
                key=ledger_key(web, "gift", key),
                giver_id=me,
                recipient_id=int(recipient_id),
                amount=minutes,
                policy=policy(s),
                at=web.now,
            ),
            target={"person_id": me},
            moves_coins=True,
        )
    except TimebankError as exc:
        if exc.status in (401, 403, 404) and exc.field not in ("recipient_id",):
            raise
        relatives, bal = _relatives(web, me)
        return render(
            web,
            "v_gift.html",
            status=exc.status,
            title=web._("赠予亲属"),
            relatives=relatives,
            bal=bal,
            errors=errors_of(web, exc, ("amount", "recipient_id")),
            form={"amount": amount, "recipient_id": recipient_id},
            nonce=key,
        )
    return redirect("/v?done=gift")


@router.get("/donate")
def donate_page(request: Request) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "donate")
    bal = read(web, lambda s, actor: ledger.balances(s, person_id=me, policy=policy(s)))
    return render(
        web,
        "v_donate.html",
        title=web._("捐赠给公益池"),
        bal=bal,
        errors={},
        form={},
        nonce=nonce(),
    )


@router.post("/donate")
def donate(
    request: Request, amount: Text, key: Text, source: Annotated[str, Form()] = "earned"
) -> Response:
    web = wc.web_of(request)
    me = volunteer_id(web, "donate")
    try:
        minutes = hours_to_minutes(amount)
        act(
            web,
            lambda s, actor: ledger.donate(
                s,
                actor=actor,
                key=ledger_key(web, "donation", key),
                donor_id=me,
                amount=minutes,
                source=source,
                at=web.now,
            ),
            target={"person_id": me},
            moves_coins=True,
        )
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        bal = read(web, lambda s, actor: ledger.balances(s, person_id=me, policy=policy(s)))
        return render(
            web,
            "v_donate.html",
            status=exc.status,
            title=web._("捐赠给公益池"),
            bal=bal,
            errors=errors_of(web, exc, ("amount", "source")),
            form={"amount": amount, "source": source},
            nonce=key,
        )
    return redirect("/v?done=donation")
