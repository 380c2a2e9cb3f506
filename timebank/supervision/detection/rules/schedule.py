"""Rules over one volunteer's timeline: overlap, impossible travel, daily cap, new accounts."""

from __future__ import annotations

import numpy as np

from timebank.geodesy import haversine_m
from timebank.supervision.detection.epoch import iso, local_day, local_day_label
from timebank.supervision.detection.facts import Alert, Rule, make_alert, severity
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.common import (
    by_volunteer_then_start,
    group_starts,
    visit_evidence,
)
from timebank.supervision.detection.tables import UNKNOWN, AccountTable, VisitTable

_GROUP_SHIFT = 34  # 2**34 s is 544 years: room for any time offset below the group bits


def overlap(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """A visit that starts before an earlier visit of the same volunteer has ended.

    One pass over visits sorted by (volunteer, start) with a running maximum of end times per
    volunteer, so a long visit that covers several later ones flags each of them.
    """
    if len(t) < 2:
        return []
    order = by_volunteer_then_start(t)
    s, e = t.start[order], t.end[order]
    group = np.cumsum(group_starts(t.volunteer[order])) - 1
    base = int(min(s.min(), e.min()))
    running = np.maximum.accumulate((group << _GROUP_SHIFT) + (e - base))
    prev_end = np.full(len(s), np.iinfo(np.int64).min // 2, np.int64)
    same = np.zeros(len(s), bool)
    same[1:] = group[1:] == group[:-1]
    prev_end[1:] = running[:-1] - (group[1:] << _GROUP_SHIFT) + base
    hit = same & (s < prev_end - p.overlap_tolerance_minutes * 60)
    out = []
    for i in np.flatnonzero(hit):
        j = i - 1
        while e[j] != prev_end[i]:
            j -= 1
        row, other = int(order[i]), int(order[j])
        if focus is not None and focus not in (row, other):
            continue
        shared = int(min(prev_end[i], e[i]) - s[i])
        shorter = max(1, int(min(e[i] - s[i], e[j] - s[j])))
        evidence = visit_evidence(t, row) | {
            "other_visit_id": int(t.id[other]),
            "overlap_minutes": shared // 60,
        }
        score = 0.5 + 0.5 * min(1.0, shared / shorter)
        vid = str(int(t.id[row]))
        out.append(make_alert(Rule.OVERLAP, "visit", vid, score, evidence, [t.volunteer[row]]))
    return out


def impossible_travel(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """Consecutive visits whose addresses are too far apart for the time between them.

    Overlapping visits are left to ``overlap``: a negative gap has no speed.
    """
    if len(t) < 2:
        return []
    order = by_volunteer_then_start(t)
    s, e = t.start[order], t.end[order]
    lat, lon = t.elder_lat[order], t.elder_lon[order]
    same = ~group_starts(t.volunteer[order])
    gap = np.zeros(len(s), np.int64)
    gap[1:] = s[1:] - e[:-1]
    km = np.zeros(len(s))
    km[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / 1000.0
    kmh = km / (np.maximum(gap, 60) / 3600)
    hit = same & (gap >= 0) & (km >= p.travel_min_km) & (kmh > p.travel_max_kmh)
    out = []
    for i in np.flatnonzero(hit):
        row, prev = int(order[i]), int(order[i - 1])
        if focus is not None and focus not in (row, prev):
            continue
        evidence = visit_evidence(t, row) | {
            "previous_visit_id": int(t.id[prev]),
            "km": round(float(km[i]), 2),
            "gap_minutes": int(gap[i]) // 60,
            "kmh": round(float(kmh[i]), 1),
        }
        score = severity(float(kmh[i]), p.travel_max_kmh)
        vid = str(int(t.id[row]))
        people = [t.volunteer[row]]
        out.append(make_alert(Rule.IMPOSSIBLE_TRAVEL, "visit", vid, score, evidence, people))
    return out


def daily_cap(t: VisitTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """Credited minutes of one volunteer on one local day above the ledger's cap."""
    if len(t) == 0:
        return []
    day = local_day(t.start)
    key = (t.volunteer << 20) + (day - day.min())
    if focus is not None:
        rows = np.flatnonzero(key == key[focus])
        key = key[rows]
    else:
        rows = np.arange(len(t))
    groups, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=t.credited[rows], minlength=len(groups))
    by_group = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[by_group], np.arange(len(groups) + 1))
    out = []
    for g in np.flatnonzero(total > p.daily_cap_minutes):
        members = rows[by_group[bounds[g] : bounds[g + 1]]]
        vol, label = (
            int(t.volunteer[members[0]]),
            local_day_label(int(local_day(t.start[members[0]]))),
        )
        evidence = {
            "volunteer_id": vol,
            "local_date": label,
            "credited_minutes": int(total[g]),
            "visit_ids": sorted(int(x) for x in t.id[members]),
        }
        score = severity(float(total[g]), p.daily_cap_minutes)
        subject = f"{vol}@{label}"
        out.append(make_alert(Rule.DAILY_CAP, "person_day", subject, score, evidence, [vol]))
    return out


def new_account_fast(
    t: VisitTable, p: DetectorParams, accounts: AccountTable, focus: int | None = None
) -> list[Alert]:
    """An account that earns more in its first days than keen honest newcomers do."""
    created = accounts.created(t.volunteer)
    horizon = p.new_account_days * 86_400
    inside = (created != UNKNOWN) & (t.start >= created) & (t.start < created + horizon)
    if focus is not None:
        inside &= t.volunteer == t.volunteer[focus]
        if not inside[focus]:
            return []
    rows = np.flatnonzero(inside)
    if len(rows) == 0:
        return []
    people, inverse = np.unique(t.volunteer[rows], return_inverse=True)
    total = np.bincount(inverse, weights=t.credited[rows], minlength=len(people))
    count = np.bincount(inverse, minlength=len(people))
    out = []
    for g in np.flatnonzero(total > p.new_account_minutes):
        vol = int(people[g])
        first = rows[inverse == g][0]
        evidence = {
            "volunteer_id": vol,
            "created_at": iso(int(created[first])),
            "days": p.new_account_days,
            "credited_minutes": int(total[g]),
            "visits": int(count[g]),
        }
        score = severity(float(total[g]), p.new_account_minutes)
        alert = make_alert(Rule.NEW_ACCOUNT_FAST, "person", str(vol), score, evidence, [vol])
        out.append(alert)
    return out
