"""The full scan over a small planted city: every pattern found, nothing duplicated."""

from __future__ import annotations

import pytest

from timebank.demo.synth import make_city
from timebank.demo.synth.evaluate import evaluate
from timebank.supervision.detection.facts import Rule, dedupe
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.scan import full_scan


@pytest.fixture(scope="module")
def city():
    return make_city(30_000, seed=11)


def test_every_planted_pattern_is_found(city):
    result = full_scan(city.visits, city.transfers, city.accounts)
    scores = evaluate(result.alerts, city.truth)
    assert set(result.counts) == set(Rule)
    for rule, score in scores.items():
        assert score.planted >= 1, rule
        assert score.recall == 1.0, rule
        assert score.precision >= 0.8, rule


def test_rescanning_yields_the_same_keys_and_no_duplicates(city):
    first = full_scan(city.visits, city.transfers, city.accounts)
    again = full_scan(city.visits, city.transfers, city.accounts)
    keys = [a.dedup_key for a in first.alerts]
    assert len(keys) == len(set(keys))
    assert keys == [a.dedup_key for a in again.alerts]
    assert dedupe(first.alerts + again.alerts) == dedupe(first.alerts)


def test_the_generator_is_deterministic():
    a, b = make_city(5_000, seed=3), make_city(5_000, seed=3)
    assert (a.visits.start == b.visits.start).all() and a.truth == b.truth
    assert make_city(5_000, seed=4).truth != a.truth


def test_a_subset_of_rules_and_progress(city):
    seen = []
    result = full_scan(
        city.visits, rules=[Rule.LATE_NIGHT, Rule.OVERLAP], on_rule_done=lambda r, n: seen.append(r)
    )
    assert set(result.counts) == set(seen) == {Rule.LATE_NIGHT, Rule.OVERLAP}


def test_params_overrides_are_checked():
    p = DetectorParams().with_overrides({"pair_min_each_way": 6, "far_checkin_metres": 800.0})
    assert p.pair_min_each_way == 6 and p.far_checkin_metres == 800.0
    for bad in (
        {"nope": 1},
        {"pair_min_each_way": 2.5},
        {"night_start_hour": 24},
        {"ring_max_length": 2},
    ):
        with pytest.raises(ValueError):
            DetectorParams().with_overrides(bad)
