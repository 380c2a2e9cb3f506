"""Detector parameters: every threshold a supervision rule uses, one frozen object.

All values are inferred [INF]: no regulation fixes them, they were chosen against the synthetic
city in ``synth`` (tuned on seed 1). The late-night window and the daily cap come from the
city's policy at the start of every check and scan (``timebank.supervision.tuning.params_for``),
so that supervision and the ledger agree; the defaults here serve pure tests and the demo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DetectorParams:
    # Overlap: two visits of one volunteer that share more than this are "two places at once";
    # the slack absorbs phones whose clocks differ by a few minutes.
    overlap_tolerance_minutes: int = 5
    # Late night, local time (Asia/Shanghai); a visit must spend more than the grace inside.
    night_start_hour: int = 22
    night_end_hour: int = 6
    night_grace_minutes: int = 0
    # Credited minutes per volunteer per local day (the ledger's cap; a breach means a bypass).
    daily_cap_minutes: int = 8 * 60
    # GPS in tall buildings is off by a few hundred metres; a kilometre is not noise.
    far_checkin_metres: float = 1000.0
    # Travel between the elders' addresses of consecutive visits; below the minimum distance
    # the speed is dominated by rounding of times and is ignored.
    travel_max_kmh: float = 50.0
    travel_min_km: float = 2.0
    # Durations: robust z-score of log minutes within a category (median, 1.4826·MAD).
    duration_z: float = 4.5
    duration_min_samples: int = 50
    # A new account is watched for its first days.
    new_account_days: int = 30
    new_account_minutes: int = 3000
    # Two-way pairs and short rings on the graph of services (server → served). Neighbours who
    # help each other now and then rarely reach five each way within two months.
    pair_window_days: int = 60
    pair_min_each_way: int = 5
    ring_window_days: int = 90
    ring_min_edge: int = 5
    ring_max_length: int = 4
    # Gifts and donations: count in a long window, velocity in a short one.
    gift_count_window_days: int = 90
    gift_count_threshold: int = 8
    gift_velocity_hours: int = 24
    gift_velocity_count: int = 4
    gift_fan_in_days: int = 30
    gift_fan_in_givers: int = 6  # five children giving at Spring Festival is honest
    gift_redeem_hours: int = 24
    gift_redeem_fraction: float = 0.5
    donation_count_window_days: int = 90
    donation_count_threshold: int = 6
    donation_velocity_hours: int = 24
    donation_velocity_count: int = 3
    # Stations, judged per local calendar month.
    station_min_records: int = 30
    offline_share_max: float = 0.5
    volume_factor: float = 1.8
    volume_min_months: int = 3
    # How much history a write-time context must carry (covers every per-visit window).
    context_days: int = 31

    def with_overrides(self, overrides: dict[str, Any]) -> DetectorParams:
        """A copy with some values replaced; unknown names and wrong types are refused."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        clean: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in fields:
                raise ValueError(f"unknown detector parameter {key!r}")
            current = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if isinstance(current, int) and not isinstance(value, int):
                raise ValueError(f"{key} must be a whole number")
            clean[key] = value
        result = dataclasses.replace(self, **clean)
        result.validate()
        return result

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must be ≥ 0")
        if not (0 <= self.night_start_hour < 24 and 0 <= self.night_end_hour < 24):
            raise ValueError("night hours must be 0–23")
        if not 0 < self.gift_redeem_fraction <= 1 or not 0 < self.offline_share_max <= 1:
            raise ValueError("fractions must be in (0, 1]")
        if self.ring_max_length < 3:
            raise ValueError("ring_max_length must be at least 3")
        if self.context_days < self.new_account_days:
            raise ValueError("context_days must cover new_account_days")


DEFAULT_PARAMS = DetectorParams()
