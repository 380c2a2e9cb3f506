"""The 30-year liability forecast: a cohort-component projection by single year of age.

Pure: numpy arrays and dataclasses in, results out; no database, web or settings. The model,
its parameters and the data source are described in docs/forecast.md.

    history → fit_rates → Rates ─┐
    history.state_at(year) ──────┼→ project(…, scenario, runs, seed) → Projection → bands
    china_life_table() ──────────┘
    backtest(history, life_table, fit_years=k) → BacktestReport (MAPE)
"""

from timebank.fund.forecast.backtest import BacktestReport, backtest
from timebank.fund.forecast.fit import fit_rates
from timebank.fund.forecast.history import History
from timebank.fund.forecast.lifetable import (
    MAX_AGE,
    LifeTable,
    china_life_table,
    load_life_table,
    parse_life_table,
)
from timebank.fund.forecast.model import CityState, Rates
from timebank.fund.forecast.project import project
from timebank.fund.forecast.results import Bands, Projection
from timebank.fund.forecast.scenarios import BASELINE, BUILTIN, Scenario, scenario_from_dict

__all__ = [
    "BASELINE",
    "BUILTIN",
    "MAX_AGE",
    "BacktestReport",
    "Bands",
    "CityState",
    "History",
    "LifeTable",
    "Projection",
    "Rates",
    "Scenario",
    "backtest",
    "china_life_table",
    "fit_rates",
    "load_life_table",
    "parse_life_table",
    "project",
    "scenario_from_dict",
]
