"""Policy parameters: the configurable rules of DESIGN §2 (INF/OC defaults), one frozen object.

Defaults live here; the city admin's overrides live in the ``policy_parameters`` table and are
merged by ``load_policy``. Rules receive a ``Policy`` and never read settings themselves.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from timebank.errors import InvalidInput


@dataclass(frozen=True)
class Policy:
    # Coins (integer minutes).
    credit_unit_minutes: int = 30  # credit rounds down to this unit [INF]
    daily_credit_cap_minutes: int = 8 * 60  # per volunteer per local day [INF; Shanghai: 120]
    redemption_age: int = 60  # holder or spouse must be this old to redeem [F]
    volunteer_min_age: int = 18  # adult volunteers; younger only as students with a guardian [F]
    # Gifts [INF]: 0 means no limit.
    gift_yearly_limit_minutes: int = 200 * 60  # per giver per calendar year
    gift_yearly_count_limit: int = 24  # per giver per calendar year
    gift_per_recipient_yearly_limit_minutes: int = 100 * 60
    regift_allowed: bool = False  # coins received as gifts cannot be gifted on
    # 10,000 rule [F].
    admission_service_minutes: int = 10_000 * 60
    admission_balance_minutes: int = 10_000 * 60
    admission_consumes_coins: bool = True  # on approval the held coins are spent [INF]
    # Star levels in hours of own service [F law art. 37; levels INF after Nanjing].
    star_level_hours: tuple[int, ...] = (100, 300, 600, 1000, 1500)
    # Supervision [INF].
    late_night_start_hour: int = 22
    late_night_end_hour: int = 6
    qualification_types: tuple[str, ...] = field(
        default=("lawyer", "financial", "medical", "counsellor", "social_worker", "nurse")
    )

    def with_overrides(self, overrides: dict[str, Any]) -> Policy:
        fields = {f.name: f for f in dataclasses.fields(self)}
        clean: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in fields:
                raise InvalidInput(f"unknown policy parameter {key!r}", field=key)
            current = getattr(self, key)
            if isinstance(current, tuple):
                if not isinstance(value, list | tuple):
                    raise InvalidInput(f"{key} must be a list", field=key)
                value = tuple(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise InvalidInput(f"{key} must be true or false", field=key)
            elif isinstance(current, int) and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise InvalidInput(f"{key} must be a whole number ≥ 0", field=key)
            clean[key] = value
        result = dataclasses.replace(self, **clean)
        result.validate()
        return result

    def validate(self) -> None:
        if self.credit_unit_minutes < 1 or 60 % self.credit_unit_minutes:
            raise InvalidInput(
                "credit_unit_minutes must divide an hour", field="credit_unit_minutes"
            )
        if self.daily_credit_cap_minutes < self.credit_unit_minutes:
            raise InvalidInput(
                "daily_credit_cap_minutes must be at least one unit",
                field="daily_credit_cap_minutes",
            )
        for name in ("late_night_start_hour", "late_night_end_hour"):
            if not 0 <= getattr(self, name) < 24:
                raise InvalidInput(f"{name} must be an hour 0–23", field=name)
        if list(self.star_level_hours) != sorted(set(self.star_level_hours)):
            raise InvalidInput("star_level_hours must increase", field="star_level_hours")
