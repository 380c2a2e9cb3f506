"""Small read models the pages share: names of items, people and relations; visit rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceCategory, ServiceItem
from timebank.people.models import Person
from timebank.web.i18n import Translate

RELATION_WORDS = {
    "spouse": "配偶",
    "parent": "父亲或母亲",
    "child": "子女",
    "grandparent": "祖父母或外祖父母",
    "grandchild": "孙子女或外孙子女",
}
NEED_STATUS_WORDS = {
    "pending_review": "等服务站审核",
    "rejected": "没有通过审核",
    "open": "等志愿者接单",
    "assigned": "已有志愿者接单",
    "in_progress": "正在服务",
    "completed": "服务完成，等确认",
    "confirmed": "已确认",
    "disputed": "有异议，服务站处理中",
    "cancelled": "已取消",
    "expired": "已过期",
}
VISIT_STATUS_WORDS = {
    "scheduled": "待上门",
    "checked_in": "已签到，服务中",
    "checked_out": "已签退，等老人确认",
    "confirmed": "已确认，时间币已存入",
    "disputed": "有异议",
    "rejected": "未通过",
    "no_show": "未到",
    "cancelled": "已取消",
    "pending_approval": "纸质记录，等审批",
}
KIND_WORDS = {
    "service_credit": "服务存入",
    "service_payment": "兑换服务",
    "gift": "赠予",
    "donation": "捐赠",
    "allocation": "公益池划拨",
    "admission": "入住申请",
    "bequest": "遗赠",
    "reversal": "冲正",
}


def item_name(item: ServiceItem | None, lang: str) -> str:
    if item is None:
        return "-"
    return item.name_en if lang == "en" else item.name_zh


def category_names(session: Session, lang: str) -> dict[str, str]:
    return {
        c.code: (c.name_en if lang == "en" else c.name_zh)
        for c in session.execute(select(ServiceCategory).order_by(ServiceCategory.sort)).scalars()
    }


def names_of(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids))).all()
    return {pid: name for pid, name in rows}


@dataclass(frozen=True)
class VisitRow:
    id: int
    need_id: int
    status: str
    status_words: str
    item: str
    start: datetime
    end: datetime
    minutes: int
    other: str  # the elder's name to a volunteer; the volunteer's to an elder
    address: str
    duration: int | None
    credited: int | None
    rating: int | None


def visit_rows(
    session: Session, visits: list[Visit], *, lang: str, _: Translate, volunteer_view: bool
) -> list[VisitRow]:
    needs = {
        n.id: n
        for n in session.execute(
            select(Need).where(Need.id.in_({v.need_id for v in visits}))
        ).scalars()
    }
    items = {
        i.id: i
        for i in session.execute(
            select(ServiceItem).where(ServiceItem.id.in_({n.item_id for n in needs.values()}))
        ).scalars()
    }
    people = names_of(session, {v.elder_id if volunteer_view else v.volunteer_id for v in visits})
    rows = []
    for v in visits:
        need = needs[v.need_id]
        rows.append(
            VisitRow(
                id=v.id,
                need_id=need.id,
                status=v.status,
                status_words=_(VISIT_STATUS_WORDS.get(v.status, v.status)),
                item=item_name(items.get(need.item_id), lang),
                start=v.scheduled_start,
                end=v.scheduled_end,
                minutes=need.expected_minutes,
                other=people.get(v.elder_id if volunteer_view else v.volunteer_id, ""),
                address=need.address,
                duration=v.duration_minutes,
                credited=v.credited_minutes,
                rating=v.rating,
            )
        )
    return rows


REFUSAL_WORDS = {
    "status_active": "账户状态不正常",
    "volunteer_disqualified": "志愿者资格已被取消",
    "volunteer_active": "还没有激活为志愿者",
    "min_age": "未满 18 岁",
    "minor_guardian": "需要登记监护人",
    "minor_guardian_consent": "需要监护人同意",
    "residency_proof": "需要到服务站登记户口簿或居住证",
    "residency_expired": "居住证已过期",
    "health_declaration": "需要填写健康声明",
    "health_fit": "健康声明写的是不适合服务",
    "training": "需要完成培训",
}


@dataclass(frozen=True)
class Received:
    at: datetime
    kind: str
    minutes: int
    giver: str


def received_coins(session: Session, person_id: int, limit: int = 50) -> list[Received]:
    """Gifts, pool allocations and bequests that reached the person's ``received`` account."""
    from sqlalchemy.orm import aliased

    from timebank.ledger.models import Account, Transfer

    mine = aliased(Account)
    source = aliased(Account)
    rows = session.execute(
        select(Transfer.created_at, Transfer.kind, Transfer.amount, source.person_id)
        .join(mine, mine.id == Transfer.credit_account_id)
        .join(source, source.id == Transfer.debit_account_id)
        .where(
            mine.person_id == person_id,
            mine.kind == "received",
            Transfer.kind.in_(("gift", "allocation", "bequest")),
        )
        .order_by(Transfer.id.desc())
        .limit(limit)
    ).all()
    names = names_of(session, {pid for *_, pid in rows if pid is not None})
    return [
        Received(at, kind, amount, names.get(pid, "") if pid is not None else "")
        for at, kind, amount, pid in rows
    ]
