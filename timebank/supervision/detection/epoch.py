"""Vectorised local-time arithmetic on epoch seconds (distances: ``timebank.geodesy``).

Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so local days, hours and
months are plain integer arithmetic on an offset, which is what lets a full scan stay in numpy.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

LOCAL_OFFSET_S = 8 * 3600
DAY_S = 86_400

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def epoch(at: datetime) -> int:
    """Whole seconds since 1970 for an aware instant."""
    if at.tzinfo is None:
        raise ValueError("supervision needs aware datetimes (UTC)")
    return int(at.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def iso(seconds: int) -> str:
    return from_epoch(seconds).isoformat()


def local_day(seconds: ArrayLike) -> I64:
    """Days since 1970-01-01 in local time."""
    return np.asarray((np.asarray(seconds, np.int64) + LOCAL_OFFSET_S) // DAY_S, np.int64)


def local_day_label(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def local_month(seconds: ArrayLike) -> I64:
    """Months since 1970-01 in local time."""
    local = (np.asarray(seconds, np.int64) + LOCAL_OFFSET_S).astype("datetime64[s]")
    return np.asarray(local.astype("datetime64[M]").astype(np.int64), np.int64)


def local_month_label(month: int) -> str:
    return str(np.datetime64(int(month), "M"))


def _night_in_day(tod: I64, start_s: int, end_s: int) -> I64:
    """Night seconds between local midnight and ``tod`` seconds into the same day."""
    if start_s > end_s:  # the night wraps midnight: [0, end) and [start, day)
        return np.minimum(tod, end_s) + np.maximum(tod - start_s, 0)
    return np.clip(tod, start_s, end_s) - start_s


def night_seconds(start: ArrayLike, end: ArrayLike, start_hour: int, end_hour: int) -> I64:
    """Seconds of each half-open interval [start, end) that fall in the local night.

    Uses a cumulative count N(t) of night seconds since the epoch, so an interval of any length
    is N(end) − N(start) with no loop over days.
    """
    s_s, e_s = start_hour * 3600, end_hour * 3600
    per_day = (DAY_S - s_s + e_s) if s_s > e_s else (e_s - s_s)

    def cumulative(t: ArrayLike) -> I64:
        local = np.asarray(t, np.int64) + LOCAL_OFFSET_S
        days, tod = np.divmod(local, DAY_S)
        return np.asarray(days * per_day + _night_in_day(tod, s_s, e_s), np.int64)

    return np.asarray(np.maximum(cumulative(end) - cumulative(start), 0), np.int64)
