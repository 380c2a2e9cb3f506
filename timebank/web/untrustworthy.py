"""The public untrustworthy list (失信名单): anyone may read it. A district admin (for their
district) or the city lists an institution with the reason, or lifts a listing made outside a
case; a case's listing comes off only by an upheld appeal. A listed institution can no longer
publish, review or confirm services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.errors import InvalidInput, NotFound
from timebank.paging import Window
from timebank.people import queries as people_q
from timebank.people.models import Organisation
from timebank.supervision import queries as q
from timebank.supervision import sanctions
from timebank.supervision.models import UntrustworthyEntry
from timebank.supervision.queries import Listing
from timebank.web import context as wc
from timebank.web.cases import scope_of
from timebank.web.forms import attempt
from timebank.web.render import WebRoute, render
from timebank.web.transactions import act, read_anonymous

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/a/untrustworthy")
Text = Annotated[str, Form()]
KINDS = {"station": "服务站", "care_home": "养老机构", "service_org": "服务组织"}


def _listings(s: Session) -> list[tuple[UntrustworthyEntry, Listing]]:
    found = q.untrustworthy(s, Window(limit=200), lifted=True, in_force_first=True)
    return [(x.entry, x) for x in found.items]


def _may_list(web: wc.Web) -> bool:
    principal = web.principal
    return principal is not None and principal.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def _page(web: wc.Web, code: int = 200, **values: Any) -> Response:
    district = scope_of(web, "mark_untrustworthy") if _may_list(web) else None

    def orgs(s: Session) -> list[tuple[int, str]]:
        rows = people_q.listable_organisations(s, district)
        return [(oid, f"{name}（{web._(KINDS.get(kind, kind))}）") for oid, name, kind in rows]

    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "a_untrustworthy.html",
        status=code,
        title=web._("失信名单"),
        rows=read_anonymous(web, _listings),
        may_list=_may_list(web),
        district=district,
        orgs=read_anonymous(web, orgs) if _may_list(web) else [],
        **values,
    )


@router.get("")
def listing(request: Request, done: str = "") -> Response:
    """Public: signed in or not."""
    web = wc.web_of(request)
    if web.principal is not None:
        web.gate("untrustworthy_list")
    notice = {"listed": web._("已列入失信名单。"), "lifted": web._("已移出失信名单。")}.get(done)
    return _page(web, notice=notice)


def _org_in_scope(s: Session, district: str | None, org_id: int, field: str) -> None:
    org = s.get(Organisation, org_id)
    if org is None or (district is not None and org.district_code != district):
        raise NotFound(f"no organisation {org_id}", field=field)


@router.post("")
def mark(request: Request, org_id: Text = "", reason: Text = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "mark_untrustworthy")

    def run() -> UntrustworthyEntry:
        if not org_id.isdigit() or len(org_id) > 15:
            raise InvalidInput("choose an institution", field="org_id")

        def work(s: Session, actor: Actor) -> UntrustworthyEntry:
            _org_in_scope(s, district, int(org_id), "org_id")
            return sanctions.list_untrustworthy(
                s, actor=actor, org_id=int(org_id), reason=reason, at=web.now
            )

        return act(web, work, target={"org_id": org_id})

    form = {"org_id": org_id, "reason": reason}
    return attempt(
        web,
        run,
        fields=("org_id", "reason"),
        again=lambda code, errors: _page(web, code, errors=errors, form=form),
        done="/a/untrustworthy?done=listed",
    )


@router.post("/{org_id}/lift")
def lift(request: Request, org_id: int, reason: Text = "") -> Response:
    web = wc.web_of(request)
    district = scope_of(web, "mark_untrustworthy")

    def work(s: Session, actor: Actor) -> list[UntrustworthyEntry]:
        _org_in_scope(s, district, org_id, "org_id")
        return sanctions.lift_untrustworthy(
            s, actor=actor, org_id=org_id, reason=reason, at=web.now
        )

    return attempt(
        web,
        lambda: act(web, work, target={"org_id": org_id}),
        fields=("reason",),
        again=lambda code, errors: _page(web, code, errors={org_id: errors}),
        done="/a/untrustworthy?done=lifted",
        passes=(401, 403, 404),
    )
