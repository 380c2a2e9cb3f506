"""The forecast's inputs: the city's state at the start of a year, and its yearly rates.

Everything is by single year of age 0..100 (100 = 100+), as float arrays of length 101.
Coins are in **hours** here (1 coin = 1 hour; the ledger's integer minutes / 60), because
the forecast deals in expected values, not in postable amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.lifetable import AGES

REDEMPTION_AGE = 60  # policy: a holder (or spouse) redeems from 60 [F]


def check_by_age(name: str, value: np.ndarray, *, high: float | None = None) -> None:
    if value.shape != (AGES,):
        raise InvalidInput(f"{name} must have one value per age 0..100", field=name)
    bad = np.flatnonzero(~np.isfinite(value) | (value < 0) | (value > (high or np.inf)))
    if bad.size:
        raise InvalidInput(f"{name} at age {bad[0]} is {value[bad[0]]}", field=name)


@dataclass(frozen=True)
class CityState:
    """Stocks at the start of a year, by age at that date."""

    volunteers: np.ndarray  # active volunteers (they earn)
    holders: np.ndarray  # living account holders: the active and those who stopped
    own_hours: np.ndarray  # own-earned coins held at each age
    received_hours: np.ndarray  # coins gifted to people of each age, not yet spent
    pool_hours: float  # the city donation pool (bequests land here)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "pool_hours":
                check_by_age(f.name, np.asarray(getattr(self, f.name), dtype=float))
        if np.any(self.volunteers > self.holders):
            raise InvalidInput("volunteers cannot outnumber holders", field="volunteers")
        if not self.pool_hours >= 0:
            raise InvalidInput("the pool cannot be negative", field="pool_hours")

    @property
    def outstanding_hours(self) -> float:
        return float(self.own_hours.sum() + self.received_hours.sum() + self.pool_hours)


@dataclass(frozen=True)
class Rates:
    """Yearly rates by age, fitted from a city's history (:func:`fit.fit_rates`)."""

    earning_hours: np.ndarray  # hours earned per volunteer-year of service at each age
    exit: np.ndarray  # probability an active volunteer who survives the year stops
    entries: np.ndarray  # expected new volunteers a year at each age
    redemption: np.ndarray  # share of coins held at each age redeemed in a year (0 below 60)
    gift: np.ndarray  # share of own coins left after redemption gifted in a year
    pool_spend: float  # share of the donation pool spent on priority elders in a year

    def __post_init__(self) -> None:
        for name in ("earning_hours", "entries"):
            check_by_age(name, getattr(self, name))
        for name in ("exit", "redemption", "gift"):
            check_by_age(name, getattr(self, name), high=1.0)
        if np.any(self.redemption[:REDEMPTION_AGE] > 0):
            raise InvalidInput(
                f"coins are redeemed only from age {REDEMPTION_AGE}", field="redemption"
            )
        if not 0 <= self.pool_spend <= 1:
            raise InvalidInput("pool_spend must lie in [0, 1]", field="pool_spend")
