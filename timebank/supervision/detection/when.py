"""When an alert's facts happened, and how much history a partial scan must read (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from timebank.clock import LOCAL_TZ
from timebank.supervision.detection.facts import Alert
from timebank.supervision.detection.params import DetectorParams


def lookback(p: DetectorParams) -> timedelta:
    """History a scan from a date must also read so every window ending after it is whole."""
    days = max(
        p.context_days,
        p.pair_window_days,
        p.ring_window_days,
        p.new_account_days,
        p.gift_count_window_days,
        p.gift_fan_in_days,
        p.donation_count_window_days,
        31 * p.volume_min_months,  # a station's typical month needs a few months around it
    )
    return timedelta(days=days + 1)


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=LOCAL_TZ)


def alert_time(alert: Alert) -> datetime | None:
    """The latest instant the evidence names (None when it names none)."""
    ev = alert.evidence
    found = [_parse(ev.get(k)) for k in ("start", "window_end", "at")]
    if isinstance(ev.get("local_date"), str):
        day = _parse(ev["local_date"] + "T23:59:59")
        found.append(day)
    if isinstance(ev.get("month"), str):
        year, month = (int(x) for x in ev["month"].split("-"))
        nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=LOCAL_TZ)
        found.append(nxt - timedelta(seconds=1))
    times = [t for t in found if t is not None]
    return max(times) if times else None
