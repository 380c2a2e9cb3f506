"""A synthetic time-bank city for the forecast's tests and benchmark: person by person.

Each person has an age, an active flag and an own balance in integer **minutes**, as in the
ledger; the city runs year by year with known rates (:func:`true_rates`) and the China life
table, and the yearly totals by age are written into a :class:`History`. It is the same
model the forecast assumes (same order of events within a year), simulated on individuals
instead of cohorts, so a backtest that fits on the first years should recover these rates.

Gifts go to relatives outside the city's volunteer register, so received coins are kept as
totals by the recipient's age (they are spent and inherited in the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timebank.fund.forecast.history import History
from timebank.fund.forecast.lifetable import AGES, MAX_AGE, LifeTable, china_life_table
from timebank.fund.forecast.model import REDEMPTION_AGE, Rates
from timebank.fund.forecast.project import age_one_year, gift_matrix

AGE = np.arange(AGES)


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((AGE - centre) / width) ** 2)


def true_rates(entries_per_year: float = 8_000.0) -> Rates:
    """Plausible rates: most volunteers are recent retirees (the 55–70 bump), who also give
    the most hours; redemption climbs steeply after 70; gifts go up to parents mostly."""
    adult = (AGE >= 18) & (AGE <= 85)
    entries_shape = (0.35 * _bump(30, 8) + _bump(60, 6)) * adult
    redemption = np.where(AGE >= REDEMPTION_AGE, 0.02 + 0.28 / (1 + np.exp(-(AGE - 78) / 4)), 0)
    return Rates(
        earning_hours=np.where(adult | (AGE > 85), 30 + 50 * _bump(64, 8), 0.0),
        exit=np.where(AGE < 60, 0.12, 0.06 + 0.5 / (1 + np.exp(-(AGE - 82) / 3))),
        entries=entries_per_year * entries_shape / entries_shape.sum(),
        redemption=redemption,
        gift=np.where((AGE >= 25) & (AGE < 60), 0.03, 0.01) * (AGE >= 18),
        pool_spend=0.4,
    )


@dataclass
class _People:
    age: np.ndarray
    active: np.ndarray
    balance: np.ndarray  # own coins, integer minutes


def synthetic_history(
    *,
    years: int = 12,
    start_year: int = 2022,
    seed: int = 0,
    rates: Rates | None = None,
    launch_volunteers: int = 20_000,
    life_table: LifeTable | None = None,
) -> History:
    """About 100,000 holders after 12 years with the default rates (20,000 at launch)."""
    rng = np.random.default_rng(seed)
    r = rates or true_rates()
    q = (life_table or china_life_table()).qx
    launch = rng.choice(AGES, size=launch_volunteers, p=r.entries / r.entries.sum())
    p = _People(launch, np.ones(launch.size, bool), np.zeros(launch.size, np.int64))
    received = np.zeros(AGES, np.int64)  # relatives' gifted coins, by their age
    pool = 0
    to_parents = gift_matrix(28.0)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in History.__dataclass_fields__}

    def by_age(values: np.ndarray, ages: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(p.age if ages is None else ages, weights=values, minlength=AGES)

    for _ in range(years):
        rows["holders"].append(by_age(np.ones(p.age.size)))
        rows["volunteers"].append(by_age(p.active.astype(float)))
        rows["own_balance_minutes"].append(by_age(p.balance.astype(float)))
        rows["received_balance_minutes"].append(received.astype(float))
        rows["pool_minutes"].append(np.array(float(pool)))

        redeemed = rng.binomial(p.balance, r.redemption[p.age])
        recv_redeemed = rng.binomial(received, r.redemption)
        p.balance -= redeemed
        gifted = rng.binomial(p.balance, r.gift[p.age])
        p.balance -= gifted
        gifts_by_age = by_age(gifted.astype(float))
        # whole minutes to the parents' ages (the 28-year gap is a whole number of years)
        received = received - recv_redeemed + np.rint(gifts_by_age @ to_parents).astype(np.int64)

        dies = rng.random(p.age.size) < q[p.age]
        leaves = p.active & ~dies & (rng.random(p.age.size) < r.exit[p.age])
        service = np.where(p.active, np.where(dies | leaves, 0.5, 1.0), 0.0)
        earned = rng.poisson(r.earning_hours[p.age] * service * 60)

        join_counts = rng.poisson(r.entries)
        join_age = np.repeat(AGE, join_counts)
        join_earned = rng.poisson(r.earning_hours[join_age] * 0.5 * 60)
        p.balance += earned

        dead_recv = rng.binomial(received, q)
        received -= dead_recv
        pool_spent = int(rng.binomial(pool, r.pool_spend))
        pool += int(p.balance[dies].sum() + dead_recv.sum()) - pool_spent

        rows["entries"].append(np.bincount(join_age, minlength=AGES).astype(float))
        rows["exits"].append(by_age(leaves.astype(float)))
        rows["earned_minutes"].append(
            by_age(earned.astype(float)) + by_age(join_earned.astype(float), join_age)
        )
        rows["redeemed_minutes"].append(by_age(redeemed.astype(float)) + recv_redeemed)
        rows["gifted_minutes"].append(gifts_by_age)
        rows["pool_redeemed_minutes"].append(np.array(float(pool_spent)))

        alive = ~dies
        p = _People(
            np.minimum(np.concatenate([p.age[alive], join_age]) + 1, MAX_AGE),
            np.concatenate([p.active[alive] & ~leaves[alive], np.ones(join_age.size, bool)]),
            np.concatenate([p.balance[alive], join_earned]),
        )
        received = age_one_year(received[None, :])[0]

    stacked = {k: np.stack(v) for k, v in rows.items() if k != "years"}
    return History(years=start_year + np.arange(years), **stacked)
