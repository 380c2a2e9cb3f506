"""Properties of the projection: conservation, no negative stocks, survival, bands, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.fund.forecast import (
    BASELINE,
    BUILTIN,
    CityState,
    Projection,
    Rates,
    china_life_table,
    project,
)
from timebank.fund.forecast.model import REDEMPTION_AGE

LIFE = china_life_table()
AGE = np.arange(101)


@st.composite
def cities(draw: st.DrawFn) -> tuple[CityState, Rates]:
    """Small random cities: a few cohorts with random counts, balances and rates."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    occupied = rng.random(101) < draw(st.floats(0.05, 1.0))
    holders = np.where(occupied, rng.integers(0, 300, 101), 0).astype(float)
    volunteers = np.floor(holders * rng.random(101))
    state = CityState(
        volunteers=volunteers,
        holders=holders,
        own_hours=holders * rng.exponential(draw(st.floats(0, 500)), 101),
        received_hours=rng.exponential(draw(st.floats(0, 2_000)), 101) * (rng.random(101) < 0.3),
        pool_hours=draw(st.floats(0, 1e5)),
    )
    rates = Rates(
        earning_hours=rng.uniform(0, 200, 101),
        exit=rng.uniform(0, 1, 101),
        entries=rng.uniform(0, draw(st.floats(0, 50)), 101),
        redemption=np.where(AGE >= REDEMPTION_AGE, rng.uniform(0, 1, 101), 0.0),
        gift=rng.uniform(0, draw(st.floats(0, 1)), 101),
        pool_spend=draw(st.floats(0, 1)),
    )
    return state, rates


def before(p: Projection, start: float, series: np.ndarray) -> np.ndarray:
    """The stock at the start of each projected year: the start state, then last year's end."""
    return np.concatenate([np.full((p.runs, 1), start), series[:, :-1]], axis=1)


def assert_conserved(p: Projection, state: CityState) -> None:
    outstanding = before(p, state.outstanding_hours, p.outstanding_hours)
    np.testing.assert_allclose(
        p.outstanding_hours, outstanding + p.earned_hours - p.redeemed_hours, atol=1e-6
    )
    np.testing.assert_allclose(p.outstanding_hours, p.personal_hours + p.pool_hours, rtol=1e-12)
    personal = before(p, state.outstanding_hours - state.pool_hours, p.personal_hours)
    np.testing.assert_allclose(
        p.personal_hours,
        personal + p.earned_hours - p.redeemed_by_holders_hours - p.bequeathed_hours,
        atol=1e-6,
    )


@settings(max_examples=60, deadline=None)
@given(cities(), st.sampled_from(sorted(BUILTIN)), st.integers(0, 2**32 - 1))
def test_coins_are_conserved_and_nothing_goes_negative(
    city: tuple[CityState, Rates], name: str, seed: int
) -> None:
    state, rates = city
    for runs in (None, 7):
        p = project(state, rates, LIFE, BUILTIN[name], years=12, runs=runs, seed=seed)
        assert_conserved(p, state)
        for series in ("outstanding_hours", "personal_hours", "pool_hours", "liability_60_hours"):
            assert np.all(p.series(series) >= -1e-9), series
        assert np.all(p.volunteers <= p.holders + 1e-9)
        assert np.all(p.liability_60_hours <= p.personal_hours + 1e-6)
        assert np.all(p.redeemed_by_holders_hours <= p.redeemed_hours + 1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 99), st.integers(1, 5_000), st.integers(0, 2**32 - 1))
