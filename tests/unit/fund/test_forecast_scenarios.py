"""Named scenarios, user-edited dicts, and the refusal of unknown parameters."""

from __future__ import annotations

import json

import pytest

from timebank.errors import InvalidInput
from timebank.fund.forecast import BASELINE, BUILTIN, Scenario, scenario_from_dict


def test_the_four_named_scenarios_exist_and_differ_from_the_baseline() -> None:
    assert set(BUILTIN) == {"baseline", "faster_ageing", "supply_halves", "redemption_doubles"}
    assert BUILTIN["supply_halves"].earning_mult == 0.5
    assert BUILTIN["redemption_doubles"].redemption_mult == 2.0
    assert BUILTIN["faster_ageing"].mortality_improvement > BASELINE.mortality_improvement
    assert all(s.description for s in BUILTIN.values())


def test_a_user_edited_scenario_starts_from_its_base() -> None:
    data = json.loads(
        '{"name": "bad decade", "base": "redemption_doubles",'
        ' "parameters": {"entry_mult": 0.5, "price_per_hour_yuan": 80}}'
    )
    s = scenario_from_dict(data)
    assert (s.name, s.redemption_mult, s.entry_mult, s.price_per_hour_yuan) == (
        "bad decade",
        2.0,
        0.5,
        80,
    )
    assert s.earning_mult == 1.0


def test_an_unknown_parameter_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "parameters": {"redemtion_mult": 2}})
    assert err.value.field == "redemtion_mult"
    assert "unknown scenario parameter 'redemtion_mult'" in err.value.message
    with pytest.raises(InvalidInput) as err:
        BASELINE.with_overrides(supply=0.5)
    assert err.value.field == "supply"


def test_an_unknown_key_base_or_a_bad_value_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "params": {}})
    assert err.value.field == "params"
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "base": "pessimistic"})
    assert err.value.field == "base"
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "parameters": {"earning_mult": -1}})
    assert err.value.field == "earning_mult"
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "parameters": {"exit_mult": "2"}})
    assert err.value.field == "exit_mult"
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"name": "x", "parameters": {"name": "y"}})
    assert err.value.field == "name"
    with pytest.raises(InvalidInput) as err:
        scenario_from_dict({"parameters": {}})
    assert err.value.field == "name"


def test_nan_and_booleans_are_not_numbers_here() -> None:
    with pytest.raises(InvalidInput):
        Scenario(gift_mult=float("nan"))
    with pytest.raises(InvalidInput):
        Scenario(coverage_floor=True)
