"""The demo year and its rhythm: which days are busy, which hours visits start.

The demo covers the twelve months ending 2026-10-31 (Asia/Shanghai); nothing here reads the
wall clock. The city's time bank opened on 2022-06-01, when Beijing's plan came into force,
so most people registered before the demo year begins.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from timebank.clock import LOCAL_TZ

LAUNCH = date(2022, 6, 1)  # Beijing's Implementation Plan (Trial) in force
START = date(2025, 11, 1)
END = date(2026, 10, 31)  # last day of the demo year, inclusive
DAYS = (END - START).days + 1

SPRING_FESTIVAL = date(2026, 2, 17)  # 春节: the city goes home; visits dip for weeks
LANTERN_FESTIVAL = date(2026, 3, 3)  # 元宵: life is back to normal
DOUBLE_NINTH = date(2026, 10, 18)  # 重阳节, the elders' festival: visits and donations rise
NATIONAL_DAY = (date(2026, 10, 1), date(2026, 10, 7))

# Monday .. Sunday: Saturday a little quieter, Sunday clearly so.
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.55)
# January's cold and July-August's heat keep some volunteers home.
MONTH = {1: 0.9, 7: 0.9, 8: 0.88}

# Local start hour of a visit and its weight: mornings and mid-afternoons, a little evening.
START_HOURS = (8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)
START_WEIGHTS = (8, 16, 15, 8, 3, 7, 14, 13, 8, 4, 3, 1)
LAST_END_MINUTE = 21 * 60 + 15  # nobody is still visiting at 21:15
POSTING_TIME = time(21, 30)  # the nightly batch: confirmations posted, tomorrow's needs held
SEAL_AT = datetime.combine(END + timedelta(days=1), time(0, 5), tzinfo=LOCAL_TZ)


def days() -> list[date]:
    return [START + timedelta(days=i) for i in range(DAYS)]


def day_factor(day: date) -> float:
    """How busy a day is, relative to an ordinary weekday."""
    factor = WEEKDAY[day.weekday()] * MONTH.get(day.month, 1.0)
    until_festival = (SPRING_FESTIVAL - day).days
    if -7 <= until_festival <= 1:  # 除夕 eve to 初七: families together, stations closed
        factor *= 0.3
    elif 1 < until_festival <= 10 or SPRING_FESTIVAL < day <= LANTERN_FESTIVAL:
        factor *= 0.7
    if NATIONAL_DAY[0] <= day <= NATIONAL_DAY[1]:
        factor *= 0.8
    if 0 <= (DOUBLE_NINTH - day).days <= 7:
        factor *= 1.3
    return factor


def local_at(day: date, minute_of_day: int) -> datetime:
    """An aware local datetime ``minute_of_day`` minutes after midnight on ``day``."""
    hours, minutes = divmod(minute_of_day, 60)
    return datetime.combine(day, time(hours, minutes), tzinfo=LOCAL_TZ)


def posting_at(day: date) -> datetime:
    return datetime.combine(day, POSTING_TIME, tzinfo=LOCAL_TZ)
