"""Paper records (source=offline): a station enters visits done without the app; a second
station user approves each before anything is credited (DESIGN §2 Services).

Row errors are Chinese and name the row and the column as the spreadsheet heads it
(``RowError.message``); ``words``/``values`` are the catalogue id and placeholders of the
problem, for showing it in English (``timebank/web/translations/en.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as _field  # RowError has an attribute named field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.care import rules
from timebank.care.models import Need, Visit
from timebank.care.needs import get_need
from timebank.care.stations import require_trusted_station
from timebank.care.visits import get_visit, settle_visit
from timebank.catalog.models import ServiceItem
from timebank.clock import LOCAL_TZ, local_date
from timebank.errors import InvalidInput, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.people import idcard
from timebank.people.crypto import PiiVault
from timebank.people.models import Person
from timebank.people.repository import find_by_id_number
from timebank.people.scope import require_station_in
from timebank.people.services import serving_refusals
from timebank.policy import Policy

COLUMNS = ("volunteer_id_number", "elder_id_number", "item_code", "start", "end", "note")
# How a station's spreadsheet heads the columns; errors name them so.
COLUMN_WORDS = {
    "volunteer_id_number": "志愿者身份证号",
    "elder_id_number": "老人身份证号",
    "item_code": "服务项目",
    "start": "开始时间",
    "end": "结束时间",
    "note": "备注",
    "-": "整个文件",
}
MAX_ROWS = 5000
TIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",  # Excel on Chinese Windows writes 2026/3/2 9:30 into a CSV
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
)

# Message ids (Chinese); the English is in timebank/web/translations/en.json.
ROW_MESSAGE = "第 {row} 行「{column}」：{problem}"
MESSAGES = {
    "too_many": "一个文件最多 {n} 行",
    "empty": "没有填写",
    "time": "“{text}”不是像 2026-03-02 09:30 这样的时间",
    "unknown_person": "没有登记过这个身份证号的人",
    "excel_number": (
        "身份证号被 Excel 当成了数字（{text}），后几位已经丢失：请把这一列设成“文本”格式，"
        "重新填写身份证号"
    ),
    "item": "没有这个代码的服务项目，或者已经停用",
    "end": "结束时间要晚于开始时间，并且不超过 12 小时",
    "future": "时间还没到",
    "district": "这位老人住在别的区",
    "may_not_serve": "这位志愿者现在不能服务：{reasons}",
    "self": "志愿者不能为自己服务",
    "note": "备注超过 500 字",
}


@dataclass(frozen=True)
class PaperRecord:
    volunteer: Person
    elder: Person
    item: ServiceItem
    start: datetime
    end: datetime
    note: str


@dataclass
class RowError:
    row: int  # 1-based data row, as people count in a spreadsheet (header is row 1 → data 2…)
    field: str
    words: str  # the problem: a message id (Chinese) with ``values`` for its placeholders
    values: dict[str, Any] = _field(default_factory=dict)

    @property
    def column(self) -> str:
        return COLUMN_WORDS.get(self.field, self.field)

    @property
    def problem(self) -> str:
        return self.words.format(**self.values) if self.values else self.words

    @property
    def message(self) -> str:
        return ROW_MESSAGE.format(row=self.row, column=self.column, problem=self.problem)


def _row_error(row: int, name: str, key: str, **values: Any) -> RowError:
    return RowError(row, name, MESSAGES[key], values)


def _id_error(row: int, name: str, exc: InvalidInput) -> RowError:
    if "suggested" in exc.details:
        # Import reports are kept as API responses: they never hold a whole ID number.
        return RowError(row, name, idcard.MESSAGES["old_form"])
    template = exc.details.get("message_id", exc.message)
    values = {k: v for k, v in exc.details.items() if k not in ("problem", "message_id")}
    return RowError(row, name, template, values)


def _id_text(value: object) -> str | None:
    """The ID number in a cell, or None when a spreadsheet turned it into a rounded number."""
    if isinstance(value, float):
        return None
    text = str(value).strip()
    # "1.10105E+17": a CSV saved from a column Excel took for numbers.
    if "E+" in text.upper() and text.upper().replace("E+", "").replace(".", "").isdigit():
        return None
    return text


@dataclass
class ImportReport:
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # visit ids


def _local(value: object, row: int, name: str, errors: list[RowError]) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value
    text = str(value or "").strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    errors.append(_row_error(row, name, "time", text=text))
    return None


def validate_rows(
    session: Session,
    rows: list[dict[str, object]],
    *,
    station_district: str,
    at: datetime,
    policy: Policy,
    first_row: int = 2,
    vault: PiiVault | None = None,
) -> ImportReport:
    """Check every row and say what is wrong with each, naming row and field; write nothing."""
    report = ImportReport()
    if len(rows) > MAX_ROWS:
        report.errors.append(_row_error(first_row, "-", "too_many", n=MAX_ROWS))
        return report
    items = {i.code: i for i in session.execute(select(ServiceItem)).scalars()}
    for offset, raw in enumerate(rows):
        row, errors = int(str(raw.get("_row") or first_row + offset)), []
        missing = [c for c in COLUMNS[:5] if not str(raw.get(c) or "").strip()]
        for name in missing:
            errors.append(_row_error(row, name, "empty"))
        people: dict[str, Person | None] = {}
        for name in ("volunteer_id_number", "elder_id_number"):
            if name in missing:
                continue
            text = _id_text(raw[name])
            if text is None:
                errors.append(_row_error(row, name, "excel_number", text=raw[name]))
                continue
            try:
                people[name] = find_by_id_number(session, text, vault=vault)
            except InvalidInput as exc:
                errors.append(_id_error(row, name, exc))
                continue
            if people[name] is None:
                errors.append(_row_error(row, name, "unknown_person"))
        item = items.get(str(raw.get("item_code") or "").strip())
        if "item_code" not in missing and (item is None or not item.active):
            errors.append(_row_error(row, "item_code", "item"))
        start = None if "start" in missing else _local(raw["start"], row, "start", errors)
        end = None if "end" in missing else _local(raw["end"], row, "end", errors)
        if start and end and not (start < end <= start + timedelta(hours=12)):
            errors.append(_row_error(row, "end", "end"))
        if start and start > at:
            errors.append(_row_error(row, "start", "future"))
        volunteer, elder = people.get("volunteer_id_number"), people.get("elder_id_number")
        if elder is not None and elder.district_code != station_district:
            errors.append(_row_error(row, "elder_id_number", "district"))
        if volunteer is not None and start is not None:
            refusals = serving_refusals(
                session, person_id=volunteer.id, on=local_date(start), policy=policy
            )
            if refusals:
                errors.append(
                    _row_error(
                        row, "volunteer_id_number", "may_not_serve", reasons=", ".join(refusals)
                    )
                )
        if volunteer and elder and volunteer.id == elder.id:
            errors.append(_row_error(row, "elder_id_number", "self"))
        note = str(raw.get("note") or "").strip()
        if len(note) > 500:
            errors.append(_row_error(row, "note", "note"))
        if errors:
            report.errors.extend(errors)
        elif volunteer and elder and item and start and end:
            report.records.append(PaperRecord(volunteer, elder, item, start, end, note))
    return report


def enter_paper_record(
    session: Session, *, actor: Actor, record: PaperRecord, at: datetime
) -> Visit:
    """Record one paper visit, waiting for a second approval; nothing is credited yet."""
    require_station_in(actor, record.elder.district_code)
    require_trusted_station(session, actor)
    minutes = rules.duration_minutes(record.start, record.end)
    need = Need(
        elder_id=record.elder.id,
        payer_id=record.elder.id,
        item_id=record.item.id,
        district_code=record.elder.district_code,
        station_id=actor.org_id,
        description=record.note or record.item.name_zh,
        address=record.elder.address or "",
        lat=record.elder.lat or 0.0,
        lon=record.elder.lon or 0.0,
        window_start=record.start,
        window_end=record.end,
        expected_minutes=max(minutes, 1),
        preferences={},
        attendee_ids=[],
        funding="own",
        source="offline",
        status="completed",
        published_by=actor.label,
        reviewed_by=None,
        volunteer_id=record.volunteer.id,
        created_at=at,
        updated_at=at,
    )
    session.add(need)
    session.flush()
    visit = Visit(
        need_id=need.id,
        volunteer_id=record.volunteer.id,
        elder_id=record.elder.id,
        status="pending_approval",
        source="offline",
        scheduled_start=record.start,
        scheduled_end=record.end,
        check_in_at=record.start,
        check_out_at=record.end,
        check_in_method="paper",
        duration_minutes=minutes,
        entered_by=actor.label,
        created_at=at,
    )
    session.add(visit)
    session.flush()
    return visit


def import_records(
    session: Session,
    *,
    actor: Actor,
    rows: list[dict[str, object]],
    policy: Policy,
    at: datetime,
    partial: bool = False,
    vault: PiiVault | None = None,
) -> ImportReport:
    """Validate every row, then enter them all — or none, unless ``partial`` is asked for."""
    if actor.district_code is None:
        raise PermissionDenied("imports are made by a station", rule="station_role")
    report = validate_rows(
        session, rows, station_district=actor.district_code, at=at, policy=policy, vault=vault
    )
    if report.errors and not partial:
        return report
    for record in report.records:
        report.created.append(enter_paper_record(session, actor=actor, record=record, at=at).id)
    return report


def approve_paper_record(
    session: Session,
    *,
    actor: Actor,
    visit_id: int,
    approve: bool,
    reason: str = "",
    policy: Policy,
    at: datetime,
) -> Visit:
    """A second station user approves (coins post) or rejects a paper record."""
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    require_station_in(actor, need.district_code)
    require_trusted_station(session, actor)
    if visit.status != "pending_approval":
        raise RuleViolation(f"the record is {visit.status}", rule="visit_state")
    if actor.label == visit.entered_by:
        raise PermissionDenied(
            "a second station user must approve a paper record", rule="second_approval"
        )
    visit.confirmed_by, visit.confirmed_at = actor.label, at
    if not approve:
        if not reason.strip():
            raise InvalidInput("say why the record is rejected", field="reason")
        visit.status, visit.resolution, need.status = "rejected", reason.strip(), "cancelled"
        visit.credited_minutes = visit.paid_minutes = 0
        session.flush()
        return visit
    minutes = visit.duration_minutes or 0
    price = minutes // policy.credit_unit_minutes * policy.credit_unit_minutes
    if price:
        ledger.hold_for_care(
            session,
            actor=actor,
            key=f"need:{need.id}:hold",
            holder_id=need.payer_id,
            beneficiary_id=need.elder_id,
            amount=price,
            reference=f"need:{need.id}",
            policy=policy,
            at=at,
        )
    visit.status, need.status, need.updated_at = "confirmed", "confirmed", at
    settle_visit(
        session, actor=actor, visit=visit, need=need, minutes=minutes, policy=policy, at=at
    )
    session.flush()
    return visit
