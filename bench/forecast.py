"""Forecast benchmark: a synthetic 100,000-person city, its backtest, and 30-year projections.

    .venv/bin/python bench/forecast.py --people 100000 --years 30 --runs 1000 --seed 1

Simulates 12 years of a city person by person with known rates (tests/support/forecast_city.py),
backtests the forecast on it (fit on the first 8 years, predict the last 4), fits on all 12,
and projects 30 years from the last recorded year under each named scenario with Monte Carlo
runs. Times the Monte Carlo projection (target: < 10 s for 1,000 runs), wall and CPU.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.forecast_city import synthetic_history, true_rates
from timebank.fund.forecast import (
    BUILTIN,
    Projection,
    Scenario,
    backtest,
    china_life_table,
    fit_rates,
    project,
)

T = TypeVar("T")
SHOWN = ("outstanding_hours", "earned_hours", "redeemed_hours", "liability_60_hours")


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float, float]:
    """The value and the fastest wall and CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return value, min(walls), min(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000, help="holders after the history")
    ap.add_argument("--history", type=int, default=12, help="years of synthetic history")
    ap.add_argument("--fit-years", type=int, default=8, help="years the backtest fits on")
    ap.add_argument("--years", type=int, default=30, help="years to project")
    ap.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="time the projection this many times")
    args = ap.parse_args()

    scale = args.people / 100_000
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    life = china_life_table()
    history, wall, cpu = timed(
        lambda: synthetic_history(
            years=args.history,
            seed=args.seed,
            rates=true_rates(8_000 * scale),
            launch_volunteers=round(20_000 * scale),
        )
    )
    print(
        f"synthetic city: {args.history} years {history.years[0]}–{history.years[-1]}, "
        f"{history.holders[-1].sum():,.0f} holders, {history.volunteers[-1].sum():,.0f} active "
        f"(person by person: {wall:.2f} s)"
    )

    report, wall, _ = timed(lambda: backtest(history, life, fit_years=args.fit_years))
    print(f"backtest ({wall * 1000:.0f} ms): " + "; ".join(report.lines()))
    actual, predicted = history.outstanding_hours()[args.fit_years + 1 :], report.projection
    for year, a, p in zip(
        report.test_years[1:], actual, predicted.outstanding_hours[0], strict=False
    ):
        print(f"  outstanding at the start of {year}: recorded {a:,.0f} h, predicted {p:,.0f} h")

    rates = fit_rates(history, life)
    start = history.state_at(len(history) - 1)
    first = int(history.years[-1])
    print(
        f"\nprojection from the start of {first}: {args.years} years × {args.runs} runs × 101 ages"
    )
    print(f"{'scenario':<20} {'wall s':>7} {'cpu s':>7}")

    def run(scenario: Scenario) -> Projection:
        return project(
            start,
            rates,
            life,
            scenario,
            years=args.years,
            start_year=first,
            runs=args.runs,
            seed=args.seed,
        )

    results = {}
    for name, scenario in BUILTIN.items():
        results[name], wall, cpu = timed(partial(run, scenario), args.repeat)
        print(f"{name:<20} {wall:>7.2f} {cpu:>7.2f}")

    picks = [i for i in (0, 9, 19, 29) if i < args.years]
    for name, p in results.items():
        print(f"\n{name}: p5 / p50 / p95")
        print(f"{'':<26}" + "".join(f"{int(p.years[i]):>30}" for i in picks))
        for series in (*SHOWN, "care_shortfall_hours", "fund_needed_yuan"):
            b = p.bands(series)
            unit = 1e9 if series.endswith("yuan") else 1e6
            label = series.replace("_hours", " (M h)").replace("_yuan", " (bn yuan)")
            cells = "".join(
                f"{f'{b.p5[i] / unit:.2f} / {b.p50[i] / unit:.2f} / {b.p95[i] / unit:.2f}':>30}"
                for i in picks
            )
            print(f"{label:<26}{cells}")


if __name__ == "__main__":
    main()
