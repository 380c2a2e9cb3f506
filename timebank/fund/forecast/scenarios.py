"""Named, editable scenarios: a scenario is a set of overrides on the baseline parameters.

Every parameter is a plain number with a default (the baseline). A user edits a scenario as
a dict — loaded from JSON or TOML — and :func:`scenario_from_dict` validates it: an unknown
key or parameter is refused rather than ignored, because a misspelt ``redemtion_mult`` that
silently did nothing would make a forecast look safer than the user asked for.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from timebank.errors import InvalidInput


@dataclass(frozen=True)
class Scenario:
    """Multipliers apply to the rates fitted from the city's history, every projected year."""

    name: str = "baseline"
    description: str = "the city's own fitted rates, continued"
    earning_mult: float = 1.0  # × hours each active volunteer earns a year (the care supplied)
    redemption_mult: float = 1.0  # × share of coins held at 60+ redeemed a year (care demanded)
    gift_mult: float = 1.0  # × share of own coins gifted to relatives a year
    entry_mult: float = 1.0  # × new volunteers a year, by age
    entry_growth: float = 0.0  # yearly growth of new volunteers (0.02 = +2 % a year, compounded)
    exit_mult: float = 1.0  # × probability an active volunteer stops in a year
    mortality_mult: float = 1.0  # × the life table's qx, every age
    mortality_improvement: float = 0.01  # yearly fall of every qx (China 2010–2019: ≈ 2 %)
    pool_spend_mult: float = 1.0  # × share of the donation pool spent a year
    gift_age_gap: float = 28.0  # recipient age − giver age: gifts go mostly to parents
    price_per_hour_yuan: float = 50.0  # what an hour of bought care costs in the first year
    price_growth: float = 0.03  # yearly rise of that price (care wages)
    coverage_floor: float = 1.0  # fund / value of the 60+ holders' coins to hold (1 = fully)
    rate_sd_run: float = 0.10  # Monte Carlo: sd of log of a per-run rate level (unknown level)
    rate_sd_year: float = 0.05  # Monte Carlo: sd of log of a yearly rate wobble

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name in ("name", "description"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"{f.name} must be a number, not {value!r}", field=f.name)
            low, high = BOUNDS.get(f.name, (0.0, math.inf))
            if not low <= value <= high:  # also refuses nan
                raise InvalidInput(f"{f.name} = {value} is outside [{low}, {high}]", field=f.name)

    def with_overrides(self, **overrides: Any) -> Scenario:
        return dataclasses.replace(self, **_checked(overrides))


BOUNDS: dict[str, tuple[float, float]] = {
    "entry_growth": (-0.5, 0.5),
    "mortality_improvement": (-0.1, 0.2),
    "gift_age_gap": (-100.0, 100.0),
    "price_growth": (-0.5, 0.5),
    "rate_sd_run": (0.0, 2.0),
    "rate_sd_year": (0.0, 2.0),
}
PARAMETERS = tuple(
    f.name for f in dataclasses.fields(Scenario) if f.name not in ("name", "description")
)

BASELINE = Scenario()
BUILTIN: dict[str, Scenario] = {
    s.name: s
    for s in (
        BASELINE,
        Scenario(
            name="faster_ageing",
            description="people live longer (qx falls 3 % a year) and a quarter fewer join",
            mortality_improvement=0.03,
            entry_mult=0.75,
        ),
        Scenario(
            name="supply_halves",
            description="volunteers give half the hours they gave so far",
            earning_mult=0.5,
        ),
        Scenario(
            name="redemption_doubles",
            description="holders aged 60+ redeem twice the share of their coins each year",
            redemption_mult=2.0,
        ),
    )
}


def _checked(overrides: dict[str, Any], *, names: bool = True) -> dict[str, Any]:
    for key in overrides:
        if key not in PARAMETERS and not (names and key in ("name", "description")):
            raise InvalidInput(
                f"unknown scenario parameter {key!r}; known: {', '.join(PARAMETERS)}", field=key
            )
    return overrides


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """A scenario from ``{"name", "description"?, "base"?, "parameters": {...}}``.

    ``base`` names a built-in scenario to start from (default ``baseline``); ``parameters``
    override it. Anything else is refused, naming the key.
    """
    if not isinstance(data, dict):
        raise InvalidInput("a scenario must be a table of keys", field="scenario")
    for key in data:
        if key not in ("name", "description", "base", "parameters"):
            raise InvalidInput(
                f"unknown scenario key {key!r} (expected name, description, base, parameters)",
                field=key,
            )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("a scenario needs a name", field="name")
    base_name = data.get("base", "baseline")
    if base_name not in BUILTIN:
        raise InvalidInput(
            f"unknown base scenario {base_name!r}; known: {', '.join(BUILTIN)}", field="base"
        )
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise InvalidInput("parameters must be a table of name = number", field="parameters")
    base = BUILTIN[base_name]
    description = data.get("description", f"{base.description}, edited")
    if not isinstance(description, str):
        raise InvalidInput("description must be text", field="description")
    _checked(parameters, names=False)
    return dataclasses.replace(base, name=name, description=description, **parameters)
