"""The in-app inbox (消息): every notice sent to a volunteer or an elder, SMS or not. A family
proxy or a station worker acting for an elder sees the elder's. The city admin's page lists the
notices that no attempt delivered, with the last error, to follow up by hand."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.notices import inbox as notices
from timebank.web import context as wc
from timebank.web.on_behalf import HOMES, Who, whose
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import act, read

router = APIRouter(route_class=WebRoute, include_in_schema=False)
KIND_WORDS = {
    "watch_reminder": "重点关注提醒",
    "case_warning": "警告",
    "code": "验证码",
    "sms": "短信",
}


def _who(web: wc.Web, op: str) -> Who:
    return whose(web, op, own=(Role.VOLUNTEER, Role.ELDER))


def _home(web: wc.Web, who: Who) -> str:
    principal = web.principal
    if who.act_for is None and principal is not None:
        return HOMES.get(principal.role, "/")
    return "/e"


@router.get("/inbox")
def inbox_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    who = _who(web, "list_inbox")

    def work(s: Session, _: Actor) -> dict[str, Any]:
        return {
            "rows": notices.inbox(s, person_id=who.person_id),
            "unread": notices.unread_count(s, person_id=who.person_id),
        }

    return render(
        web,
        "inbox.html",
        title=web._("我的消息"),
        notice=web._("已全部标为已读。") if done == "read" else None,
        kinds=KIND_WORDS,
        home=_home(web, who),
        **read(web, work, act_for=who.act_for),
    )


@router.post("/inbox/read")
def mark_all_read(request: Request) -> Response:
    web = wc.web_of(request)
    who = _who(web, "mark_notice_read")
    act(
        web,
        lambda s, _: notices.mark_all_read(s, person_id=who.person_id, at=web.now),
        act_for=who.act_for,
    )
    return redirect("/inbox?done=read")


@router.get("/a/notices")
def given_up_page(request: Request) -> Response:
    web = wc.web_of(request)
    web.gate("list_given_up_notices")
    rows = read(web, lambda s, _: notices.given_up(s))
    return render(web, "a_notices.html", title=web._("未送达的通知"), rows=rows, kinds=KIND_WORDS)
