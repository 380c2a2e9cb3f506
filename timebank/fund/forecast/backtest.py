"""Backtest: fit on a city's first years, project the rest, and measure the miss.

The projection starts from the recorded stocks at the start of the first held-out year and
runs deterministically (expected values), so the error is the model's and the rates', not
Monte Carlo noise. The errors are MAPE — the mean over held-out years of
|projected − recorded| / recorded — of yearly earned and redeemed coins and of outstanding
coins at the start of each later held-out year (a projection's end-of-year stock).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.fit import fit_rates
from timebank.fund.forecast.history import History
from timebank.fund.forecast.lifetable import LifeTable
from timebank.fund.forecast.model import Rates
from timebank.fund.forecast.project import project
from timebank.fund.forecast.results import Projection
from timebank.fund.forecast.scenarios import BASELINE, Scenario


@dataclass(frozen=True)
class BacktestReport:
    fit_years: np.ndarray  # calendar years the rates were fitted on
    test_years: np.ndarray  # calendar years predicted
    rates: Rates
    projection: Projection
    mape_earned: float
    mape_redeemed: float
    mape_outstanding: float  # nan when only one year is held out

    def lines(self) -> list[str]:
        return [
            f"fit on {self.fit_years[0]}–{self.fit_years[-1]}, predicted "
            f"{self.test_years[0]}–{self.test_years[-1]}",
            f"MAPE earned {100 * self.mape_earned:.2f}%, redeemed "
            f"{100 * self.mape_redeemed:.2f}%, outstanding {100 * self.mape_outstanding:.2f}%",
        ]


def mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    keep = actual > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(predicted[keep] - actual[keep]) / actual[keep]))


def backtest(
    history: History,
    life_table: LifeTable,
    *,
    fit_years: int,
    scenario: Scenario = BASELINE,
    smooth: int = 2,
) -> BacktestReport:
    """Fit on the first ``fit_years`` years, predict the remaining ones."""
    if not 1 <= fit_years < len(history):
        raise InvalidInput(
            f"fit_years must leave at least one of the {len(history)} years to predict",
            field="fit_years",
        )
    rates = fit_rates(history.head(fit_years), life_table, smooth=smooth)
    held_out = len(history) - fit_years
    # the held-out years lie in the past: no price or Monte Carlo, only the rates and mortality
    proj = project(
        history.state_at(fit_years),
        rates,
        life_table,
        scenario,
        years=held_out,
        start_year=int(history.years[fit_years]),
        runs=None,
    )
    actual_outstanding = history.outstanding_hours()[fit_years + 1 :]
    return BacktestReport(
        fit_years=history.years[:fit_years],
        test_years=history.years[fit_years:],
        rates=rates,
        projection=proj,
        mape_earned=mape(proj.earned_hours[0], history.earned_hours()[fit_years:]),
        mape_redeemed=mape(proj.redeemed_hours[0], history.redeemed_hours()[fit_years:]),
        mape_outstanding=mape(proj.outstanding_hours[0, :-1], actual_outstanding),
    )
