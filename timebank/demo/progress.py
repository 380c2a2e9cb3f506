"""Progress of the long phases, shown by the CLI with Rich and silent elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


class Reporter(Protocol):
    def phase(self, name: str, total: int) -> AbstractContextManager[Advance]: ...


class Silent:
    @contextmanager
    def phase(self, name: str, total: int) -> Iterator[Advance]:
        yield lambda n: None


class RichReporter:
    """One bar per phase, left on screen once done."""

    def __init__(self, console: Console) -> None:
        self._console = console

    @contextmanager
    def phase(self, name: str, total: int) -> Iterator[Advance]:
        progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
        )
        task = progress.add_task(name, total=total)
        with progress:
            yield lambda n: progress.advance(task, n)
