"""Whom a page is for: the signed-in person, or the person a family proxy or a station worker
acts for. A proxy holding several grants chooses on ``/whom`` (the choice is POSTed and kept in
a cookie, never in a URL); every page then says "X for Y" at the top (``base.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.auth.models import ProxyGrant
from timebank.db import transaction
from timebank.errors import PermissionDenied
from timebank.people.proxies import grants_of
from timebank.people.repository import get_person
from timebank.web import context as wc
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import read
from timebank.web.views import names_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PERSON_ROLES = (Role.VOLUNTEER, Role.ELDER, Role.PROXY)
HOMES = {Role.VOLUNTEER: "/v", Role.ELDER: "/e", Role.PROXY: "/e"}


@dataclass(frozen=True)
class Who:
    person_id: int
    act_for: int | None  # set when a proxy or station acts for the person
    name: str  # the person's name while acting for them, else ""


def live_grants(session: Session, user_id: int) -> list[ProxyGrant]:
    return [g for g in grants_of(session, person_id=None, user_id=user_id) if g.revoked_at is None]


def whose(web: wc.Web, op: str, *, own: tuple[Role, ...] = (Role.ELDER,)) -> Who:
    """The person these pages are for. ``own``: roles whose own pages these are; anyone else
    (a proxy, a station worker) must be acting for someone, and the API's gate for ``op`` is
    applied to the act-for role, as with the API's ``X-Act-For`` header."""
    principal = web.gate(op, act_for=web.act_for)
    chosen = web.act_for
    if principal.role in own and chosen in (None, principal.person_id):
        assert principal.person_id is not None
        return Who(principal.person_id, None, "")
    with transaction(web.services.factory) as s:
        if chosen is None and principal.role in PERSON_ROLES:
            live = live_grants(s, principal.user_id)
            if len(live) == 1 and principal.role is Role.PROXY:
                chosen = live[0].principal_id
            elif live:
                raise wc.GoTo("/whom")
            else:
                raise PermissionDenied("choose whom to act for", rule="proxy_grant")
        if chosen is None and principal.role is Role.STATION:
            raise wc.GoTo("/s/act-for")
        if chosen is None:
            raise PermissionDenied("choose whom to act for", rule="act_for")
        try:
            web.actor(s, chosen)  # the grant (proxy) or the district (station) is checked here
        except PermissionDenied as exc:
            if exc.rule != "proxy_grant":
                raise
            web.set_cookie(wc.ACT_FOR_COOKIE, "")  # a revoked grant: choose again
            raise wc.GoTo("/whom") from None
        person = get_person(s, chosen)
    web.gate(op, act_for=chosen)
    web.acting_for = person.full_name
    return Who(chosen, chosen, person.full_name)


def _choices(web: wc.Web) -> tuple[list[tuple[int, str]], bool]:
    """(person id, name) of everyone the signed-in person may act for; and whether they
    have pages of their own to go back to."""
    principal = web.gate("list_grants")
    if principal.role not in PERSON_ROLES:
        raise PermissionDenied("choosing whom to act for is for family proxies", rule="api_role")

    def work(s: Session, actor: Actor) -> list[tuple[int, str]]:
        ids = [g.principal_id for g in live_grants(s, principal.user_id)]
        names = names_of(s, set(ids))
        return [(pid, names.get(pid, "")) for pid in ids]

    return read(web, work), principal.role is not Role.PROXY


@router.get("/whom")
def whom_page(request: Request) -> Response:
    web = wc.web_of(request)
    rows, has_own = _choices(web)
    return render(
        web,
        "whom.html",
        title=web._("为谁办理"),
        rows=rows,
        has_own=has_own,
        current=web.act_for,
        acting_for="",
        errors={},
    )


@router.post("/whom")
def choose(request: Request, person_id: Annotated[str, Form()] = "") -> Response:
    web = wc.web_of(request)
    rows, has_own = _choices(web)
    principal = web.principal
    assert principal is not None
    if person_id == "self" and has_own:
        web.set_cookie(wc.ACT_FOR_COOKIE, "")
        return redirect(HOMES[principal.role])
    if not person_id.isdigit() or int(person_id) not in {pid for pid, _ in rows}:
        values: dict[str, Any] = {"rows": rows, "has_own": has_own, "current": web.act_for}
        words = web._("请选一位您代办的人")
        return render(
            web,
            "whom.html",
            status=422,
            title=web._("为谁办理"),
            acting_for="",
            errors={"person_id": (words, False)},
            **values,
        )
    web.set_cookie(wc.ACT_FOR_COOKIE, person_id)
    return redirect("/e")
