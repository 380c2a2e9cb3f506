"""Paper records: row-by-row validation, all-or-nothing import, second approval."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.integration.care.conftest import POLICY, World
from tests.integration.people.factories import VAULT
from timebank.care.models import Visit
from timebank.care.offline import approve_paper_record, import_records
from timebank.care.spreadsheet import read_rows
from timebank.clock import LOCAL_TZ
from timebank.errors import InvalidInput, PermissionDenied
from timebank.ledger import services as ledger
from timebank.people.services import reveal_id_number


def rows_for(w: World, n: int = 2) -> list[dict[str, object]]:
    vol = reveal_id_number(
        w.session, actor=w.city.city_admin, person_id=w.volunteer.id, vault=VAULT
    )
    eld = reveal_id_number(w.session, actor=w.city.city_admin, person_id=w.elder.id, vault=VAULT)
    # Earlier today: the volunteer's training was recorded today, so older records are refused.
    first = w.clock.now().astimezone(LOCAL_TZ) - timedelta(minutes=100 * n)
    fmt = "%Y-%m-%d %H:%M"
    return [
        {
            "volunteer_id_number": vol,
            "elder_id_number": eld,
            "item_code": "chat_visit",
            "start": (first + timedelta(minutes=100 * i)).strftime(fmt),
            "end": (first + timedelta(minutes=100 * i + 90)).strftime(fmt),
            "note": "纸质记录",
            "_row": i + 2,
        }
        for i in range(n)
    ]


def clerk(w: World, name: str):  # type: ignore[no-untyped-def]
    return replace(w.city.station, name=name)


def count_visits(w: World) -> int:
    return w.session.execute(select(func.count()).select_from(Visit)).scalar_one()


def test_import_then_second_approval_posts_coins(world: World) -> None:
    w = world
    report = import_records(
        w.session,
        actor=clerk(w, "张三"),
        rows=rows_for(w),
        policy=POLICY,
        at=w.clock.now(),
        vault=VAULT,
    )
    assert report.errors == [] and len(report.created) == 2
    assert ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY).earned == 0
    with pytest.raises(PermissionDenied) as err:
        approve_paper_record(
            w.session,
            actor=clerk(w, "张三"),
            visit_id=report.created[0],
            approve=True,
            policy=POLICY,
            at=w.clock.now(),
        )
    assert err.value.rule == "second_approval"
    for visit_id in report.created:
        visit = approve_paper_record(
            w.session,
            actor=clerk(w, "李四"),
            visit_id=visit_id,
            approve=True,
            policy=POLICY,
            at=w.clock.now(),
        )
        assert (visit.source, visit.status, visit.credited_minutes) == ("offline", "confirmed", 90)
    assert ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY).earned == 180
    assert ledger.balances(w.session, person_id=w.elder.id, policy=POLICY).earned == 600 - 180


def test_one_bad_row_imports_nothing_and_names_row_and_field(world: World) -> None:
    w = world
    rows = rows_for(w, 3)
    rows[1]["item_code"] = "massage"
    rows[2]["end"] = "yesterday"
    rows[2]["elder_id_number"] = "11010519491231002Y"
    report = import_records(
        w.session, actor=clerk(w, "张三"), rows=rows, policy=POLICY, at=w.clock.now(), vault=VAULT
    )
    assert {(e.row, e.field) for e in report.errors} == {
        (3, "item_code"),
        (4, "end"),
        (4, "elder_id_number"),
    }
    assert report.created == [] and count_visits(w) == 0
    partial = import_records(
        w.session,
        actor=clerk(w, "张三"),
        rows=rows,
        policy=POLICY,
        at=w.clock.now(),
        partial=True,
        vault=VAULT,
    )
    assert len(partial.created) == 1 and count_visits(w) == 1


def test_spreadsheets_csv_and_xlsx_with_chinese_headers(world: World, tmp_path: Path) -> None:
    w = world
    rows = rows_for(w, 2)
    headers = ["志愿者身份证号", "老人身份证号", "服务项目", "开始时间", "结束时间", "备注"]
    keys = ["volunteer_id_number", "elder_id_number", "item_code", "start", "end", "note"]
    csv_path = tmp_path / "records.csv"
    csv_path.write_text(
        ",".join(headers)
        + "\n"
        + "\n".join(",".join(str(r[k]) for k in keys) for r in rows)
        + "\n\n",
        encoding="utf-8-sig",
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append([])
    for r in rows:
        sheet.append([r[k] for k in keys])
    xlsx_path = tmp_path / "records.xlsx"
    book.save(xlsx_path)
    from_csv, from_xlsx = read_rows(csv_path), read_rows(xlsx_path)
    assert [r["_row"] for r in from_csv] == [2, 3]
    assert [r["_row"] for r in from_xlsx] == [3, 4]  # the blank row keeps its number
    assert [r["elder_id_number"] for r in from_xlsx] == [r["elder_id_number"] for r in rows]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        read_rows(bad)
    assert err.value.field == "header"
    with pytest.raises(InvalidInput):
        read_rows(tmp_path / "records.txt")


def test_rejecting_a_record_needs_a_reason_and_posts_nothing(world: World) -> None:
    w = world
    [visit_id] = import_records(
        w.session,
        actor=clerk(w, "张三"),
        rows=rows_for(w, 1),
        policy=POLICY,
        at=w.clock.now(),
        vault=VAULT,
    ).created
    with pytest.raises(InvalidInput):
        approve_paper_record(
            w.session,
            actor=clerk(w, "李四"),
            visit_id=visit_id,
            approve=False,
            policy=POLICY,
            at=w.clock.now(),
        )
    visit = approve_paper_record(
        w.session,
        actor=clerk(w, "李四"),
        visit_id=visit_id,
        approve=False,
        reason="签名不符",
        policy=POLICY,
        at=w.clock.now(),
    )
    assert visit.status == "rejected"
    assert ledger.balances(w.session, person_id=w.volunteer.id, policy=POLICY).earned == 0
