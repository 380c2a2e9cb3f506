"""The ``timebank`` command. Thin: parse, call a use case in one transaction, render."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from timebank.cli.admin import user_app
from timebank.cli.care import care_commands, import_app
from timebank.cli.common import _factory, _friendly_errors, _run, console, err_console
from timebank.cli.geography import geography_app
from timebank.cli.supervise import supervise_app
from timebank.clock import SystemClock
from timebank.config import get_settings
from timebank.db import make_engine
from timebank.errors import NotFound

app = typer.Typer(
    help="Time Bank 养老服务时间银行 — command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ledger_app = typer.Typer(
    help="The time-coin ledger: verify, seal, statements.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(supervise_app, name="supervise")
app.add_typer(geography_app, name="geography")
app.add_typer(care_commands)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema to the latest revision."""
    from timebank.migrate import upgrade

    with _friendly_errors():
        upgrade(make_engine(get_settings().database_url), revision)
    console.print(f"schema at {revision}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool | None,
        typer.Option(help="Log every request [default: on, off when TIMEBANK_ENV=prod]."),
    ] = None,
) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    settings = get_settings()
    if access_log is None:  # production logs requests at the reverse proxy
        access_log = settings.env != "prod"
    uvicorn.run(
        "timebank.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="The same seed builds the same city.")] = 1,
    size: Annotated[
        str,
        typer.Option(help="small: ≈1,500 people, seconds; city: ≈100,000 people, minutes."),
    ] = "small",
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing (exit 0) if people already exist.")
    ] = False,
    fraud: Annotated[
        bool,
        typer.Option(
            "--fraud", help="Plant every supervision fraud pattern at known rates (docs/demo.md)."
        ),
    ] = False,
    fraud_rate: Annotated[
        float | None,
        typer.Option(
            "--fraud-rate",
            help="Planted instances per 1,000 visits of each visit pattern (default 1); the "
            "other patterns scale with it. Implies --fraud.",
        ),
    ] = None,
    fraud_truth: Annotated[
        Path | None,
        typer.Option("--fraud-truth", help="Write what was planted (rule, subject) as JSON."),
    ] = None,
) -> None:
    """Seed a demo city into an empty database: places, people, a year of coins, a seal."""
    from timebank.demo.fraud import Rates
    from timebank.demo.plan import Size
    from timebank.demo.progress import RichReporter
    from timebank.demo.runner import run_demo

    if size not in tuple(Size):
        raise typer.BadParameter("choose small or city", param_hint="--size")
    rates = None
    if fraud or fraud_rate is not None or fraud_truth is not None:
        factor = 1.0 if fraud_rate is None else fraud_rate
        if not 0 < factor <= 50:
            raise typer.BadParameter(
                "give a rate above 0 and at most 50", param_hint="--fraud-rate"
            )
        rates = Rates().scaled(factor)
    with _friendly_errors():
        result = run_demo(
            _factory(),
            settings=get_settings(),
            seed=seed,
            size=size,
            if_empty=if_empty,
            reporter=RichReporter(console),
            extras=_demo_sign_ins,
            fraud=rates,
        )
    if result is None:
        console.print("people already exist: demo skipped (--if-empty)")
        return
    table = Table(title=f"演示城市 Demo city (seed {result.seed}, {result.size})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in [
        ("people", result.people),
        ("  volunteers (students)", f"{result.volunteers:,} ({result.students:,})"),
        ("  elders", result.elders),
        ("stations / care homes", f"{result.stations:,} / {result.care_homes:,}"),
        ("kinships / licences", f"{result.kinships:,} / {result.licences:,}"),
        ("visits (paid by coins)", f"{result.visits:,} ({result.paid_visits:,})"),
        ("transfers (reversals)", f"{result.transfers:,} ({result.reversals:,})"),
        ("sealed transfers", result.sealed),
    ]:
        table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    if result.sealed < result.transfers:
        err_console.print(
            f"[yellow]{result.transfers - result.sealed:,} transfers are not sealed yet[/yellow]"
            " (a transaction elsewhere on the server is still open): run `timebank ledger seal`"
        )
    if result.planted is not None:
        _print_planted(result.planted, fraud_truth)
    timings = ", ".join(f"{phase} {sec:.1f}s" for phase, sec in result.seconds.items())
    console.print(f"[green]done[/green] in {sum(result.seconds.values()):.1f}s: {timings}")
    _print_sign_ins()


