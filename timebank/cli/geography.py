"""``timebank geography import FILE``: the city's districts, streets, communities and
stations from a CSV or JSON file, in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.cli.common import _friendly_errors, _run, console
from timebank.clock import SystemClock

geography_app = typer.Typer(
    help="The city's administrative divisions and stations.", no_args_is_help=True
)

FILE_HELP = (
    "CSV (UTF-8, header row) or JSON (a list of objects) with the columns: level (district,"
    " street, community or station), code, parent_code, name_zh, name_en (optional; kept for"
    " districts), lat, lon (WGS-84 centre; optional for a station).\n\n"
    "A district has no parent; a street's parent is a district, a community's a street, a"
    " station's a street or a community. Codes: district 6 digits (GB/T 2260), street 9,"
    " community 12; a station's code is the city's own (letters, digits, - and _).\n\n"
    "Example: docs/examples/geography-beijing-districts.csv; details in docs/operations.md."
)


@geography_app.command("import", help=f"Import places by code (upsert).\n\n{FILE_HELP}")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="The .csv or .json file.", exists=True, dir_okay=False)
    ],
) -> None:
    """Everything is checked first; a bad row names its number and field and writes nothing.
    Importing the same file again changes nothing; a changed name or centre is updated."""
    from timebank.people.geography_import import LEVELS, import_geography, read_geography_file

    with _friendly_errors():
        rows = read_geography_file(file)

    def go(session: Session) -> object:
        return import_geography(
            session, actor=Actor(role=Role.CITY_ADMIN), rows=rows, at=SystemClock().now()
        )

    result = _run(go, commit=True)
    table = Table(title=f"行政区划导入 Geography import: {file.name}")
    for column in ("level", "added", "updated", "unchanged"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for level in LEVELS:
        counts = [getattr(result, kind)[level] for kind in ("added", "updated", "unchanged")]
        table.add_row(level, *(str(n) for n in counts))
    console.print(table)
