"""District and city admin pages (dashboard, catalogue, policy parameters) and the auditor's
ledger verification. Supervision's pages are in ``cases``, ``appeals`` and ``untrustworthy``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.catalog import services as catalog
from timebank.catalog.models import ServiceItem
from timebank.clock import local_date
from timebank.errors import InvalidInput, TimebankError
from timebank.ledger.audit import verify_ledger
from timebank.ledger.models import Seal
from timebank.people.models import District
from timebank.policy_store import load_policy, set_policy
from timebank.reports.dashboard import build
from timebank.web import context as wc
from timebank.web.charts import bar_chart
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import act, errors_of, policy, read
from timebank.web.views import NEED_STATUS_WORDS, category_names

router = APIRouter(route_class=WebRoute, include_in_schema=False)
POLICY_FIELDS = (
    "credit_unit_minutes",
    "daily_credit_cap_minutes",
    "gift_yearly_limit_minutes",
    "gift_yearly_count_limit",
    "gift_per_recipient_yearly_limit_minutes",
    "late_night_start_hour",
    "late_night_end_hour",
)


def _admin(web: wc.Web, op: str) -> tuple[Role, str | None]:
    """The permission table's gate for ``op``; a district admin sees their district only."""
    principal = web.gate(op)
    return (
        principal.role,
        principal.district_code if principal.role is Role.DISTRICT_ADMIN else None,
    )


def _district_name(s: Session, code: str | None, lang: str) -> str:
    if code is None:
        return ""
    d = s.get(District, code)
    return "" if d is None else (d.name_en if lang == "en" else d.name_zh)


def _category(cats: dict[str, str], code: str) -> str:
    """A category's name; the demo's ledger memos shorten some codes ("training")."""
    return cats.get(code) or next((v for c, v in cats.items() if c.startswith(code)), code)


@router.get("/a")
def dashboard(request: Request) -> Response:
    web = wc.web_of(request)
    _role, district = _admin(web, "dashboard")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        d = build(s, district_code=district, today=local_date(web.now))
        cats = category_names(s, web.lang)
        return {"d": d, "cats": cats, "place": _district_name(s, district, web.lang)}

    data = read(web, work)
    d, cats = data["d"], data["cats"]
    by_cat = sorted(
        ((_category(cats, k), v) for k, v in d.hours_by_category.items()), key=lambda kv: -kv[1]
    )
    by_status = [(web._(NEED_STATUS_WORDS.get(k, k)), v) for k, v in d.needs_by_status.items()]
    charts = {
        "cat": bar_chart(web._("各类服务的小时数"), by_cat, unit=web._("小时"), chart_id="c-cat"),
        "month": bar_chart(
            web._("每月服务小时数"), d.hours_by_month, unit=web._("小时"), chart_id="c-month"
        ),
        "needs": bar_chart(web._("需求状态"), by_status, unit=web._("条"), chart_id="c-needs"),
    }
    title = web._("{place}数据看板", place=data["place"]) if district else web._("全市数据看板")
    return render(
        web,
        "a_dashboard.html",
        title=title,
        d=d,
        by_cat=by_cat,
        by_status=by_status,
        charts=charts,
        city=district is None,
    )


@router.get("/a/items")
def items_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    _role, district = _admin(web, "add_item")
    return _items_page(web, district, notice=web._("已保存。") if done else None)


def _items_page(web: wc.Web, district: str | None, status: int = 200, **values: Any) -> Response:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        query = select(ServiceItem).order_by(ServiceItem.category_code, ServiceItem.id)
        if district:
            query = query.where(
                (ServiceItem.district_code == district) | ServiceItem.district_code.is_(None)
            )
        return {"items": list(s.execute(query).scalars()), "cats": category_names(s, web.lang)}

    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        web,
        "a_items.html",
        status=status,
        title=web._("服务项目"),
        district=district,
        **read(web, work),
        **values,
    )


@router.post("/a/items")
def add_item(
    request: Request,
    category_code: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    district_code: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    _role, district = _admin(web, "add_item")
    target = district or district_code
    try:
        act(
            web,
            lambda s, actor: catalog.add_district_item(
                s,
                actor=actor,
                district_code=target,
                category_code=category_code,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                policy=policy(s),
                at=web.now,
            ),
            target={"district_code": target},
        )
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        return _items_page(
            web,
            district,
            status=exc.status,
            errors=errors_of(
                web, exc, ("category_code", "code", "name_zh", "name_en", "district_code")
            ),
            form={
                "category_code": category_code,
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "district_code": district_code,
            },
        )
    return redirect("/a/items?done=1")


@router.post("/a/items/{item_id}/active")
def set_active(request: Request, item_id: int, active: Annotated[str, Form()] = "") -> Response:
    web = wc.web_of(request)
    _admin(web, "set_item_active")
    act(
        web,
        lambda s, actor: catalog.set_item_active(
            s, actor=actor, item_id=item_id, active=active == "1"
        ),
        target={"item_id": item_id},
    )
    return redirect("/a/items?done=1")


@router.get("/a/policy")
def policy_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    web.gate("set_policy")
    current = read(web, lambda s, actor: load_policy(s))
    return render(
        web,
        "a_policy.html",
        title=web._("政策参数"),
        p=current,
        fields=POLICY_FIELDS,
        errors={},
        notice=web._("已保存。") if done else None,
    )


@router.post("/a/policy")
async def save_policy(request: Request) -> Response:
    web = wc.web_of(request)
    web.gate("set_policy")
    form = await request.form()
    from fastapi.concurrency import run_in_threadpool

    def go() -> Response:
        values: dict[str, Any] = {}
        try:
            for name in POLICY_FIELDS:
                raw = str(form.get(name, "")).strip()
                if not raw.isdigit():
                    raise InvalidInput(f"{name} must be a whole number ≥ 0", field=name)
                values[name] = int(raw)
            act(
                web,
                lambda s, actor: set_policy(s, actor_label=actor.label, at=web.now, values=values),
            )
        except TimebankError as exc:
            if exc.status in (401, 403):
                raise
            current = read(web, lambda s, actor: load_policy(s))
            return render(
                web,
                "a_policy.html",
                status=exc.status,
                title=web._("政策参数"),
                p=current,
                fields=POLICY_FIELDS,
                errors=errors_of(web, exc, POLICY_FIELDS),
            )
        return redirect("/a/policy?done=1")

    return await run_in_threadpool(go)


@router.get("/audit")
def audit(request: Request) -> Response:
    web = wc.web_of(request)
    web.gate("verify_ledger")

    def work(s: Session, actor: Actor) -> dict[str, Any]:
        report = verify_ledger(s, settings=web.services.settings)
        seals = list(s.execute(select(Seal).order_by(Seal.id.desc()).limit(20)).scalars())
        return {"report": report, "seals": seals}

    return render(web, "audit.html", title=web._("账本核验"), **read(web, work))
