"""What a projection gives back, per projected year and Monte Carlo run, and its bands.

Every series is an array of shape (runs, years); a deterministic projection has one run.
Names end in their unit: ``_hours`` for coins and care (1 coin = 1 hour), ``_yuan`` for money,
bare names for people. Stocks are at the **end** of each projected year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timebank.fund.forecast.scenarios import Scenario

SERIES = (
    "earned_hours",  # coins minted = hours of care volunteers supplied
    "redeemed_hours",  # coins spent = hours of care demanded against coins (holders + pool)
    "redeemed_by_holders_hours",  # of which spent by holders aged 60+ (own and received coins)
    "gifted_hours",  # moved from givers' own coins to relatives (no change to outstanding)
    "bequeathed_hours",  # coins of the dead passed to the pool (no change to outstanding)
    "outstanding_hours",  # coins outstanding at the end of the year: personal + pool
    "personal_hours",  # of which held by people (own + received)
    "pool_hours",  # of which in the donation pool
    "liability_60_hours",  # coins held by people aged 60+ at the end of the year
    "care_shortfall_hours",  # care demanded beyond what volunteers supplied (bought by the fund)
    "fund_needed_yuan",  # coverage floor × liability_60 × price of an hour of care that year
    "volunteers",  # active volunteers at the end of the year
    "holders",  # living account holders at the end of the year
)


@dataclass(frozen=True)
class Bands:
    p5: np.ndarray
    p50: np.ndarray
    p95: np.ndarray


@dataclass(frozen=True)
class Projection:
    scenario: Scenario
    years: np.ndarray  # (years,) calendar years projected
    price_per_hour_yuan: np.ndarray  # (years,) the price used to value the liability
    start_outstanding_hours: float
    earned_hours: np.ndarray
    redeemed_hours: np.ndarray
    redeemed_by_holders_hours: np.ndarray
    gifted_hours: np.ndarray
    bequeathed_hours: np.ndarray
    outstanding_hours: np.ndarray
    personal_hours: np.ndarray
    pool_hours: np.ndarray
    liability_60_hours: np.ndarray
    care_shortfall_hours: np.ndarray
    fund_needed_yuan: np.ndarray
    volunteers: np.ndarray
    holders: np.ndarray

    @property
    def runs(self) -> int:
        return int(self.earned_hours.shape[0])

    def series(self, name: str) -> np.ndarray:
        if name not in SERIES:
            raise KeyError(f"no series {name!r}; known: {', '.join(SERIES)}")
        return np.asarray(getattr(self, name))

    def bands(self, name: str) -> Bands:
        """p5, p50, p95 across runs, per year (all equal for a deterministic projection)."""
        p5, p50, p95 = np.percentile(self.series(name), [5, 50, 95], axis=0)
        return Bands(p5=p5, p50=p50, p95=p95)

    def care_demanded_hours(self) -> np.ndarray:
        return self.redeemed_hours

    def care_supplied_hours(self) -> np.ndarray:
        return self.earned_hours

    def coverage_ratio(self, fund_yuan: float | np.ndarray) -> np.ndarray:
        """fund / value of the 60+ holders' coins, per run and year, for a given fund path."""
        value = self.liability_60_hours * self.price_per_hour_yuan
        return np.divide(fund_yuan, value, out=np.full(value.shape, np.inf), where=value > 0)
