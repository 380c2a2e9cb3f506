"""The elder's pages, also used by a family proxy (with a grant) and by a station worker acting
for the elder: publish a need in three screens, who is coming, the rotating check-in code,
confirm and rate, balance and gifts received. Every act is recorded as "X for Y"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.care import codes, needs, visits
from timebank.care import queries as care_queries
from timebank.care.models import Need, Visit
from timebank.catalog.services import get_item, items_for
from timebank.clock import LOCAL_TZ, local_date
from timebank.db import transaction
from timebank.errors import InvalidInput, NotFound, TimebankError
from timebank.ledger import services as ledger
from timebank.people import queries as people_queries
from timebank.web import context as wc
from timebank.web.case_views import has_sanctions
from timebank.web.on_behalf import Who, whose
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import act, errors_of, policy, read
from timebank.web.views import (
    KIND_WORDS,
    NEED_STATUS_WORDS,
    category_names,
    item_name,
    received_coins,
    visit_rows,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/e")
SLOTS = {"am": (time(9, 0), time(11, 30)), "pm": (time(14, 0), time(17, 0))}
DURATIONS = (60, 90, 120)
DAYS_AHEAD = 7
DONE = {
    "need": "需求已发布。服务站审核后，志愿者就能看到。",
    "confirmed": "谢谢您的评价，服务已确认。",
    "disputed": "已告诉服务站，他们会联系您。",
}


def _who(web: wc.Web, op: str) -> Who:
    """Whose elder pages these are: the elder, or the person a proxy or station acts for."""
    return whose(web, op, own=(Role.ELDER,))


def _notice(web: wc.Web, done: str) -> str | None:
    return web._(DONE[done]) if done in DONE else None


@router.get("")
def home(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    who = _who(web, "get_balance")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        person = people_queries.person(s, actor, who.person_id)
        coming = list(
            s.execute(
                select(Visit)
                .where(
                    Visit.elder_id == who.person_id,
                    Visit.status.in_(("scheduled", "checked_in", "checked_out")),
                )
                .order_by(Visit.scheduled_start)
                .limit(10)
            ).scalars()
        )
        waiting = list(
            s.execute(
                select(Need)
                .where(Need.elder_id == who.person_id, Need.status.in_(("pending_review", "open")))
                .order_by(Need.window_start)
                .limit(10)
            ).scalars()
        )
        items = {i.id: item_name(i, web.lang) for i in items_for(s, person.district_code)}
        return {
            "person": person,
            "bal": ledger.balances(s, person_id=who.person_id, policy=policy(s)),
            "coming": visit_rows(s, coming, lang=web.lang, _=web._, volunteer_view=False),
            "sanctioned": has_sanctions(s, who.person_id),
            "waiting": [
                (n, items.get(n.item_id, ""), web._(NEED_STATUS_WORDS[n.status])) for n in waiting
            ],
        }

    data = read(web, work, act_for=who.act_for)
    return render(
        web,
        "e_home.html",
        title=web._("老人首页"),
        notice=_notice(web, done),
        **data,
    )


# Publishing a need: what → when → confirm -----------------------------------------------------


@router.get("/need")
def need_what(request: Request) -> Response:
    web = wc.web_of(request)
    who = _who(web, "publish_need")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        person = people_queries.person(s, actor, who.person_id)
        cats = category_names(s, web.lang)
        groups: dict[str, list[tuple[int, str]]] = {}
        for item in items_for(s, person.district_code):
            if not item.professional:
                groups.setdefault(cats.get(item.category_code, ""), []).append(
                    (item.id, item_name(item, web.lang))
                )
        return {"groups": groups}

    data = read(web, work, act_for=who.act_for)
    return render(web, "e_need_what.html", title=web._("需要什么帮助"), **data)


def _days(today: date, lang: str, _: Any) -> list[tuple[str, str]]:
    names = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    out = []
    for i in range(DAYS_AHEAD):
        day = today + timedelta(days=i)
        label = {0: _("今天"), 1: _("明天"), 2: _("后天")}.get(i, _(names[day.weekday()]))
        out.append(
            (
                day.isoformat(),
                f"{label} {day.month}/{day.day}"
                if lang == "en"
                else f"{label}（{day.month}月{day.day}日）",
            )
        )
    return out


def _item_label(web: wc.Web, item_id: int) -> str:
    with transaction(web.services.factory) as s:
        try:
            return item_name(get_item(s, item_id), web.lang)
        except NotFound:
            raise InvalidInput("choose a service", field="item_id") from None


@router.get("/need/when")
def need_when(request: Request, item: int = 0) -> Response:
    web = wc.web_of(request)
    _who(web, "publish_need")
    label = _item_label(web, item)
    return render(
        web,
        "e_need_when.html",
        title=web._("什么时候"),
        item=item,
        item_label=label,
        days=_days(local_date(web.now), web.lang, web._),
        durations=DURATIONS,
    )


def _window(day: str, slot: str, minutes: int) -> tuple[datetime, datetime]:
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("choose a day", field="window_start") from None
    if slot not in SLOTS:
        raise InvalidInput("choose morning or afternoon", field="window_start")
    if minutes not in DURATIONS:
        raise InvalidInput("choose how long", field="expected_minutes")
    start, end = SLOTS[slot]
    return datetime.combine(on, start, LOCAL_TZ), datetime.combine(on, end, LOCAL_TZ)


@router.get("/need/confirm")
def need_confirm(
    request: Request, item: int = 0, day: str = "", slot: str = "", minutes: int = 0
) -> Response:
    web = wc.web_of(request)
    _who(web, "publish_need")
    label = _item_label(web, item)
    start, end = _window(day, slot, minutes)
    return render(
        web,
        "e_need_confirm.html",
        title=web._("确认发布"),
        errors={},
        form={
            "item": item,
            "day": day,
            "slot": slot,
            "minutes": minutes,
            "description": web._("需要{item}", item=label),
        },
        item_label=label,
        start=start,
        end=end,
    )


@router.post("/need")
def publish(
    request: Request,
    item: Annotated[int, Form()],
    day: Annotated[str, Form()],
    slot: Annotated[str, Form()],
    minutes: Annotated[int, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    who = _who(web, "publish_need")
    label = _item_label(web, item)
    start, end = _window(day, slot, minutes)
    try:
        act(
            web,
            lambda s, actor: needs.publish_need(
                s,
                actor=actor,
                request=needs.NeedRequest(
                    elder_id=who.person_id,
                    item_id=item,
                    description=description,
                    window_start=start,
                    window_end=end,
                    expected_minutes=minutes,
                ),
                policy=policy(s),
                at=web.now,
            ),
            act_for=who.act_for,
            target={"person_id": who.person_id},
        )
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        return render(
            web,
            "e_need_confirm.html",
            status=exc.status,
            title=web._("确认发布"),
            errors=errors_of(web, exc, ("description",)),
            form={
                "item": item,
                "day": day,
                "slot": slot,
                "minutes": minutes,
                "description": description,
            },
            item_label=label,
            start=start,
            end=end,
        )
    return redirect("/e?done=need")


# The check-in code --------------------------------------------------------------------------


def _code(web: wc.Web, who: Who) -> dict[str, Any]:
    code = read(
        web,
        lambda s, actor: (
            people_queries.person(s, actor, who.person_id),
            codes.current_code(s, elder_id=who.person_id, at=web.now),
        )[1],
        act_for=who.act_for,
    )
    svg = codes.qr_svg(code)
    svg = svg[svg.index("<svg") :] if "<svg" in svg else svg
    left = 60 - int(web.now.timestamp()) % 60
    return {
        "code": code,
        "pretty": f"{code[:3]} {code[3:]}",
        # Built by the qrcode library from six digits only: nothing a user typed reaches it.
        "qr": Markup(
            svg.replace("<svg", '<svg class="qr" role="img" aria-labelledby="qr-label"', 1)
        ),
        "seconds_left": left,
    }


@router.get("/code")
def code_page(request: Request) -> Response:
    web = wc.web_of(request)
    who = _who(web, "check_in_code")
    return render(
        web,
        "e_code.html",
        title=web._("签到码"),
        part=False,
        **_code(web, who),
    )


@router.get("/code/part")
def code_part(request: Request) -> Response:
    web = wc.web_of(request)
    who = _who(web, "check_in_code")
    return render(web, "e_code_part.html", part=True, **_code(web, who))


# Confirm and rate; or say something was wrong -----------------------------------------------------


def _visit(web: wc.Web, who: Who, visit_id: int) -> Any:
    def work(s: Session, actor: Actor) -> Any:
        visit = care_queries.visit(s, actor, visit_id)
        if visit.elder_id != who.person_id:
            raise NotFound(f"no visit {visit_id}", field="visit_id")
        return visit_rows(s, [visit], lang=web.lang, _=web._, volunteer_view=False)[0]

    return read(web, work, act_for=who.act_for)


@router.get("/visits/{visit_id}")
def confirm_page(request: Request, visit_id: int) -> Response:
    web = wc.web_of(request)
    who = _who(web, "confirm_visit")
    return render(
        web,
        "e_confirm.html",
        title=web._("确认服务"),
        row=_visit(web, who, visit_id),
        errors={},
        form={},
    )


@router.post("/visits/{visit_id}/confirm")
def confirm(
    request: Request,
    visit_id: int,
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    who = _who(web, "confirm_visit")
    device = (request.headers.get("user-agent") or "")[:64]
    try:
        stars = int(rating) if rating.isdigit() else 0
        act(
            web,
            lambda s, actor: visits.confirm_visit(
                s,
                actor=actor,
                visit_id=visit_id,
                rating=stars,
                comment=comment,
                at=web.now,
                policy=policy(s),
                device=device,
            ),
            act_for=who.act_for,
            target={"visit_id": visit_id},
            moves_coins=True,
        )
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(
            web,
            "e_confirm.html",
            status=exc.status,
            title=web._("确认服务"),
            row=_visit(web, who, visit_id),
            errors=errors_of(web, exc, ("rating", "comment")),
            form={"rating": rating, "comment": comment},
        )
    return redirect("/e?done=confirmed")


@router.get("/visits/{visit_id}/problem")
def problem_page(request: Request, visit_id: int) -> Response:
    web = wc.web_of(request)
    who = _who(web, "dispute_visit")
    return render(
        web,
        "e_problem.html",
        title=web._("服务有问题"),
        row=_visit(web, who, visit_id),
        errors={},
        form={},
    )


@router.post("/visits/{visit_id}/problem")
def dispute(request: Request, visit_id: int, reason: Annotated[str, Form()] = "") -> Response:
    web = wc.web_of(request)
    who = _who(web, "dispute_visit")
    try:
        act(
            web,
            lambda s, actor: visits.dispute_visit(
                s, actor=actor, visit_id=visit_id, reason=reason, at=web.now
            ),
            act_for=who.act_for,
            target={"visit_id": visit_id},
        )
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(
            web,
            "e_problem.html",
            status=exc.status,
            title=web._("服务有问题"),
            row=_visit(web, who, visit_id),
            errors=errors_of(web, exc, ("reason",)),
            form={"reason": reason},
        )
    return redirect("/e?done=disputed")


@router.get("/gifts")
def gifts(request: Request) -> Response:
    web = wc.web_of(request)
    who = _who(web, "get_statement")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        people_queries.person(s, actor, who.person_id)
        return {
            "bal": ledger.balances(s, person_id=who.person_id, policy=policy(s)),
            "rows": received_coins(s, who.person_id),
            "kinds": KIND_WORDS,
        }

    return render(
        web,
        "e_gifts.html",
        title=web._("收到的时间币"),
        **read(web, work, act_for=who.act_for),
    )
