"""Paper records (source=offline): a station enters visits done without the app; a second
station user approves each before anything is credited (DESIGN §2 Services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from timebank.people.crypto import PiiVault
from timebank.people.models import Person
from timebank.people.repository import find_by_id_number
from timebank.people.scope import require_station_in
from timebank.people.services import serving_refusals
from timebank.policy import Policy

COLUMNS = ("volunteer_id_number", "elder_id_number", "item_code", "start", "end", "note")
MAX_ROWS = 5000


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
    message: str


@dataclass
class ImportReport:
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # visit ids


def _local(value: object, row: int, name: str, errors: list[RowError]) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    errors.append(RowError(row, name, f"'{text}' is not a time like 2026-03-02 09:30"))
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
        report.errors.append(RowError(first_row, "-", f"at most {MAX_ROWS} rows per file"))
        return report
    items = {i.code: i for i in session.execute(select(ServiceItem)).scalars()}
    for offset, raw in enumerate(rows):
        row, errors = int(str(raw.get("_row") or first_row + offset)), []
        missing = [c for c in COLUMNS[:5] if not str(raw.get(c) or "").strip()]
        for name in missing:
            errors.append(RowError(row, name, "is empty"))
        people: dict[str, Person | None] = {}
        for name in ("volunteer_id_number", "elder_id_number"):
            if name in missing:
                continue
            try:
                people[name] = find_by_id_number(session, str(raw[name]).strip(), vault=vault)
            except InvalidInput as exc:
                errors.append(RowError(row, name, exc.message))
                continue
            if people[name] is None:
                errors.append(RowError(row, name, "no registered person has this ID number"))
        item = items.get(str(raw.get("item_code") or "").strip())
        if "item_code" not in missing and (item is None or not item.active):
            errors.append(RowError(row, "item_code", "no active service item with this code"))
        start = None if "start" in missing else _local(raw["start"], row, "start", errors)
        end = None if "end" in missing else _local(raw["end"], row, "end", errors)
        if start and end and not (start < end <= start + timedelta(hours=12)):
            errors.append(RowError(row, "end", "must be after start, within 12 hours"))
        if start and start > at:
            errors.append(RowError(row, "start", "is in the future"))
        volunteer, elder = people.get("volunteer_id_number"), people.get("elder_id_number")
        if elder is not None and elder.district_code != station_district:
            errors.append(RowError(row, "elder_id_number", "the elder lives in another district"))
        if volunteer is not None and start is not None:
            refusals = serving_refusals(
                session, person_id=volunteer.id, on=local_date(start), policy=policy
            )
            if refusals:
                errors.append(
                    RowError(row, "volunteer_id_number", f"may not serve: {', '.join(refusals)}")
                )
        if volunteer and elder and volunteer.id == elder.id:
            errors.append(RowError(row, "elder_id_number", "a volunteer cannot serve themselves"))
        note = str(raw.get("note") or "").strip()
        if len(note) > 500:
            errors.append(RowError(row, "note", "longer than 500 characters"))
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
