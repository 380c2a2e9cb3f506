"""Fit the yearly rates by age from a city's history — the inverse of :mod:`project`.

Each rate is a ratio of sums over the fitted years: what happened (hours earned, coins
redeemed, people who stopped…) over the exposure it happened to (volunteer-years, coins
held…), with the exposure defined exactly as the projection uses it, so projecting the
fitted rates reproduces the history's totals in expectation. Deaths are not read from the
history: mortality comes from the life table, and the expected deaths stand in for them.

Single-year ages are thin at the edges (few volunteers are 19 or 88), so numerator and
denominator are each summed over a window of ±``smooth`` ages before dividing: an
exposure-weighted moving average that leaves a flat rate flat.
"""

from __future__ import annotations

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.history import History
from timebank.fund.forecast.lifetable import LifeTable
from timebank.fund.forecast.model import REDEMPTION_AGE, Rates


def _window(x: np.ndarray, half: int) -> np.ndarray:
    """Sum over ages a−half..a+half (truncated at 0 and 100) of an (ages,) array."""
    if half == 0:
        return x
    return np.convolve(x, np.ones(2 * half + 1), mode="same")


def _ratio(num: np.ndarray, den: np.ndarray, half: int) -> np.ndarray:
    n, d = _window(num, half), _window(den, half)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 1e-9)


def fit_rates(
    history: History, life_table: LifeTable, *, smooth: int = 2, entry_years: int = 3
) -> Rates:
    """Rates from every year of ``history`` (pass ``history.head(k)`` to fit on k years).

    Entries are the mean of the last ``entry_years`` years, by age: a time bank's intake
    ramps up at launch, and the recent level is the better guess for the next year.
    """
    if smooth < 0 or entry_years < 1:
        raise InvalidInput("smooth must be ≥ 0 and entry_years ≥ 1", field="smooth")
    h, q = history, life_table.qx
    vol = h.volunteers.astype(float)
    coins = (h.own_balance_minutes + h.received_balance_minutes).astype(float)

    # volunteer-years: as in the projection, the dead, the leavers and the new serve half a year
    exposure = vol * (1 - q / 2) - h.exits / 2 + h.entries / 2
    earning = _ratio(h.earned_minutes.sum(0) / 60, np.maximum(exposure, 0).sum(0), smooth)
    exit_rate = _ratio(h.exits.sum(0).astype(float), (vol * (1 - q)).sum(0), smooth)

    # nothing is redeemed below 60: keep those ages out of the window at 60 and 61, and 60's
    # out of 58 and 59
    spent, held = h.redeemed_minutes.sum(0).astype(float), coins.sum(0)
    spent[:REDEMPTION_AGE] = held[:REDEMPTION_AGE] = 0.0
    redemption = _ratio(spent, held, smooth)
    redemption[:REDEMPTION_AGE] = 0.0
    # gifts come from own coins left after redemption; the history does not split a
    # redemption into own and received coins, so it is shared in proportion to the balances
    own_share = np.divide(h.own_balance_minutes, coins, out=np.zeros_like(coins), where=coins > 0)
    own_left = h.own_balance_minutes - h.redeemed_minutes * own_share
    gift = _ratio(h.gifted_minutes.sum(0).astype(float), own_left.sum(0), smooth)

    pool = h.pool_minutes.astype(float)
    pool_spend = float(h.pool_redeemed_minutes.sum() / pool.sum()) if pool.sum() > 0 else 0.0
    return Rates(
        earning_hours=earning,
        exit=np.clip(exit_rate, 0, 1),
        entries=h.entries[-entry_years:].mean(0).astype(float),
        redemption=np.clip(redemption, 0, 1),
        gift=np.clip(gift, 0, 1),
        pool_spend=min(pool_spend, 1.0),
    )
