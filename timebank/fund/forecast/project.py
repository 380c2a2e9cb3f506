"""The cohort-component projection: one step per year, vectorised over runs and ages.

Arrays are (runs, ages). Within a year, in this order (the order the fit assumes):

1. deaths among active (Dv) and stopped (Di) holders: binomial on the counts with qx;
   exits X: binomial on the surviving active with the exit rate; entries E: Poisson;
2. service: volunteer-years = V − (Dv + X)/2 + E/2 (the dead, the leavers and the new serve
   half a year on average); hours earned: Poisson(earning rate × volunteer-years);
3. redemption from 60: Poisson(share × coins held), never more than is held;
4. gifts from own coins left: Poisson(share × own coins), to age + gift_age_gap;
5. the dead's coins (own: the share of holders who died; received: qx) pass to the pool;
   the pool spends its share on priority elders;
6. everyone left ages one year (100+ stays 100+).

So, exactly, every year: outstanding(t+1) = outstanding(t) + earned − redeemed, where
redeemed includes the pool's spending; for people alone,
personal(t+1) = personal(t) + earned − redeemed by holders − bequeathed to the pool.

A deterministic projection (``runs=None``) puts the expected value in place of every draw.
Monte Carlo runs also multiply the earning and redemption rates by a lognormal level per run
(``rate_sd_run``: the rates themselves are uncertain) and a lognormal wobble per year
(``rate_sd_year``), both with mean 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timebank.errors import InvalidInput
from timebank.fund.forecast.lifetable import AGES, MAX_AGE, LifeTable
from timebank.fund.forecast.model import REDEMPTION_AGE, CityState, Rates
from timebank.fund.forecast.results import SERIES, Projection
from timebank.fund.forecast.scenarios import BASELINE, Scenario


def gift_matrix(gap: float) -> np.ndarray:
    """(ages, ages): row a spreads a gift from age a over the recipient ages a + gap (split
    between the two nearest whole ages when gap is fractional, clipped to 0..100)."""
    low = int(np.floor(gap))
    frac = gap - low
    m = np.zeros((AGES, AGES))
    ages = np.arange(AGES)
    np.add.at(m, (ages, np.clip(ages + low, 0, MAX_AGE)), 1 - frac)
    np.add.at(m, (ages, np.clip(ages + low + 1, 0, MAX_AGE)), frac)
    return m


def age_one_year(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    out[:, 1:] = x[:, :-1]
    out[:, MAX_AGE] += x[:, MAX_AGE]
    return out


@dataclass
class _Draw:
    """Draws for Monte Carlo, expected values when ``rng`` is None."""

    rng: np.random.Generator | None

    def binomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        return n * p if self.rng is None else self.rng.binomial(n.astype(np.int64), p).astype(float)

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        return lam if self.rng is None else self.rng.poisson(lam).astype(float)

    def lognormal(self, sd: float, shape: tuple[int, ...]) -> np.ndarray:
        if self.rng is None or sd == 0:
            return np.ones(shape)
        return self.rng.lognormal(-sd * sd / 2, sd, shape)  # mean 1


def project(
    state: CityState,
    rates: Rates,
    life_table: LifeTable,
    scenario: Scenario = BASELINE,
    *,
    years: int = 30,
    start_year: int = 0,
    runs: int | None = 1000,
    seed: int = 0,
) -> Projection:
    """Project ``years`` years from ``state`` (the start of ``start_year``)."""
    if not 1 <= years <= 200:
        raise InvalidInput("years must lie in 1..200", field="years")
    if runs is not None and not 1 <= runs <= 1_000_000:
        raise InvalidInput("runs must lie in 1..1,000,000", field="runs")
    draw = _Draw(None if runs is None else np.random.default_rng(seed))
    n = runs or 1
    sc = scenario

    def stock(x: np.ndarray) -> np.ndarray:
        x = np.broadcast_to(np.asarray(x, dtype=float), (n, AGES)).copy()
        return x if runs is None else np.round(x)  # people are whole in Monte Carlo runs

    vol, stopped = stock(state.volunteers), stock(state.holders - state.volunteers)
    own = np.broadcast_to(state.own_hours, (n, AGES)).astype(float)
    recv = np.broadcast_to(state.received_hours, (n, AGES)).astype(float)
    pool = np.full(n, float(state.pool_hours))
    gifts_to = gift_matrix(sc.gift_age_gap)
    level_e, level_r = (
        draw.lognormal(sc.rate_sd_run, (n, 1)),
        draw.lognormal(sc.rate_sd_run, (n, 1)),
    )
    is_60 = np.arange(AGES) >= REDEMPTION_AGE
    exit_p = np.clip(rates.exit * sc.exit_mult, 0, 1)
    gift_p = np.clip(rates.gift * sc.gift_mult, 0, 1)
    pool_p = min(rates.pool_spend * sc.pool_spend_mult, 1.0)
    out = {name: np.zeros((n, years)) for name in SERIES}

    for t in range(years):
        q = np.clip(life_table.qx * sc.mortality_mult * (1 - sc.mortality_improvement) ** t, 0, 1)
        earn = (
            rates.earning_hours
            * sc.earning_mult
            * level_e
            * draw.lognormal(sc.rate_sd_year, (n, 1))
        )
        shock_r = level_r * draw.lognormal(sc.rate_sd_year, (n, 1))
        redeem_p = np.clip(rates.redemption * sc.redemption_mult * shock_r, 0, 1)
        new = np.broadcast_to(rates.entries * sc.entry_mult * (1 + sc.entry_growth) ** t, (n, AGES))

        dead_v, dead_s = draw.binomial(vol, q), draw.binomial(stopped, q)
        leave = draw.binomial(vol - dead_v, exit_p)
        join = draw.poisson(new)
        earned = draw.poisson(earn * (vol - (dead_v + leave) / 2 + join / 2))

        red_own = np.minimum(draw.poisson(redeem_p * own), own)
        red_recv = np.minimum(draw.poisson(redeem_p * recv), recv)
        own = own - red_own
        gifted = np.minimum(draw.poisson(gift_p * own), own)
        own = own - gifted + earned
        recv = recv - red_recv + gifted @ gifts_to

        holders = vol + stopped
        dead_share = np.divide(
            dead_v + dead_s, holders, out=np.broadcast_to(q, (n, AGES)).copy(), where=holders > 0
        )
        dead_own, dead_recv = own * dead_share, recv * q
        bequeathed = dead_own.sum(1) + dead_recv.sum(1)
        pool_red = np.minimum(draw.poisson(pool_p * pool), pool)
        pool = pool - pool_red + bequeathed

        vol = age_one_year(vol - dead_v - leave + join)
        stopped = age_one_year(stopped - dead_s + leave)
        own, recv = age_one_year(own - dead_own), age_one_year(recv - dead_recv)

        personal = own.sum(1) + recv.sum(1)
        redeemed = red_own.sum(1) + red_recv.sum(1) + pool_red
        liability_60 = (own[:, is_60] + recv[:, is_60]).sum(1)
        price = sc.price_per_hour_yuan * (1 + sc.price_growth) ** t
        row = {
            "earned_hours": earned.sum(1),
            "redeemed_hours": redeemed,
            "redeemed_by_holders_hours": redeemed - pool_red,
            "gifted_hours": gifted.sum(1),
            "bequeathed_hours": bequeathed,
            "outstanding_hours": personal + pool,
            "personal_hours": personal,
            "pool_hours": pool,
            "liability_60_hours": liability_60,
            "care_shortfall_hours": np.maximum(redeemed - earned.sum(1), 0),
            "fund_needed_yuan": sc.coverage_floor * liability_60 * price,
            "volunteers": vol.sum(1),
            "holders": (vol + stopped).sum(1),
        }
        for name, value in row.items():
            out[name][:, t] = value

    prices = sc.price_per_hour_yuan * (1 + sc.price_growth) ** np.arange(years)
    return Projection(
        scenario=sc,
        years=start_year + np.arange(years),
        price_per_hour_yuan=prices,
        start_outstanding_hours=state.outstanding_hours,
        **out,
    )
