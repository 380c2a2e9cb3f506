from __future__ import annotations

from datetime import timedelta
from typing import Any

from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.stations import offline_share, station_volume
from timebank.supervision.detection.tables import VisitTable

from .factories import local, visit

P = DetectorParams()


def month_of_visits(month: int, n: int, station: int = 1, offline: int = 0):
    start = local(1, 8).replace(month=month)
    out = []
    for i in range(n):
        extra: dict[str, Any] = {}
        if i < offline:
            extra = {"source": "offline", "checkin_lat": None, "checkin_lon": None}
        at = start + timedelta(minutes=i * (27 * 24 * 60) // n)
        out.append(visit(at, 60, volunteer=100 + i % 20, station_id=station, **extra))
    return out


def test_offline_share_above_half():
    paper = month_of_visits(4, 40, offline=25)
    (alert,) = offline_share(VisitTable.from_visits(paper), P)
    assert alert.subject_id == "1@2024-04" and alert.evidence["share"] == 0.625
    assert alert.people == ()


def test_offline_share_ignores_small_or_mostly_online_months():
    assert offline_share(VisitTable.from_visits(month_of_visits(4, 40, offline=20)), P) == []
    assert offline_share(VisitTable.from_visits(month_of_visits(4, 20, offline=20)), P) == []


def year(volumes: dict[int, int], station: int = 1):
    return [v for month, n in volumes.items() for v in month_of_visits(month, n, station)]


def test_station_volume_balloons_against_its_own_months():
    normal = {m: 60 for m in range(1, 7)}
    # The season is read from the whole city, so the city needs more than one station.
    city = [v for s in range(2, 22) for v in year({m: 40 for m in range(1, 7)}, s)]
    (alert,) = station_volume(VisitTable.from_visits(city + year(normal | {4: 130})), P)
    assert alert.subject_id == "1@2024-04" and 60 <= alert.evidence["expected"] <= 66
    assert station_volume(VisitTable.from_visits(city + year(normal | {4: 100})), P) == []


def test_a_big_station_is_not_an_outlier_and_a_citywide_dip_is_seasonal():
    small, big = year({m: 40 for m in range(1, 7)}, 1), year({m: 200 for m in range(1, 7)}, 2)
    assert station_volume(VisitTable.from_visits(small + big), P) == []
    # Every other station halves in February, so station 1's busy February stands out.
    dip = {m: (20 if m == 2 else 40) for m in range(1, 7)}
    others = [year(dip, s) for s in range(3, 8)]
    flat = year({m: (50 if m == 2 else 40) for m in range(1, 7)}, 1)
    alerts = station_volume(VisitTable.from_visits(flat + [v for o in others for v in o]), P)
    assert [a.subject_id for a in alerts] == ["1@2024-02"]
