"""``timebank import`` and ``timebank match``: stations' paper records, district dispatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import track
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from timebank.actors import Actor, Role
from timebank.cli.common import _run, console, err_console
from timebank.clock import SystemClock
from timebank.errors import InvalidInput, NotFound
from timebank.matching.models import DispatchResult
from timebank.policy_store import load_policy

care_commands = typer.Typer()  # top-level commands (``timebank match``)
import_app = typer.Typer(help="Import paper records kept by stations.", no_args_is_help=True)


def _station_actor(session: Session, station: int, operator: str) -> Actor:
    from timebank.people.models import Organisation

    org = session.get(Organisation, station)
    if org is None or org.kind != "station":
        raise NotFound(f"no station {station}", field="--station")
    if not operator.strip():
        raise InvalidInput("name the operator", field="--operator")
    return Actor(
        role=Role.STATION, org_id=org.id, district_code=org.district_code, name=operator.strip()
    )


@import_app.command("visits")
def import_visits(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with a header row.")],
    station: Annotated[int, typer.Option(help="The importing station's id.")],
    operator: Annotated[str, typer.Option(help="Who enters the records (first approver).")],
    partial: Annotated[
        bool, typer.Option(help="Import the good rows even if some are bad.")
    ] = False,
) -> None:
    """Enter paper visit records (source=offline); a second user approves them later.

    Columns: volunteer_id_number, elder_id_number, item_code, start, end, note
    (or 志愿者身份证号, 老人身份证号, 服务项目, 开始时间, 结束时间, 备注); times are local.
    """
    from timebank.care.offline import enter_paper_record, validate_rows
    from timebank.care.spreadsheet import read_rows

    def go(session: Session) -> tuple[int, int, list[tuple[int, str, str]]]:
        actor = _station_actor(session, station, operator)
        rows = read_rows(file)
        now = SystemClock().now()
        assert actor.district_code is not None
        report = validate_rows(
            session, rows, station_district=actor.district_code, at=now, policy=load_policy(session)
        )
        problems = [(e.row, f"{e.column} {e.field}", e.problem) for e in report.errors]
        if problems and not partial:
            return len(rows), 0, problems
        for record in track(report.records, description="entering records", console=console):
            enter_paper_record(session, actor=actor, record=record, at=now)
        session.commit()
        return len(rows), len(report.records), problems

    total, created, problems = _run(go)
    if problems:
        table = Table(title="有误的行 Rows with errors")
        for column in ("row", "field", "problem"):
            table.add_column(column)
        for row, field, message in problems[:200]:
            table.add_row(str(row), field, message)
        err_console.print(table)
    if problems and not partial:
        err_console.print(
            f"[red]nothing imported[/red]: {len(problems)} problems in "
            f"{total} rows (fix them, or use --partial)"
        )
        raise typer.Exit(2)
    console.print(f"entered {created} of {total} records; each waits for a second approval")


@import_app.command("approve")
def approve_visits(
    station: Annotated[int, typer.Option(help="The approving station's id.")],
    operator: Annotated[str, typer.Option(help="Who approves (not who entered).")],
    visit: Annotated[
        list[int] | None, typer.Option(help="Visit ids; default: all pending.")
    ] = None,
) -> None:
    """Second approval of paper records: the coins post, then supervision checks each."""
    from timebank.care.models import Need, Visit
    from timebank.care.offline import approve_paper_record
    from timebank.domain_events import take
    from timebank.supervision.services import deliver

    def go(session: Session) -> tuple[int, list[int]]:
        actor = _station_actor(session, station, operator)
        ids = visit or list(
            session.execute(
                select(Visit.id)
                .join(Need, Need.id == Visit.need_id)
                .where(Visit.status == "pending_approval", Need.station_id == station)
                .order_by(Visit.id)
            ).scalars()
        )
        policy, now = load_policy(session), SystemClock().now()
        for visit_id in track(ids, description="approving", console=console):
            approve_paper_record(
                session, actor=actor, visit_id=visit_id, approve=True, policy=policy, at=now
            )
        session.commit()
        # The write-time checks, after commit, each in a transaction of its own.
        found = take(session)
        return len(ids), deliver(sessionmaker(bind=session.get_bind()), found)

    approved, alerts = _run(go)
    console.print(f"approved {approved} records")
    if alerts:
        console.print(f"supervision: {len(alerts)} new alerts (timebank supervise scan)")


@care_commands.command("match")
def match(
    district: Annotated[str, typer.Option(help="District code, e.g. 110105.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Dispatch the district's open needs to volunteers in one optimal batch."""
    from timebank.care.assign import dispatch_district
    from timebank.people.models import District

    def go(session: Session) -> DispatchResult:
        if session.get(District, district) is None:
            raise NotFound(f"no district {district}", field="--district")
        actor = Actor(role=Role.DISTRICT_ADMIN, district_code=district, name="cli")
        result = dispatch_district(
            session,
            actor=actor,
            district_code=district,
            policy=load_policy(session),
            at=SystemClock().now(),
        )
        session.commit()
        return result

    result = _run(go)
    if as_json:
        print(
            json.dumps(
                {
                    "district": district,
                    "matched": len(result.assignments),
                    "unmatched": len(result.unmatched),
                    "total_travel_m": result.total_travel_m,
                    "assignments": [a._asdict() for a in result.assignments],
                    "unmatched_needs": [u._asdict() for u in result.unmatched],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title=f"派单 Dispatch {district}")
    for column in ("need", "volunteer", "travel (m)"):
        table.add_column(column, justify="right")
    for a in result.assignments:
        table.add_row(str(a.need_id), str(a.volunteer_id), str(a.travel_m))
    console.print(table)
    console.print(
        f"matched {len(result.assignments)}, unmatched {len(result.unmatched)} "
        f"({', '.join(sorted({u.reason for u in result.unmatched})) or '-'})"
    )
