"""Reading paper-record spreadsheets (CSV or XLSX) into rows keyed by our column names.

Stations may head their columns in Chinese or English; both map to the same names. What Excel
and WPS on Chinese Windows write is read as it comes: XLSX; "CSV UTF-8" (UTF-8 with a BOM);
plain "CSV (逗号分隔)", which is GBK, read as GB18030 (its superset); CRLF line ends. The
encoding is found by trying UTF-8 strictly, then GB18030: a file that starts with a BOM is UTF-8
whatever follows, and GBK text is rarely valid UTF-8 — a Chinese header row never is. The rare
short GBK text that is (谢谢 reads as "лл") decodes to letters but no Chinese character, and
is then read as GB18030.

Messages are Chinese and name the row (the catalogue ids of ``timebank/web/translations``;
``details["message_id"]`` and the other details let a page show them in English).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from timebank.care.offline import COLUMN_WORDS, COLUMNS
from timebank.errors import InvalidInput

ALIASES = {
    "志愿者身份证号": "volunteer_id_number",
    "老人身份证号": "elder_id_number",
    "服务对象身份证号": "elder_id_number",
    "服务项目": "item_code",
    "项目代码": "item_code",
    "开始时间": "start",
    "结束时间": "end",
    "备注": "note",
}
UTF8_BOM = b"\xef\xbb\xbf"
FIELD = "FILE"

# Message ids (Chinese); the English is in timebank/web/translations/en.json.
MESSAGES = {
    "missing": "找不到文件：{path}",
    "suffix": "文件要是 .csv 或 .xlsx 格式（在 Excel 里“另存为”时可以选）",
    "encoding": "第 {row} 行有无法识别的文字：CSV 文件要用 UTF-8 或 GBK 编码保存",
    "csv": "第 {row} 行不能按 CSV 读取：{reason}",
    "workbook": "读不了这个 Excel 文件，请确认是 .xlsx 格式并且没有损坏",
    "empty": "文件是空的",
    "header": "第 1 行（表头）缺少这些列：{columns}",
}


def _invalid(key: str, *, field: str = FIELD, **values: object) -> InvalidInput:
    template = MESSAGES[key]
    return InvalidInput(
        template.format(**values), field=field, details={"message_id": template, **values}
    )


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _maybe_gbk(text: str) -> bool:
    """Valid UTF-8 with letters of U+0080–U+07FF (Latin, Greek, Cyrillic…) but no Chinese at all
    is more likely short GBK text that happens to be valid UTF-8: 谢谢 is D0 BB D0 BB, "лл"."""
    return any(ord(c) > 0x7F for c in text) and all(ord(c) < 0x800 for c in text)


def decode_csv(data: bytes) -> str:
    """The text of a CSV file in UTF-8 (with or without a BOM) or GB18030/GBK."""
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM) :] if bom else data
    try:
        text = body.decode("utf-8")
        if bom or not _maybe_gbk(text):
            return text
    except UnicodeDecodeError as exc:
        if bom:
            raise _invalid("encoding", row=_line_of(body, exc.start)) from exc
    try:
        return data.decode("gb18030").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise _invalid("encoding", row=_line_of(data, exc.start)) from exc


def _csv_lines(data: bytes) -> list[list[object]]:
    reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
    try:
        return [list(line) for line in reader]
    except csv.Error as exc:
        raise _invalid("csv", row=reader.line_num + 1, reason=str(exc)) from exc


def _xlsx_lines(path: Path) -> list[list[object]]:
    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _invalid("workbook") from exc


def _header(cells: list[object]) -> list[str]:
    names = []
    for cell in cells:
        text = str(cell or "").strip().lstrip("\ufeff")
        names.append(ALIASES.get(text, text.lower()))
    missing = [c for c in COLUMNS[:5] if c not in names]
    if missing:
        raise _invalid(
            "header", field="header", columns="、".join(COLUMN_WORDS[c] for c in missing)
        )
    return names


def read_rows(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        raise _invalid("missing", path=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        lines = _csv_lines(path.read_bytes())
    elif suffix == ".xlsx":
        lines = _xlsx_lines(path)
    else:
        raise _invalid("suffix")
    if not lines:
        raise _invalid("empty")
    names = _header(list(lines[0]))
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not any(str(c or "").strip() for c in line):
            continue  # blank lines are skipped, but rows keep their spreadsheet numbers
        row: dict[str, object] = {
            n: (line[i] if i < len(line) else None) for i, n in enumerate(names)
        }
        row["_row"] = number
        rows.append(row)
    return rows
