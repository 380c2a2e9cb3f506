"""The fit and the backtest on a synthetic city simulated person by person with known rates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.support.forecast_city import synthetic_history, true_rates
from timebank.errors import InvalidInput
from timebank.fund.forecast import BUILTIN, History, backtest, china_life_table, fit_rates

LIFE = china_life_table()
FIT_YEARS = 8


@pytest.fixture(scope="module")
def history() -> History:
    return synthetic_history(years=12, seed=21)


def weighted_error(fitted: np.ndarray, true: np.ndarray, weight: np.ndarray) -> float:
    """Exposure-weighted mean relative error: thin ages count little, as in the fit."""
    keep = (true > 0) & (weight > 0)
    rel = np.abs(fitted[keep] - true[keep]) / true[keep]
    return float(np.average(rel, weights=weight[keep]))


def test_the_synthetic_city_is_a_100000_person_city(history: History) -> None:
    assert 90_000 < history.holders[-1].sum() < 110_000
    assert history.redeemed_minutes[:, :60].sum() == 0


def errors(history: History, smooth: int) -> dict[str, float]:
    h = history.head(FIT_YEARS)
    fit, true = fit_rates(h, LIFE, smooth=smooth), true_rates()
    volunteers = h.volunteers.sum(0)
    coins = (h.own_balance_minutes + h.received_balance_minutes).sum(0)
    assert fit.entries.sum() == pytest.approx(true.entries.sum(), rel=0.03)
    assert fit.pool_spend == pytest.approx(true.pool_spend, abs=0.01)
    assert np.all(fit.redemption[:60] == 0)
    return {
        "earning": weighted_error(fit.earning_hours, true.earning_hours, volunteers),
        "exit": weighted_error(fit.exit, true.exit, volunteers),
        "redemption": weighted_error(fit.redemption, true.redemption, coins),
        "gift": weighted_error(fit.gift, true.gift, h.own_balance_minutes.sum(0)),
    }


def test_the_unsmoothed_fit_recovers_the_simulated_rates(history: History) -> None:
    """Single-year ratios are unbiased: what is left is sampling noise (exits are the
    smallest counts, so the noisiest)."""
    e = errors(history, smooth=0)
    assert e["earning"] < 0.005 and e["redemption"] < 0.005 and e["gift"] < 0.005
    assert e["exit"] < 0.06


def test_the_smoothed_fit_stays_close_to_the_simulated_rates(history: History) -> None:
    """The ±2-age window blurs the rates' steps (gifts at 25 and 60, exits at 60): a small
    bias traded for less noise at thin ages."""
    e = errors(history, smooth=2)
    assert e["earning"] < 0.02 and e["redemption"] < 0.04
    assert e["gift"] < 0.08 and e["exit"] < 0.08


def test_the_backtest_predicts_the_held_out_years_closely(history: History) -> None:
    report = backtest(history, LIFE, fit_years=FIT_YEARS)
    assert list(report.test_years) == list(history.years[FIT_YEARS:])
    assert report.mape_earned < 0.03
    assert report.mape_redeemed < 0.03
    assert report.mape_outstanding < 0.03
    assert "MAPE earned" in report.lines()[1]


def test_the_backtest_notices_a_wrong_model(history: History) -> None:
    """The same fit projected with redemption doubled misses the recorded years badly: the
    error measure can tell a right model from a wrong one."""
    report = backtest(history, LIFE, fit_years=FIT_YEARS, scenario=BUILTIN["redemption_doubles"])
    assert report.mape_redeemed > 0.5


def test_a_backtest_must_leave_years_to_predict(history: History) -> None:
    with pytest.raises(InvalidInput) as err:
        backtest(history, LIFE, fit_years=len(history))
    assert err.value.field == "fit_years"


def test_a_history_with_a_negative_count_or_a_wrong_shape_is_refused(history: History) -> None:
    exits = history.exits.copy()
    exits[3, 40] = -1
    with pytest.raises(InvalidInput, match="exits is negative or missing in 2025, age 40"):
        dataclasses.replace(history, exits=exits)
    with pytest.raises(InvalidInput) as err:
        dataclasses.replace(history, pool_minutes=history.pool_minutes[:-1])
    assert err.value.field == "pool_minutes"
    with pytest.raises(InvalidInput) as err:
        dataclasses.replace(history, volunteers=history.holders + 1)
    assert err.value.field == "volunteers"
