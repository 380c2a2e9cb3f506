"""The station's pages: the review queue, acting for an elder, paper records (one by one or a
spreadsheet, with row errors), kinship verification and training confirmation."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from timebank.actors import Actor, Role
from timebank.care import needs, offline, spreadsheet
from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceItem
from timebank.catalog.services import items_for
from timebank.clock import local_date
from timebank.errors import InvalidInput, NotFound, PermissionDenied, TimebankError
from timebank.people import services as people
from timebank.people.models import Kinship, Person, TrainingRecord
from timebank.web import context as wc
from timebank.web.render import WebRoute, redirect, render
from timebank.web.transactions import act, errors_of, logged, policy, read
from timebank.web.views import RELATION_WORDS, item_name, names_of

router = APIRouter(route_class=WebRoute, include_in_schema=False, prefix="/s")
MAX_UPLOAD = 1024 * 1024
DONE = {
    "approved": "已通过，时间币已冻结，志愿者现在能看到这条需求。",
    "rejected": "已退回，并告诉了老人原因。",
    "verified": "亲属关系已核实。",
    "kin_rejected": "亲属关系已驳回。",
    "trained": "培训记录已登记。",
    "paper_approved": "纸质记录已审批，时间币已结算。",
    "paper_rejected": "纸质记录已驳回。",
}


def station_district(web: wc.Web, op: str) -> str:
    principal = web.gate(op)
    if principal.role is not Role.STATION or principal.district_code is None:
        raise PermissionDenied("these pages are for station workers", rule="api_role")
    return principal.district_code


def _notice(web: wc.Web, done: str) -> str | None:
    return web._(DONE[done]) if done in DONE else None


@router.get("")
def queue(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "review_need")

    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        rows = list(
            s.execute(
                select(Need)
                .where(Need.district_code == district, Need.status == "pending_review")
                .order_by(Need.window_start)
                .limit(100)
            ).scalars()
        )
        items = {i.id: item_name(i, web.lang) for i in items_for(s, district)}
        names = names_of(s, {n.elder_id for n in rows})
        return [
            {"need": n, "item": items.get(n.item_id, ""), "elder": names.get(n.elder_id, "")}
            for n in rows
        ]

    return render(
        web,
        "s_queue.html",
        title=web._("待审核的需求"),
        rows=read(web, work),
        notice=_notice(web, done),
    )


def _need(web: wc.Web, district: str, need_id: int) -> dict[str, Any]:
    def work(s: Session, actor: Actor) -> dict[str, Any]:
        need = s.get(Need, need_id)
        if need is None or need.district_code != district:
            raise NotFound(f"no need {need_id}", field="need_id")
        elder = people.get_person(s, need.elder_id)
        logged(web, s, actor, elder.id, "need_review")
        item = s.get(ServiceItem, need.item_id)
        return {"need": need, "elder": elder, "item": item_name(item, web.lang)}

    return read(web, work)


@router.get("/needs/{need_id}")
def need_page(request: Request, need_id: int) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "review_need")
    return render(
        web, "s_need.html", title=web._("审核需求"), errors={}, **_need(web, district, need_id)
    )


@router.post("/needs/{need_id}/review")
def review(
    request: Request,
    need_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "review_need")
    approve = decision == "approve"
    try:
        act(
            web,
            lambda s, actor: needs.review_need(
                s,
                actor=actor,
                need_id=need_id,
                approve=approve,
                reason=reason,
                policy=policy(s),
                at=web.now,
            ),
            target={"need_id": need_id},
            moves_coins=approve,
        )
    except TimebankError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(
            web,
            "s_need.html",
            status=exc.status,
            title=web._("审核需求"),
            errors=errors_of(web, exc, ("reason",)),
            **_need(web, district, need_id),
        )
    return redirect(f"/s?done={'approved' if approve else 'rejected'}")


# Acting for an elder without a smartphone --------------------------------------------------------


@router.get("/act-for")
def act_for_page(request: Request) -> Response:
    web = wc.web_of(request)
    station_district(web, "get_person")
    return render(web, "s_act_for.html", title=web._("为老人代办"), errors={})


@router.post("/act-for")
def act_for(request: Request, id_number: Annotated[str, Form()] = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "get_person")

    def work(s: Session, actor: Actor) -> int:
        person = people.find_by_id_number(s, id_number.strip())
        if person is None or person.district_code != district:
            raise NotFound("no person with this ID number in your district", field="id_number")
        logged(web, s, actor, person.id, "act_for")
        return person.id

    try:
        person_id = read(web, work)
    except TimebankError as exc:
        if exc.status in (401, 403):
            raise
        return render(
            web,
            "s_act_for.html",
            status=exc.status,
            title=web._("为老人代办"),
            errors=errors_of(web, exc, ("id_number",)),
        )
    web.set_cookie(wc.ACT_FOR_COOKIE, str(person_id))
    return redirect("/e")


# Paper records ----------------------------------------------------------------------------------

PAPER_FIELDS = offline.COLUMNS


def _pending_paper(web: wc.Web, district: str) -> list[dict[str, Any]]:
    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        rows = list(
            s.execute(
                select(Visit, Need)
                .join(Need, Need.id == Visit.need_id)
                .where(Need.district_code == district, Visit.status == "pending_approval")
                .order_by(Visit.id)
                .limit(100)
            ).all()
        )
        names = names_of(s, {v.volunteer_id for v, _ in rows} | {v.elder_id for v, _ in rows})
        items = {i.id: item_name(i, web.lang) for i in items_for(s, district)}
        return [
            {
                "visit": v,
                "item": items.get(n.item_id, ""),
                "volunteer": names.get(v.volunteer_id),
                "elder": names.get(v.elder_id),
            }
            for v, n in rows
        ]

    return read(web, work)


def _items(web: wc.Web, district: str) -> list[tuple[str, str]]:
    return read(
        web, lambda s, actor: [(i.code, item_name(i, web.lang)) for i in items_for(s, district)]
    )


def _paper_page(web: wc.Web, district: str, status: int = 200, **values: Any) -> Response:
    values.setdefault("errors", {})
    values.setdefault("row_errors", [])
    values.setdefault("form", {})
    return render(
        web,
        "s_paper.html",
        status=status,
        title=web._("纸质记录"),
        pending=_pending_paper(web, district),
        items=_items(web, district),
        **values,
    )


@router.get("/paper")
def paper_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "import_paper_records")
    return _paper_page(web, district, notice=_notice(web, done))


def _import(web: wc.Web, rows: list[dict[str, object]]) -> offline.ImportReport:
    return act(
        web,
        lambda s, actor: offline.import_records(
            s, actor=actor, rows=rows, policy=policy(s), at=web.now
        ),
        target={"rows": len(rows)},
    )


def _row_errors(web: wc.Web, report: offline.ImportReport) -> list[tuple[int, str, str]]:
    labels = {
        "volunteer_id_number": web._("志愿者身份证号"),
        "elder_id_number": web._("老人身份证号"),
        "item_code": web._("服务项目"),
        "start": web._("开始时间"),
        "end": web._("结束时间"),
        "note": web._("备注"),
    }
    return [
        (e.row, labels.get(e.field, e.field), web._(e.words, **e.values)) for e in report.errors
    ]


@router.post("/paper")
def paper_entry(
    request: Request,
    volunteer_id_number: Annotated[str, Form()] = "",
    elder_id_number: Annotated[str, Form()] = "",
    item_code: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "import_paper_records")
    row: dict[str, object] = {
        "volunteer_id_number": volunteer_id_number,
        "elder_id_number": elder_id_number,
        "item_code": item_code,
        "start": start.replace("T", " "),
        "end": end.replace("T", " "),
        "note": note,
        "_row": 1,
    }
    report = _import(web, [row])
    if report.errors:
        errors = {
            e.field: (web._(e.words, **e.values), False)
            for e in report.errors
            if e.field in PAPER_FIELDS
        }
        form = {k: v for k, v in row.items() if not k.endswith("id_number")}
        return _paper_page(web, district, status=422, errors=errors, form=form)
    return _paper_page(
        web, district, notice=web._("已登记 {n} 条，等另一位工作人员审批。", n=len(report.created))
    )


@router.post("/paper/upload")
async def paper_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "import_paper_records")
    suffix = Path(file.filename or "").suffix.lower()
    data = await file.read(MAX_UPLOAD + 1)
    from fastapi.concurrency import run_in_threadpool

    def go() -> Response:
        try:
            if len(data) > MAX_UPLOAD:
                raise InvalidInput("the file is larger than 1 MB", field="file")
            if suffix not in (".csv", ".xlsx"):
                raise InvalidInput("the file must be .csv or .xlsx", field="file")
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"upload{suffix}"
                path.write_bytes(data)
                rows = spreadsheet.read_rows(path)
            report = _import(web, rows)
        except TimebankError as exc:
            if exc.status in (401, 403):
                raise
            return _paper_page(
                web, district, status=exc.status, errors={"file": errors_of(web, exc, ())["_"]}
            )
        if report.errors:
            return _paper_page(web, district, status=422, row_errors=_row_errors(web, report))
        return _paper_page(
            web,
            district,
            notice=web._("已登记 {n} 条，等另一位工作人员审批。", n=len(report.created)),
        )

    return await run_in_threadpool(go)


@router.post("/paper/{visit_id}/decide")
def paper_decide(
    request: Request,
    visit_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    district = station_district(web, "approve_paper_record")
    approve = decision == "approve"
    try:
        act(
            web,
            lambda s, actor: offline.approve_paper_record(
                s,
                actor=actor,
                visit_id=visit_id,
                approve=approve,
                reason=reason,
                policy=policy(s),
                at=web.now,
            ),
            target={"visit_id": visit_id},
            moves_coins=approve,
        )
    except TimebankError as exc:
        if exc.status in (401, 404):
            raise
        return _paper_page(
            web, district, status=exc.status, errors={"_": errors_of(web, exc, ())["_"]}
        )
    return redirect(f"/s/paper?done={'paper_approved' if approve else 'paper_rejected'}")


# Kinship and training ----------------------------------------------------------------------------


@router.get("/kinship")
def kinship_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "verify_kinship")

    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        a, b = aliased(Person), aliased(Person)
        rows = s.execute(
            select(Kinship, a, b)
            .join(a, a.id == Kinship.person_id)
            .join(b, b.id == Kinship.relative_id)
            .where(
                Kinship.status == "pending",
                or_(a.district_code == district, b.district_code == district),
            )
            .order_by(Kinship.id)
            .limit(100)
        ).all()
        return [
            {
                "k": k,
                "person": p.full_name,
                "relative": r.full_name,
                "relation": web._(RELATION_WORDS.get(k.relation, k.relation)),
            }
            for k, p, r in rows
        ]

    return render(
        web,
        "s_kinship.html",
        title=web._("亲属关系核实"),
        rows=read(web, work),
        notice=_notice(web, done),
        errors={},
    )


@router.post("/kinship/{kinship_id}")
def kinship_decide(
    request: Request,
    kinship_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    station_district(web, "verify_kinship" if decision == "verify" else "reject_kinship")
    if decision == "verify":
        act(
            web,
            lambda s, actor: people.verify_kinship(
                s, actor=actor, kinship_id=kinship_id, at=web.now
            ),
            target={"kinship_id": kinship_id},
        )
        return redirect("/s/kinship?done=verified")
    act(
        web,
        lambda s, actor: people.reject_kinship(
            s, actor=actor, kinship_id=kinship_id, reason=reason, at=web.now
        ),
        target={"kinship_id": kinship_id},
    )
    return redirect("/s/kinship?done=kin_rejected")


@router.get("/training")
def training_page(request: Request, done: str = "") -> Response:
    web = wc.web_of(request)
    district = station_district(web, "record_training")

    def work(s: Session, actor: Actor) -> list[dict[str, Any]]:
        trained = select(TrainingRecord.person_id)
        rows = s.execute(
            select(Person)
            .where(
                Person.district_code == district,
                Person.volunteer_status == "pending",
                Person.id.not_in(trained),
            )
            .order_by(Person.id)
            .limit(100)
        ).scalars()
        return [{"id": p.id, "name": p.full_name, "id_masked": p.id_masked} for p in rows]

    return render(
        web,
        "s_training.html",
        title=web._("培训确认"),
        rows=read(web, work),
        notice=_notice(web, done),
        today=local_date(web.now).isoformat(),
        errors={},
    )


@router.post("/training/{person_id}")
def training(
    request: Request,
    person_id: int,
    course: Annotated[str, Form()] = "",
    completed_on: Annotated[str, Form()] = "",
) -> Response:
    web = wc.web_of(request)
    station_district(web, "record_training")
    try:
        day = date.fromisoformat(completed_on)
    except ValueError:
        raise InvalidInput("give the day the course was completed", field="completed_on") from None
    act(
        web,
        lambda s, actor: people.record_training(
            s, actor=actor, person_id=person_id, course=course, completed_on=day, at=web.now
        ),
        target={"person_id": person_id},
    )
    return redirect("/s/training?done=trained")
