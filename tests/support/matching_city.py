"""A seeded synthetic Beijing for the dispatch benchmark and demos: needs and volunteers spread
over the districts, most of them in the central six, on one service day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from timebank.matching.models import Interval, Need, Qualification, Volunteer, epoch_s

HOUR = 3600


@dataclass(frozen=True, slots=True)
class District:
    name: str
    lat: float
    lon: float
    weight: float  # share of the city's older residents and volunteers (relative)
    spread_km: float  # standard deviation of homes around the centre


BEIJING = (
    District("东城 Dongcheng", 39.928, 116.416, 8, 2.0),
    District("西城 Xicheng", 39.912, 116.366, 10, 2.2),
    District("朝阳 Chaoyang", 39.948, 116.486, 20, 5.0),
    District("海淀 Haidian", 39.960, 116.298, 17, 5.0),
    District("丰台 Fengtai", 39.858, 116.287, 11, 4.0),
    District("石景山 Shijingshan", 39.906, 116.223, 4, 2.5),
    District("通州 Tongzhou", 39.909, 116.657, 6, 6.0),
    District("顺义 Shunyi", 40.130, 116.654, 4, 7.0),
    District("昌平 Changping", 40.221, 116.231, 6, 7.0),
    District("大兴 Daxing", 39.727, 116.341, 6, 7.0),
    District("房山 Fangshan", 39.749, 116.143, 3, 8.0),
    District("门头沟 Mentougou", 39.941, 116.102, 1, 6.0),
    District("怀柔 Huairou", 40.316, 116.632, 1, 8.0),
    District("平谷 Pinggu", 40.141, 117.121, 1, 7.0),
    District("密云 Miyun", 40.377, 116.843, 1, 8.0),
    District("延庆 Yanqing", 40.457, 115.975, 1, 8.0),
)

# The eight city categories; the last two are professional (DESIGN §2).
CATEGORIES = (
    "emotional_comfort",
    "assistance",
    "travel_companion",
    "culture_sports",
    "health_science",
    "training",
    "legal_aid",
    "financial_guidance",
)
NEED_SHARE = (0.30, 0.25, 0.18, 0.08, 0.08, 0.05, 0.03, 0.03)
PROFESSIONAL = {"legal_aid": "lawyer", "financial_guidance": "financial"}
SERVICE_DAY = datetime(2026, 6, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
SHIFTS = ((8, 12), (13, 17), (17, 21), (8, 18), (9, 15))  # local hours a volunteer offers


def _homes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights = np.array([d.weight for d in BEIJING], dtype=np.float64)
    which = rng.choice(len(BEIJING), size=n, p=weights / weights.sum())
    centre_lat = np.array([d.lat for d in BEIJING])[which]
    centre_lon = np.array([d.lon for d in BEIJING])[which]
    spread = np.array([d.spread_km for d in BEIJING])[which]
    lat = centre_lat + rng.normal(0, 1, n) * spread / 111.32
    lon = centre_lon + rng.normal(0, 1, n) * spread / (111.32 * np.cos(np.radians(centre_lat)))
    return np.clip(lat, 39.45, 40.95), np.clip(lon, 115.45, 117.45)


def synthetic_city(
    n_needs: int, n_volunteers: int, *, seed: int
) -> tuple[list[Need], list[Volunteer]]:
    """The same city for the same arguments."""
    rng = np.random.default_rng(seed)
    day = epoch_s(SERVICE_DAY)
    volunteers = _volunteers(rng, n_volunteers, day)
    guardians = [v.guardian_id for v in volunteers if v.guardian_id is not None]
    lat, lon = _homes(rng, n_needs)
    cats = rng.choice(len(CATEGORIES), size=n_needs, p=NEED_SHARE)
    earliest = day + rng.integers(16, 37, n_needs) * HOUR // 2  # 08:00–18:00 on the half hour
    slack = rng.choice([0, HOUR // 2, HOUR, 2 * HOUR], size=n_needs, p=[0.4, 0.2, 0.25, 0.15])
    duration = rng.choice([HOUR, 3 * HOUR // 2, 2 * HOUR], size=n_needs)
    with_guardian = rng.random(n_needs) < 0.01
    needs = [
        Need(
            id=i + 1,
            category=CATEGORIES[cats[i]],
            lat=float(lat[i]),
            lon=float(lon[i]),
            earliest_start=int(earliest[i]),
            latest_start=int(earliest[i] + slack[i]),
            duration_s=int(duration[i]),
            qualification=PROFESSIONAL.get(CATEGORIES[cats[i]]),
            attendee_ids=(
                frozenset({int(rng.choice(guardians))})
                if with_guardian[i] and guardians
                else frozenset()
            ),
            elder_rating=float(np.round(rng.uniform(3.0, 5.0), 1)),
        )
        for i in range(n_needs)
    ]
    return needs, volunteers


def _volunteers(rng: np.random.Generator, n: int, day: int) -> list[Volunteer]:
    lat, lon = _homes(rng, n)
    radius = rng.choice([1000, 2000, 3000, 5000, 8000], size=n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    out: list[Volunteer] = []
    for i in range(n):
        cats = [CATEGORIES[int(c)] for c in rng.choice(6, size=rng.integers(1, 4), replace=False)]
        quals: list[Qualification] = []
        if rng.random() < 0.06:
            cat = str(rng.choice(["legal_aid", "financial_guidance"]))
            cats.insert(int(rng.integers(0, len(cats) + 1)), cat)
            expired = rng.random() < 0.1  # lapsed licences must be refused
            quals.append(Qualification(PROFESSIONAL[cat], True, day - HOUR if expired else None))
        shifts = rng.choice(len(SHIFTS), size=rng.integers(1, 3), replace=False)
        windows = tuple(
            Interval(day + SHIFTS[s][0] * HOUR, day + SHIFTS[s][1] * HOUR) for s in shifts
        )
        booked: tuple[Interval, ...] = ()
        if rng.random() < 0.2:
            at = windows[0].start + int(rng.integers(0, 3)) * HOUR
            booked = (Interval(at, at + HOUR),)
        minor = i > 0 and rng.random() < 0.02
        out.append(
            Volunteer(
                id=i + 1,
                lat=float(lat[i]),
                lon=float(lon[i]),
                radius_m=float(radius[i]),
                categories=tuple(cats),
                windows=windows,
                booked=booked,
                qualifications=tuple(quals),
                guardian_id=int(rng.integers(1, i + 1)) if minor else None,
                workload_min=int(rng.integers(0, 20)) * 30,
            )
        )
    return out
