"""Small builders for supervision tests: times are given in local (Asia/Shanghai) wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from timebank.supervision.detection.facts import Gift, Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOME = (39.90, 116.40)
_ids = count(1)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on 2024-03-<day> local time, as UTC."""
    return datetime(2024, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def visit(
    start: datetime,
    minutes: int = 60,
    *,
    volunteer: int = 1,
    elder: int = 2,
    at: tuple[float, float] = HOME,
    **overrides: Any,
) -> Visit:
    fields: dict[str, Any] = {
        "id": next(_ids),
        "volunteer_id": volunteer,
        "elder_id": elder,
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "category": "companionship",
        "credited_minutes": minutes // 30 * 30,
        "station_id": 1,
        "elder_lat": at[0],
        "elder_lon": at[1],
        "checkin_lat": at[0] + 0.0001,
        "checkin_lon": at[1],
        "checkin_device": f"phone-{volunteer}",
        "confirm_device": f"phone-{elder}",
    }
    fields.update(overrides)
    return Visit(**fields)


def gift(giver: int, recipient: int, at: datetime, minutes: int = 600) -> Gift:
    return Gift(next(_ids), giver, recipient, minutes, at)
