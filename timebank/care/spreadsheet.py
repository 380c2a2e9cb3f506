"""Reading paper-record spreadsheets (CSV or XLSX) into rows keyed by our column names.

Stations may head their columns in Chinese or English; both map to the same names.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from timebank.care.offline import COLUMNS
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


def _header(cells: list[object]) -> list[str]:
    names = []
    for cell in cells:
        text = str(cell or "").strip()
        names.append(ALIASES.get(text, text.lower()))
    missing = [c for c in COLUMNS[:5] if c not in names]
    if missing:
        raise InvalidInput(
            f"the header row lacks the columns: {', '.join(missing)}", field="header"
        )
    return names


def read_rows(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="FILE")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                lines = list(csv.reader(handle))
        except UnicodeDecodeError as exc:
            raise InvalidInput("the CSV file is not UTF-8 text", field="FILE") from exc
    elif suffix == ".xlsx":
        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InvalidInput(f"cannot read the workbook: {exc}", field="FILE") from exc
        lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        raise InvalidInput("the file must be .csv or .xlsx", field="FILE")
    if not lines:
        raise InvalidInput("the file is empty", field="FILE")
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
