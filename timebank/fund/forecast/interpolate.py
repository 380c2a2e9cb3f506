"""From an abridged life table (age groups <1, 1–4, 5–9, …, and an open last group) to single
years of age — how the shipped China table was made, kept so anyone can re-derive it.

Method (documented in docs/forecast.md and data/README.md):

1. Each closed group's average force of mortality is ``m = −ln(1 − nqx) / n``.
2. The log of that force is placed at the group's mid-age and interpolated linearly to each
   single age's mid-age (a + 0.5): mortality is close to log-linear in age over adult life,
   so this bends smoothly where a step function would jump at every fifth birthday.
3. Within every closed group the single-year forces are rescaled so that they add up to the
   group's ``n · m``: the group's survival ``1 − nqx`` is then reproduced exactly.
4. Past the last closed group the force follows a Gompertz line (log m linear in age)
   fitted by least squares to the groups from ``gompertz_from`` on. The open group's qx of
   1.0 says only that everyone dies eventually, so it cannot be used.
5. ``qx = 1 − exp(−m)`` for every single age.
"""

from __future__ import annotations

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.lifetable import AGES, MAX_AGE


def single_year_from_abridged(
    starts: np.ndarray, nqx: np.ndarray, *, gompertz_from: int = 60
) -> np.ndarray:
    """Single-year qx for ages 0..100 from groups starting at ``starts`` (the last is open)."""
    starts = np.asarray(starts, dtype=int)
    nqx = np.asarray(nqx, dtype=float)
    if starts[0] != 0 or np.any(np.diff(starts) <= 0) or starts.shape != nqx.shape:
        raise InvalidInput("abridged groups must start at 0 and increase", field="age")
    closed_q = nqx[:-1]
    if np.any((closed_q <= 0) | (closed_q >= 1)):
        raise InvalidInput("a closed group's nqx must lie in (0, 1)", field="qx")
    widths = np.diff(starts)
    force = -np.log1p(-closed_q) / widths
    mids = starts[:-1] + widths / 2
    ages = np.arange(AGES)
    log_m = np.interp(ages + 0.5, mids, np.log(force))

    tail = starts[:-1] >= gompertz_from
    slope, intercept = np.polyfit(mids[tail], np.log(force[tail]), 1)
    beyond = ages + 0.5 > mids[-1]
    log_m[beyond] = intercept + slope * (ages[beyond] + 0.5)
    m = np.exp(log_m)

    for start, width, group_m in zip(starts[:-1], widths, force, strict=True):
        span = slice(start, start + width)
        m[span] *= width * group_m / m[span].sum()
    q = -np.expm1(-m)
    q[MAX_AGE] = min(q[MAX_AGE], 1.0)
    return q


HEADER = """\
# China, both sexes, 2019 — single-year life table for the time-bank forecast.
# qx = probability that a person aged x dies before age x+1; age 100 stands for 100 and over.
# Derived from china_who_2019_abridged.csv (WHO Global Health Observatory life tables, China,
# 2019, both sexes; see README.md) by timebank.fund.forecast.interpolate — regenerate with
#   .venv/bin/python -m timebank.fund.forecast.interpolate
# Ages 0-84: log-linear interpolation of the force of mortality, rescaled so every abridged
# group's survival is exact. Ages 85-100+: a Gompertz line fitted to the groups 60-84.
"""


def read_abridged(text: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [ln.split(",") for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    starts = np.array([int(r[0]) for r in rows[1:]])
    return starts, np.array([float(r[2]) for r in rows[1:]])


def render_single_year_csv(abridged_text: str) -> str:
    qx = single_year_from_abridged(*read_abridged(abridged_text))
    return HEADER + "age,qx\n" + "".join(f"{a},{q:.6f}\n" for a, q in enumerate(qx))


if __name__ == "__main__":  # regenerates the shipped single-year table from the abridged one
    from pathlib import Path

    data = Path(__file__).with_name("data")
    text = (data / "china_who_2019_abridged.csv").read_text("utf-8")
    (data / "china_who_2019_single_year.csv").write_text(render_single_year_csv(text), "utf-8")
