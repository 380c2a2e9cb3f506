"""Paper records: row-by-row validation, all-or-nothing import, second approval."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.integration.care.conftest import POLICY, World
from tests.integration.people.factories import VAULT
from timebank.care.models import Visit
from timebank.care.offline import ROW_MESSAGE, approve_paper_record, import_records
from timebank.care.spreadsheet import read_rows
from timebank.clock import LOCAL_TZ
from timebank.errors import InvalidInput, PermissionDenied
from timebank.ledger import services as ledger
from timebank.people.services import reveal_id_number
from timebank.web.i18n import error_words, translator


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


# What Excel and WPS on Chinese Windows write -------------------------------------------------

HEADERS = ["志愿者身份证号", "老人身份证号", "服务项目", "开始时间", "结束时间", "备注"]
KEYS = ["volunteer_id_number", "elder_id_number", "item_code", "start", "end", "note"]


def excel_time(text: object) -> str:
    """2026-03-02 09:30 as Excel on Chinese Windows writes a date cell into a CSV: 2026/3/2 9:30."""
    t = datetime.strptime(str(text), "%Y-%m-%d %H:%M")
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"


def csv_bytes(rows: list[dict[str, object]], encoding: str, *, excel: bool = False) -> bytes:
    """A CSV as a spreadsheet program saves it: CRLF line ends, the given encoding."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for r in rows:
        cells = {**r, **{k: excel_time(r[k]) for k in ("start", "end") if excel}}
        writer.writerow([cells[k] for k in KEYS])
    return out.getvalue().encode(encoding)


def imported(w: World, path: Path) -> list[tuple[object, ...]]:
    report = import_records(
        w.session,
        actor=clerk(w, "张三"),
        rows=read_rows(path),
        policy=POLICY,
        at=w.clock.now(),
        vault=VAULT,
    )
    assert report.errors == []
    visits = [w.session.get(Visit, v) for v in report.created]
    return [
        (v.volunteer_id, v.elder_id, v.scheduled_start, v.scheduled_end, v.duration_minutes)
        for v in visits
        if v is not None
    ]


def test_gbk_csv_utf8_bom_csv_and_xlsx_import_the_same_rows(world: World, tmp_path: Path) -> None:
    w = world
    rows = rows_for(w, 2)
    gbk = csv_bytes(rows, "gbk", excel=True)
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")  # really GBK, as "CSV (逗号分隔)" on Chinese Windows writes it
    assert b"\r\n" in gbk
    (tmp_path / "gbk.csv").write_bytes(gbk)
    bom = csv_bytes(rows, "utf-8-sig")
    assert bom.startswith(b"\xef\xbb\xbf")  # "CSV UTF-8（逗号分隔）"
    (tmp_path / "bom.csv").write_bytes(bom)
    (tmp_path / "plain.csv").write_bytes(csv_bytes(rows, "utf-8"))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for r in rows:  # Excel keeps times as date cells and ID numbers as text
        start, end = (datetime.strptime(str(r[k]), "%Y-%m-%d %H:%M") for k in ("start", "end"))
        sheet.append(
            [r["volunteer_id_number"], r["elder_id_number"], r["item_code"], start, end, r["note"]]
        )
    book.save(tmp_path / "book.xlsx")

    for name in ("bom.csv", "plain.csv"):
        assert read_rows(tmp_path / name) == rows, name
    assert [r["note"] for r in read_rows(tmp_path / "gbk.csv")] == ["纸质记录"] * 2
    from_gbk = imported(w, tmp_path / "gbk.csv")
    assert len(from_gbk) == 2
    assert imported(w, tmp_path / "bom.csv") == from_gbk
    assert imported(w, tmp_path / "book.xlsx") == from_gbk


def test_a_bad_row_in_a_gbk_file_names_row_and_column_and_stores_nothing(
    world: World, tmp_path: Path
) -> None:
    w = world
    rows = rows_for(w, 3)
    rows[1]["end"] = "下午三点"
    path = tmp_path / "records.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    report = import_records(
        w.session,
        actor=clerk(w, "张三"),
        rows=read_rows(path),
        policy=POLICY,
        at=w.clock.now(),
        vault=VAULT,
    )
    [error] = report.errors
    assert (error.row, error.field, error.column) == (3, "end", "结束时间")
    assert error.message.startswith("第 3 行「结束时间」：")
    assert "下午三点" in error.message
    english = translator("en")
    assert (
        english(
            ROW_MESSAGE,
            row=3,
            column=english(error.column),
            problem=english(error.words, **error.values),
        )
        == "Row 3, column “End”: “下午三点” is not a time like 2026-03-02 09:30"
    )
    assert report.created == [] and count_visits(w) == 0


def test_id_numbers_excel_turned_into_numbers_are_named(world: World, tmp_path: Path) -> None:
    w = world
    rows = rows_for(w, 2)
    rows[0]["volunteer_id_number"] = "1.10101E+17"  # a CSV saved from a "General" column
    path = tmp_path / "records.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    as_number = float(str(rows[1]["volunteer_id_number"])[:15] + "000")  # 15 digits kept
    sheet.append([as_number, *[rows[1][k] for k in KEYS[1:]]])
    book.save(tmp_path / "records.xlsx")
    for file in (path, tmp_path / "records.xlsx"):
        report = import_records(
            w.session,
            actor=clerk(w, "张三"),
            rows=read_rows(file),
            policy=POLICY,
            at=w.clock.now(),
            vault=VAULT,
        )
        assert report.errors and report.errors[0].row == 2
        assert report.errors[0].field == "volunteer_id_number"
        assert "Excel 当成了数字" in report.errors[0].message
    assert count_visits(w) == 0


def test_an_old_15_digit_id_in_a_row_is_refused_without_echoing_a_whole_number(
    world: World,
) -> None:
    w = world
    rows = rows_for(w, 1)
    vol = str(rows[0]["volunteer_id_number"])
    rows[0]["volunteer_id_number"] = vol[:6] + vol[8:17]
    report = import_records(
        w.session, actor=clerk(w, "张三"), rows=rows, policy=POLICY, at=w.clock.now(), vault=VAULT
    )
    [error] = report.errors
    assert error.field == "volunteer_id_number" and "15 位" in error.message
    assert vol not in error.message  # reports are stored as API responses


def test_unreadable_files_are_refused_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    header = ",".join(HEADERS).encode("gbk")
    path.write_bytes(header + b"\r\n" + b"a,b\r\n" + b"\xff\xfe,c\r\n")
    with pytest.raises(InvalidInput) as err:
        read_rows(path)
    assert err.value.field == "FILE"
    assert err.value.message.startswith("第 3 行")
    # A BOM says UTF-8, so a bad byte after it is not read as GBK.
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(HEADERS).encode() + b"\r\n" + "中".encode("gbk"))
    with pytest.raises(InvalidInput) as err:
        read_rows(path)
    assert err.value.message.startswith("第 2 行")
    path.write_bytes(b"volunteer_id_number,note\r\n")
    with pytest.raises(InvalidInput) as err:
        read_rows(path)
    assert err.value.field == "header"
    assert "老人身份证号" in err.value.message and "开始时间" in err.value.message
    damaged = tmp_path / "records.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(InvalidInput) as err:
        read_rows(damaged)
    assert error_words(err.value, translator("en"))[0].startswith("This Excel file cannot")
