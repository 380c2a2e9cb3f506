"""What the detectors read (visits, transfers, account facts) and what they say (alerts).

Plain frozen dataclasses with no database behind them. Instants are aware datetimes in UTC;
local judgement (late night, days, months) happens in Asia/Shanghai inside the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class Rule(StrEnum):
    OVERLAP = "overlap"
    LATE_NIGHT = "late_night"
    DAILY_CAP = "daily_cap"
    FAR_CHECKIN = "far_checkin"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    DURATION_OUTLIER = "duration_outlier"
    SAME_DEVICE = "same_device"
    NEW_ACCOUNT_FAST = "new_account_fast"
    TWO_WAY_PAIR = "two_way_pair"
    RING = "ring"
    GIFT_COUNT = "gift_count"
    GIFT_VELOCITY = "gift_velocity"
    GIFT_FAN_IN = "gift_fan_in"
    GIFT_THEN_REDEEM = "gift_then_redeem"
    DONATION_COUNT = "donation_count"
    DONATION_VELOCITY = "donation_velocity"
    OFFLINE_SHARE = "offline_share"
    STATION_VOLUME = "station_volume"


@dataclass(frozen=True)
class Visit:
    """One service: ``volunteer_id`` served ``elder_id``."""

    id: int
    volunteer_id: int
    elder_id: int
    start: datetime
    end: datetime
    category: str
    credited_minutes: int
    station_id: int
    elder_lat: float
    elder_lon: float
    checkin_lat: float | None = None  # None for offline (paper) records
    checkin_lon: float | None = None
    checkin_device: str | None = None
    confirm_device: str | None = None
    source: Literal["online", "offline"] = "online"


@dataclass(frozen=True)
class Gift:
    id: int
    giver_id: int
    recipient_id: int
    minutes: int
    at: datetime


@dataclass(frozen=True)
class Donation:
    """Coins given to the city's pool (or an institution) rather than to a person."""

    id: int
    donor_id: int
    minutes: int
    at: datetime


@dataclass(frozen=True)
class Redemption:
    """Coins spent by ``person_id`` on care."""

    id: int
    person_id: int
    minutes: int
    at: datetime


@dataclass(frozen=True)
class Account:
    person_id: int
    created_at: datetime


SubjectKind = Literal["visit", "person", "person_day", "pair", "ring", "gift", "station_month"]


@dataclass(frozen=True)
class Alert:
    """A finding. ``dedup_key`` names the fact, not the run: a re-scan yields the same key.

    ``subject_kind``/``subject_id`` say what was judged; ``people`` are the accounts to remind
    and watch; ``evidence`` is JSON-ready (ids, numbers, ISO strings) for the case file.
    """

    rule: Rule
    subject_kind: SubjectKind
    subject_id: str
    score: float
    evidence: dict[str, Any]
    dedup_key: str
    people: tuple[int, ...] = field(default=())


def make_alert(
    rule: Rule,
    subject_kind: SubjectKind,
    subject_id: str,
    score: float,
    evidence: dict[str, Any],
    people: Iterable[int],
    bucket: str | None = None,
) -> Alert:
    """Build an alert whose key is rule + subject (+ a calendar bucket for windowed rules)."""
    key = f"{rule.value}:{subject_kind}:{subject_id}"
    if bucket is not None:
        key += f":{bucket}"
    clipped = round(min(1.0, max(0.0, float(score))), 4)
    return Alert(
        rule, subject_kind, subject_id, clipped, evidence, key, tuple(int(p) for p in people)
    )


def severity(value: float, threshold: float) -> float:
    """0.5 at the threshold, approaching 1 as the value grows past it (1 if threshold is 0)."""
    if value <= 0:
        return 0.0
    return max(0.0, 1.0 - 0.5 * threshold / value)


def dedupe(alerts: Iterable[Alert]) -> list[Alert]:
    """One alert per key (the highest score wins), in a stable order."""
    best: dict[str, Alert] = {}
    for alert in alerts:
        kept = best.get(alert.dedup_key)
        if kept is None or alert.score > kept.score:
            best[alert.dedup_key] = alert
    return sorted(best.values(), key=lambda a: (a.rule.value, a.dedup_key))