def test_survivors_never_exceed_the_cohort_and_follow_the_life_table(
    age: int, n: int, seed: int
) -> None:
    """One cohort, nobody joining: its holders only shrink, and in expectation they follow
    the life table's survival exactly."""
    people = np.zeros(101)
    people[age] = n
    state = CityState(people, people, people * 10, np.zeros(101), 0.0)
    zero = np.zeros(101)
    rates = Rates(np.full(101, 20.0), np.full(101, 0.1), zero, zero, zero, 0.0)
    still = BASELINE.with_overrides(mortality_improvement=0.0)
    expected = project(state, rates, LIFE, still, years=10, runs=None).holders[0]
    ages = np.minimum(age + np.arange(10), 100)
    survival = np.cumprod(1 - LIFE.qx[ages])
    np.testing.assert_allclose(expected, n * survival, rtol=1e-12)
    sampled = project(state, rates, LIFE, still, years=10, runs=50, seed=seed).holders
    assert np.all(sampled <= n) and np.all(np.diff(sampled, axis=1) <= 0)
    assert np.all(sampled == np.round(sampled))  # whole people in Monte Carlo runs


@pytest.fixture(scope="module")
def city() -> tuple[CityState, Rates]:
    from tests.support.forecast_city import synthetic_history
    from timebank.fund.forecast import fit_rates

    history = synthetic_history(years=6, launch_volunteers=5_000, seed=3)
    return history.state_at(5), fit_rates(history, LIFE)


def test_bands_are_ordered_and_runs_deterministic_for_a_seed(city: tuple[CityState, Rates]) -> None:
    state, rates = city
    a = project(state, rates, LIFE, years=30, runs=200, seed=11)
    b = project(state, rates, LIFE, years=30, runs=200, seed=11)
    c = project(state, rates, LIFE, years=30, runs=200, seed=12)
    for name in ("outstanding_hours", "earned_hours", "redeemed_hours", "fund_needed_yuan"):
        bands = a.bands(name)
        assert np.all(bands.p5 <= bands.p50) and np.all(bands.p50 <= bands.p95)
        assert np.all(bands.p5[5:] < bands.p95[5:])  # the runs really differ
        np.testing.assert_array_equal(a.series(name), b.series(name))
        assert not np.array_equal(a.series(name), c.series(name))


def test_monte_carlo_centres_on_the_expected_projection(city: tuple[CityState, Rates]) -> None:
    state, rates = city
    no_rate_noise = BASELINE.with_overrides(rate_sd_run=0.0, rate_sd_year=0.0)
    mean = project(state, rates, LIFE, no_rate_noise, years=20, runs=300, seed=5)
    exp = project(state, rates, LIFE, no_rate_noise, years=20, runs=None)
    for name in ("outstanding_hours", "earned_hours", "redeemed_hours", "holders"):
        np.testing.assert_allclose(mean.series(name).mean(0), exp.series(name)[0], rtol=0.01)


def test_scenarios_move_the_forecast_the_way_their_names_say(city: tuple[CityState, Rates]) -> None:
    state, rates = city

    def run(name: str) -> Projection:
        return project(state, rates, LIFE, BUILTIN[name], years=30, runs=None)

    base, halves, doubles, older = (
        run(n) for n in ("baseline", "supply_halves", "redemption_doubles", "faster_ageing")
    )
    np.testing.assert_allclose(halves.earned_hours, base.earned_hours / 2, rtol=1e-12)
    assert np.all(halves.care_shortfall_hours >= base.care_shortfall_hours)
    first = doubles.redeemed_by_holders_hours[0, 0]
    assert first == pytest.approx(2 * base.redeemed_by_holders_hours[0, 0])
    assert doubles.outstanding_hours[0, -1] < base.outstanding_hours[0, -1]
    assert older.volunteers[0, -1] < base.volunteers[0, -1]
    assert older.bequeathed_hours[0, -1] < base.bequeathed_hours[0, -1]  # people live longer


def test_fund_needed_is_floor_times_liability_at_the_years_price(
    city: tuple[CityState, Rates],
) -> None:
    state, rates = city
    s = BASELINE.with_overrides(coverage_floor=0.4, price_per_hour_yuan=60, price_growth=0.02)
    p = project(state, rates, LIFE, s, years=5, runs=3, seed=1)
    price = 60 * 1.02 ** np.arange(5)
    np.testing.assert_allclose(p.fund_needed_yuan, 0.4 * p.liability_60_hours * price)
    ratio = p.coverage_ratio(p.fund_needed_yuan)
    np.testing.assert_allclose(ratio[p.liability_60_hours > 0], 0.4)
