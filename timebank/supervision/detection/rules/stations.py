"""Station-level anomalies per local calendar month (scan only: they need every record)."""

from __future__ import annotations

import numpy as np

from timebank.supervision.detection.epoch import local_month, local_month_label
from timebank.supervision.detection.facts import Alert, Rule, make_alert, severity
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.tables import VisitTable


def _station_months(t: VisitTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(station, month, records, offline records) per station-month present in the table."""
    month = local_month(t.start)
    base = int(month.min())
    keys, inverse = np.unique((t.station << 24) + (month - base), return_inverse=True)
    records = np.bincount(inverse, minlength=len(keys))
    offline = np.bincount(inverse, weights=t.offline, minlength=len(keys)).astype(np.int64)
    return keys >> 24, (keys & 0xFFFFFF) + base, records, offline


def offline_share(t: VisitTable, p: DetectorParams) -> list[Alert]:
    """A station-month where paper records (no GPS, no devices) dominate.

    Station alerts name no person: who entered the records is found when the case is opened.
    """
    if len(t) == 0:
        return []
    station, month, records, offline = _station_months(t)
    share = offline / np.maximum(records, 1)
    out = []
    for g in np.flatnonzero((records >= p.station_min_records) & (share > p.offline_share_max)):
        label = local_month_label(int(month[g]))
        evidence = {
            "station_id": int(station[g]),
            "month": label,
            "records": int(records[g]),
            "offline": int(offline[g]),
            "share": round(float(share[g]), 3),
        }
        score = severity(float(share[g]), p.offline_share_max)
        subject = f"{int(station[g])}@{label}"
        out.append(make_alert(Rule.OFFLINE_SHARE, "station_month", subject, score, evidence, []))
    return out


def station_volume(t: VisitTable, p: DetectorParams) -> list[Alert]:
    """A station-month far above the station's own typical month, allowing for the season.

    Compared with the station's median month rather than with other stations, because stations
    differ in size by an order of magnitude while one station is stable from month to month;
    the city-wide month total (robust to a few bad stations) carries the season, so the Spring
    Festival dip neither hides a ballooned February nor flags the months around it.
    """
    if len(t) == 0:
        return []
    station, month, records, _ = _station_months(t)
    _, which = np.unique(month, return_inverse=True)
    city_month = np.bincount(which, weights=records)
    season = city_month / np.median(city_month)
    first = np.flatnonzero(np.r_[True, station[1:] != station[:-1]])
    out = []
    for chunk in np.split(np.arange(len(station)), first[1:]):
        if len(chunk) < p.volume_min_months:
            continue
        typical = float(np.median(records[chunk] / season[which[chunk]]))
        expected = typical * season[which[chunk]]
        for g in chunk[records[chunk] > p.volume_factor * expected]:
            if records[g] < p.station_min_records:
                continue
            label = local_month_label(int(month[g]))
            ratio = float(records[g]) / max(typical * float(season[which[g]]), 1.0)
            evidence = {
                "station_id": int(station[g]),
                "month": label,
                "records": int(records[g]),
                "expected": round(typical * float(season[which[g]])),
                "ratio": round(ratio, 2),
            }
            score = severity(ratio, p.volume_factor)
            subject = f"{int(station[g])}@{label}"
            rule = Rule.STATION_VOLUME
            out.append(make_alert(rule, "station_month", subject, score, evidence, []))
    return out