def _print_planted(planted: Any, truth: Path | None) -> None:
    """The fraud planted per rule; with ``truth``, every label written as JSON."""
    from timebank.supervision.detection.facts import Rule

    table = Table(title="植入的违规 Planted fraud")
    table.add_column("rule")
    table.add_column("planted", justify="right")
    for rule, n in sorted(planted.injected.items(), key=lambda kv: kv[0].value):
        table.add_row(rule.value, str(n))
    console.print(table)
    missing = sorted(r.value for r in Rule if r not in planted.injected)
    if missing:
        console.print(
            f"not planted: {', '.join(missing)} (no station-month here is busy enough; "
            "try --size city)"
        )
    console.print(
        f"{planted.visits:,} visits added, {planted.converted:,} turned into paper records, "
        f"{planted.transfers:,} gifts, donations and redemptions added"
    )
    if truth is not None:
        labels = sorted([rule.value, kind, subject] for rule, kind, subject in planted.truth)
        truth.write_text(
            json.dumps({"injected": {r.value: n for r, n in planted.injected.items()},
                        "labels": labels}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )  # fmt: skip
        console.print(f"ground truth written to {truth}")
    console.print("find it: timebank supervise scan")


def _demo_sign_ins(session: Session) -> None:
    """Sign-in accounts for one person of each role, so the demo city can be used at once."""
    from timebank.auth.passwords import Passwords, make_hasher
    from timebank.demo.accounts import create_demo_accounts

    fast = get_settings().env == "test"
    create_demo_accounts(
        session, passwords=Passwords(make_hasher(fast=fast)), at=SystemClock().now()
    )


def _print_sign_ins() -> None:
    from timebank.demo.accounts import PASSWORD, PHONES

    table = Table(title="演示账号 Demo sign-ins")
    table.add_column("role")
    table.add_column("phone")
    for role, phone in PHONES.items():
        table.add_row(role, phone)
    console.print(table)
    console.print(f"password for all: {PASSWORD}")


def _person_id(session: Session, person: str) -> int:
    from timebank.people.services import find_by_id_number

    if person.isdigit() and len(person) < 15:
        return int(person)
    found = find_by_id_number(session, person)
    if found is None:
        raise NotFound("no person with that resident ID number", field="PERSON")
    return found.id


@ledger_app.command("statement")
def ledger_statement(
    person: Annotated[str, typer.Argument(help="Person id, or 18-digit resident ID number.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the CSV here (UTF-8 with a BOM, for Excel) instead of stdout."),
    ] = None,
) -> None:
    """A person's statement as CSV (每笔时间币流水)."""
    from timebank.ledger.statement import statement, statement_csv

    def go(session: Session) -> str:
        pid = _person_id(session, person)
        from timebank.people.models import Person

        if session.get(Person, pid) is None:
            raise NotFound(f"no person {pid}", field="PERSON")
        return statement_csv(statement(session, person_id=pid))

    text = _run(go)
    if out:
        # With a BOM, Excel on Chinese Windows reads the file as UTF-8 (else as GBK: mojibake).
        out.write_text(text, encoding="utf-8-sig")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


@ledger_app.command("seal")
def ledger_seal() -> None:
    """Seal the transfers committed since the last seal into a signed checkpoint."""
    from timebank.ledger.audit import seal_transfers

    def go(session: Session) -> Any:
        seal = seal_transfers(session, settings=get_settings(), at=SystemClock().now())
        return None if seal is None else (seal.id, seal.transfer_count, seal.merkle_root)

    result = _run(go, commit=True)
    if result is None:
        console.print("nothing new to seal")
    else:
        console.print(f"seal {result[0]}: {result[1]} transfers, root {result[2]}")


@ledger_app.command("verify")
def ledger_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Recompute every balance and every seal; exit 1 and name the first bad transfer."""
    from timebank.ledger.audit import verify_ledger

    report = _run(lambda s: verify_ledger(s, settings=get_settings()))
    if as_json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "transfers": report.transfers,
                    "accounts": report.accounts,
                    "seals": report.seals,
                    "sealed_transfers": report.sealed_transfers,
                    "outstanding_minutes": report.outstanding,
                    "issued_minutes": report.issued,
                    "redeemed_minutes": report.redeemed,
                    "first_bad_transfer": report.first_bad_transfer,
                    "debts": report.debts,
                    "problems": [p.__dict__ for p in report.problems],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        table = Table(title="账本核验 Ledger verification")
        table.add_column("check")
        table.add_column("value", justify="right")
        for name, value in [
            ("transfers", report.transfers),
            ("accounts", report.accounts),
            ("seals", report.seals),
            ("sealed transfers", report.sealed_transfers),
            ("issued (h)", f"{report.issued / 60:,.1f}"),
            ("redeemed (h)", f"{report.redeemed / 60:,.1f}"),
            ("outstanding (h)", f"{report.outstanding / 60:,.1f}"),
            ("debts", len(report.debts)),
        ]:
            table.add_row(name, str(value))
        console.print(table)
        for p in report.problems[:20]:
            err_console.print(f"[red]{p.rule}[/red]: {p.message}")
        if len(report.problems) > 20:
            err_console.print(f"… and {len(report.problems) - 20} more problems")
        if report.ok:
            console.print("[green]OK[/green]: every balance and every seal checks out")
        else:
            err_console.print(f"[red]FAILED[/red]: first bad transfer {report.first_bad_transfer}")
    if not report.ok:
        raise typer.Exit(1)
