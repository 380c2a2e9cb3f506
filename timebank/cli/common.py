"""What every ``timebank`` command shares: the consoles, one transaction per command, and
domain errors turned into a clear message and an exit code (never a traceback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from timebank.config import get_settings
from timebank.db import make_engine, make_session_factory, transaction
from timebank.errors import TimebankError, exit_code_for

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Domain errors become a clear message and a non-zero exit; never a traceback."""
    try:
        yield
    except TimebankError as exc:
        where = escape(f" [{exc.field}]") if exc.field else ""
        rule = f" (rule: {exc.rule})" if exc.rule else ""
        err_console.print(f"[red]error{where}:[/red] {escape(exc.message)}{escape(rule)}")
        raise typer.Exit(exit_code_for(exc)) from None
    except OperationalError as exc:
        err_console.print(f"[red]database error:[/red] {exc.orig}")
        raise typer.Exit(69) from None


def _factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine(get_settings().database_url))


def _run(fn: Callable[[Session], T], *, commit: bool = False) -> T:
    with _friendly_errors(), transaction(_factory()) as session:
        result = fn(session)
        if commit:
            session.commit()
        return result
