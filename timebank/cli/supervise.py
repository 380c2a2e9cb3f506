"""``timebank supervise scan``: run every fraud rule over the database and store new alerts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from timebank.cli.common import _run, console, err_console
from timebank.clock import LOCAL_TZ, SystemClock
from timebank.errors import InvalidInput

supervise_app = typer.Typer(help="Supervision: fraud detection and cases.", no_args_is_help=True)

TABLES = ("visits", "transfers", "accounts")


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date like 2026-03-01", field="--since") from None
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


@supervise_app.command("scan")
def scan(
    since: Annotated[
        str | None,
        typer.Option(help="Judge records from this local date (YYYY-MM-DD); default: all."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run every rule over visits, gifts, donations and redemptions; store the new alerts,
    remind the accounts and put them on the watch list. Known alerts are not stored twice."""
    from timebank.supervision.detection.facts import Rule
    from timebank.supervision.services import ScanSummary, scan_and_record

    progress = Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    )
    task = progress.add_task("loading", total=len(TABLES) + len(Rule) + 1)

    def step(name: str, _count: int) -> None:
        progress.update(task, advance=1, description=name)

    def go(session: Session) -> ScanSummary:
        start = _since(since)
        with progress:
            summary = scan_and_record(session, since=start, at=SystemClock().now(), on_step=step)
            progress.update(task, description="committing")
            session.commit()
            progress.update(task, advance=1)
        return summary

    summary = _run(go)
    if as_json:
        print(
            json.dumps(
                {
                    "run": summary.run_id,
                    "since": since,
                    "visits": summary.visits,
                    "transfers": summary.transfers,
                    "accounts": summary.accounts,
                    "alerts": summary.alerts,
                    "new_alerts": summary.new_alerts,
                    "rules": {
                        rule: {"alerts": summary.counts[rule], "new": summary.new[rule]}
                        for rule in summary.counts
                    },
                    "seconds": summary.seconds,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title=f"监督扫描 Supervision scan (run {summary.run_id})")
    for column, justify in (("rule", "left"), ("alerts", "right"), ("new", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rule, count in summary.counts.items():
        table.add_row(rule, str(count), str(summary.new[rule]))
    table.add_row("total", str(summary.alerts), str(summary.new_alerts), style="bold")
    console.print(table)
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in summary.seconds.items())
    console.print(
        f"read {summary.visits:,} visits and {summary.transfers:,} transfers ({timing}); "
        f"{summary.new_alerts} new alerts stored"
    )
