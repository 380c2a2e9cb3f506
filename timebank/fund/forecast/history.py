"""A city's history as the forecast reads it: per calendar year and single year of age.

Stocks are at the **start** of each year and counted by age on that date; flows are during
the year, by the age the person had at its start (the age they are filed under until the
year ends). Coins are integer **minutes**, as in the ledger. A reporting job builds this from
the ledger and the people tables; tests build it from ``tests/support/forecast_city.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.lifetable import AGES
from timebank.fund.forecast.model import CityState

BY_AGE = (
    "holders",  # living account holders (active volunteers and those who stopped)
    "volunteers",  # active volunteers
    "entries",  # new volunteers who joined during the year
    "exits",  # active volunteers who stopped during the year (alive; they keep their coins)
    "earned_minutes",  # service credits, by the volunteer's age
    "redeemed_minutes",  # spends of own and received coins, by the spender's age
    "gifted_minutes",  # gifts, by the giver's age
    "own_balance_minutes",  # own-earned coins held
    "received_balance_minutes",  # gifted coins held by the recipients, by the recipient's age
)
BY_YEAR = ("pool_minutes", "pool_redeemed_minutes")


@dataclass(frozen=True)
class History:
    years: np.ndarray  # (Y,) consecutive calendar years
    holders: np.ndarray  # (Y, 101) and the rest of BY_AGE alike
    volunteers: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    earned_minutes: np.ndarray
    redeemed_minutes: np.ndarray
    gifted_minutes: np.ndarray
    own_balance_minutes: np.ndarray
    received_balance_minutes: np.ndarray
    pool_minutes: np.ndarray  # (Y,) the donation pool at the start of each year
    pool_redeemed_minutes: np.ndarray  # (Y,) spent from the pool during the year

    def __post_init__(self) -> None:
        n = self.years.shape[0]
        if self.years.ndim != 1 or n < 1 or np.any(np.diff(self.years) != 1):
            raise InvalidInput("years must be one or more consecutive years", field="years")
        for f in fields(self):
            value = getattr(self, f.name)
            shape = (n, AGES) if f.name in BY_AGE else (n,)
            if value.shape != shape:
                raise InvalidInput(f"{f.name} must have shape {shape}", field=f.name)
            bad = np.argwhere(~np.isfinite(value) | (value < 0))
            if f.name != "years" and bad.size:
                where = tuple(int(i) for i in bad[0])
                year = int(self.years[where[0]])
                at = f"{year}, age {where[1]}" if len(where) == 2 else f"{year}"
                raise InvalidInput(f"{f.name} is negative or missing in {at}", field=f.name)
        if np.any(self.volunteers > self.holders):
            raise InvalidInput("volunteers cannot outnumber holders", field="volunteers")

    def __len__(self) -> int:
        return int(self.years.shape[0])

    def state_at(self, i: int) -> CityState:
        """The stocks at the start of year index ``i``, coins converted to hours."""
        return CityState(
            volunteers=self.volunteers[i].astype(float),
            holders=self.holders[i].astype(float),
            own_hours=self.own_balance_minutes[i] / 60,
            received_hours=self.received_balance_minutes[i] / 60,
            pool_hours=float(self.pool_minutes[i]) / 60,
        )

    def outstanding_hours(self) -> np.ndarray:
        """Coins outstanding at the start of each year (own + received + pool), in hours."""
        personal = self.own_balance_minutes.sum(1) + self.received_balance_minutes.sum(1)
        return (personal + self.pool_minutes) / 60

    def earned_hours(self) -> np.ndarray:
        return self.earned_minutes.sum(1) / 60

    def redeemed_hours(self) -> np.ndarray:
        """Everything spent in each year: by holders and from the pool."""
        return (self.redeemed_minutes.sum(1) + self.pool_redeemed_minutes) / 60

    def head(self, n: int) -> History:
        """The first ``n`` years (what a backtest fits on)."""
        if not 1 <= n <= len(self):
            raise InvalidInput(f"cannot take {n} of {len(self)} years", field="fit_years")
        return History(**{f.name: getattr(self, f.name)[:n] for f in fields(self)})
