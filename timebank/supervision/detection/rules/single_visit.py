"""Rules judged on one visit at a time: late night, far check-in, same device, duration."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from timebank.geodesy import haversine_m
from timebank.supervision.detection.epoch import night_seconds
from timebank.supervision.detection.facts import Alert, Rule, make_alert, severity
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.common import flagged, split_by, visit_evidence
from timebank.supervision.detection.tables import NO_DEVICE, VisitTable

# category name → (median of ln minutes, robust sigma of ln minutes)
DurationBaseline = Mapping[str, tuple[float, float]]


def late_night(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """A visit that spends more than the grace inside the local night window."""
    night = night_seconds(t.start, t.end, p.night_start_hour, p.night_end_hour)
    rows = flagged(night > p.night_grace_minutes * 60, focus)
    out = []
    for r in rows:
        length = max(int(t.end[r] - t.start[r]), 1)
        evidence = visit_evidence(t, r) | {"night_minutes": int(night[r]) // 60}
        score = min(1.0, 0.5 + 0.5 * int(night[r]) / length)
        vid = str(int(t.id[r]))
        out.append(make_alert(Rule.LATE_NIGHT, "visit", vid, score, evidence, [t.volunteer[r]]))
    return out


def far_checkin(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """Checked in further from the elder's address than GPS error explains."""
    km = haversine_m(t.checkin_lat, t.checkin_lon, t.elder_lat, t.elder_lon) / 1000.0
    limit = p.far_checkin_metres / 1000
    with np.errstate(invalid="ignore"):
        rows = flagged(km > limit, focus)
    out = []
    for r in rows:
        evidence = visit_evidence(t, r) | {"distance_m": round(float(km[r]) * 1000)}
        score = severity(float(km[r]), limit)
        vid = str(int(t.id[r]))
        out.append(make_alert(Rule.FAR_CHECKIN, "visit", vid, score, evidence, [t.volunteer[r]]))
    return out


def same_device(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """The elder's confirmation came from a device the volunteer checks in with.

    Catches both the same phone on both sides of this visit and a phone the volunteer used on
    another visit in the table, so a volunteer with two phones is caught too.
    """
    has = t.confirm_device != NO_DEVICE
    mine = (t.volunteer << 32) | (t.checkin_device & 0xFFFFFFFF)
    theirs = (t.volunteer << 32) | (t.confirm_device & 0xFFFFFFFF)
    known = np.unique(mine[t.checkin_device != NO_DEVICE])
    hit = has & ((t.confirm_device == t.checkin_device) | np.isin(theirs, known))
    out = []
    for r in flagged(hit, focus):
        evidence = visit_evidence(t, r) | {
            "same_visit": bool(t.confirm_device[r] == t.checkin_device[r])
        }
        people = [t.volunteer[r], t.elder[r]]
        out.append(make_alert(Rule.SAME_DEVICE, "visit", str(int(t.id[r])), 1.0, evidence, people))
    return out


def duration_baseline(t: VisitTable, p: DetectorParams) -> dict[str, tuple[float, float]]:
    """Robust centre and spread of ln(duration) per category with enough samples."""
    minutes = (t.end - t.start) / 60
    ok = minutes > 0
    out: dict[str, tuple[float, float]] = {}
    if not ok.any():
        return out
    logs = np.log(np.where(ok, minutes, 1.0))
    order = np.argsort(t.category, kind="stable")
    cats, chunks = split_by(t.category[order], order)
    for cat, chunk in zip(cats, chunks, strict=True):
        values = logs[chunk[ok[chunk]]]
        if len(values) < max(p.duration_min_samples, 1):
            continue
        median = float(np.median(values))
        sigma = 1.4826 * float(np.median(np.abs(values - median)))
        if sigma > 0:
            out[t.categories[int(cat)]] = (median, sigma)
    return out


def duration_outlier(
    t: VisitTable,
    p: DetectorParams,
    focus: int | None = None,
    baseline: DurationBaseline | None = None,
) -> list[Alert]:
    """A visit far longer than is usual for its category (upper tail only: inflated time)."""
    base = duration_baseline(t, p) if baseline is None else baseline
    centre = np.array([base.get(c, (np.nan, np.nan))[0] for c in t.categories] or [np.nan])
    spread = np.array([base.get(c, (np.nan, np.nan))[1] for c in t.categories] or [np.nan])
    minutes = np.maximum((t.end - t.start) / 60, 1 / 60)
    z = (np.log(minutes) - centre[t.category]) / spread[t.category]
    with np.errstate(invalid="ignore"):
        rows = flagged(z > p.duration_z, focus)
    out = []
    for r in rows:
        typical = float(np.exp(centre[t.category[r]]))
        evidence = visit_evidence(t, r) | {
            "category": t.categories[int(t.category[r])],
            "minutes": round(float(minutes[r])),
            "typical_minutes": round(typical),
            "z": round(float(z[r]), 2),
        }
        score = severity(float(z[r]), p.duration_z)
        vid = str(int(t.id[r]))
        alert = make_alert(Rule.DURATION_OUTLIER, "visit", vid, score, evidence, [t.volunteer[r]])
        out.append(alert)
    return out
