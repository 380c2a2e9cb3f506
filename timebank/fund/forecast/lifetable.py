"""Mortality for the forecast: a single-year life table (ages 0..100, 100 meaning 100+).

The shipped table is China's, both sexes, 2019, from the WHO Global Health Observatory
abridged life table (ages <1, 1–4, 5–9, …, 80–84, 85+), interpolated to single years by
:func:`single_year_from_abridged`; ``data/README.md`` gives the source and the caveats. A
city replaces it with its own CSV through :func:`load_life_table`, which refuses a table
with a missing age or a probability outside [0, 1], naming the line.

CSV format (UTF-8; lines starting with ``#`` are comments; other columns are ignored):

    age,qx
    0,0.00680
    ...
    100,0.45    # 100 stands for 100 and over: the yearly death probability of that group
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from timebank.errors import InvalidInput

MAX_AGE = 100  # the last, open age group: 100 and over
AGES = MAX_AGE + 1
CHINA_TABLE = "china_who_2019_single_year.csv"
CHINA_ABRIDGED = "china_who_2019_abridged.csv"
SOURCE_CHINA = (
    "WHO Global Health Observatory, life tables by country: China, 2019, both sexes, "
    "nqx (probability of dying between ages x and x+n); abridged table interpolated to "
    "single years of age (see timebank/fund/forecast/data/README.md)"
)


@dataclass(frozen=True)
class LifeTable:
    """``qx[a]``: probability that a person aged ``a`` dies within the year (``a`` = 100 is
    100+, so its qx is a yearly rate below 1, not the 1.0 of an abridged table's last row)."""

    qx: np.ndarray
    source: str

    def __post_init__(self) -> None:
        if self.qx.shape != (AGES,):
            raise InvalidInput(f"a life table needs ages 0..{MAX_AGE}", field="age")
        if not np.all((self.qx >= 0) & (self.qx <= 1)):
            raise InvalidInput("qx must lie in [0, 1]", field="qx")

    def life_expectancy(self, age: int = 0) -> float:
        """Remaining years at ``age``, deaths at mid-year; the open group is closed by 1/qx."""
        q = self.qx[age:]
        alive = np.concatenate(([1.0], np.cumprod(1 - q)))[:-1]
        years = alive * (1 - q / 2)
        years[-1] = alive[-1] / max(q[-1], 1e-9)  # the 100+ group lives on at its own rate
        return float(years.sum())


def _rows(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    """Data rows with their 1-based line numbers, comments and blank lines skipped."""
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    lines = [(i, ln) for i, ln in lines if not ln.lstrip().startswith("#")]
    if not lines:
        raise InvalidInput(f"{name}: no header line", field="age")
    header = next(csv.reader([lines[0][1]]))
    header = [h.strip().lower() for h in header]
    for column in ("age", "qx"):
        if column not in header:
            raise InvalidInput(
                f"{name} line {lines[0][0]}: the header has no {column!r} column", field=column
            )
    out = []
    for lineno, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line.split("#", 1)[0])), [])
        out.append((lineno, dict(zip(header, (c.strip() for c in cells), strict=False))))
    return out


def parse_life_table(text: str, *, name: str = "life table", source: str = "") -> LifeTable:
    """A :class:`LifeTable` from CSV text; every refusal names the column and the line."""
    qx = np.full(AGES, np.nan)
    for lineno, row in _rows(text, name):
        raw_age = row.get("age", "")
        try:
            age = int(raw_age)
        except ValueError:
            raise InvalidInput(
                f"{name} line {lineno}: age {raw_age!r} is not a whole number", field="age"
            ) from None
        if not 0 <= age <= MAX_AGE:
            raise InvalidInput(
                f"{name} line {lineno}: age {age} is outside 0..{MAX_AGE} "
                f"({MAX_AGE} stands for {MAX_AGE}+)",
                field="age",
            )
        if not math.isnan(qx[age]):
            raise InvalidInput(f"{name} line {lineno}: age {age} appears twice", field="age")
        raw_q = row.get("qx", "")
        try:
            q = float(raw_q)
        except ValueError:
            raise InvalidInput(
                f"{name} line {lineno} (age {age}): qx {raw_q!r} is not a number", field="qx"
            ) from None
        if not 0.0 <= q <= 1.0:  # also refuses nan
            raise InvalidInput(
                f"{name} line {lineno} (age {age}): qx {raw_q} is outside [0, 1]", field="qx"
            )
        qx[age] = q
    missing = np.flatnonzero(np.isnan(qx))
    if missing.size:
        shown = ", ".join(str(a) for a in missing[:10]) + (" …" if missing.size > 10 else "")
        raise InvalidInput(
            f"{name}: every age 0..{MAX_AGE} needs a row; missing age {shown}", field="age"
        )
    return LifeTable(qx=qx, source=source or name)


def load_life_table(path: str | Path) -> LifeTable:
    """A city's own life table from a CSV file (see the module docstring for the columns)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the life table {path}: {exc}", field="path") from None
    return parse_life_table(text, name=str(path), source=str(path))


def china_life_table() -> LifeTable:
    """The shipped default: China, both sexes, WHO GHO 2019, interpolated to single years."""
    text = resources.files(__package__).joinpath("data", CHINA_TABLE).read_text("utf-8")
    return parse_life_table(text, name=CHINA_TABLE, source=SOURCE_CHINA)
