from __future__ import annotations

from datetime import timedelta

import numpy as np

from timebank.supervision.detection.facts import Account, Rule
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.schedule import (
    daily_cap,
    impossible_travel,
    new_account_fast,
    overlap,
)
from timebank.supervision.detection.tables import AccountTable, VisitTable

from .factories import local, visit

P = DetectorParams()


def table(*visits):
    return VisitTable.from_visits(list(visits))


def test_overlap_flags_the_later_visit():
    first = visit(local(5, 9), 120, elder=2)
    second = visit(local(5, 10), 60, elder=3)
    (alert,) = overlap(table(first, second), P)
    assert alert.rule is Rule.OVERLAP
    assert alert.subject_id == str(second.id)
    assert alert.evidence["other_visit_id"] == first.id
    assert alert.evidence["overlap_minutes"] == 60


def test_back_to_back_and_clock_slack_are_not_overlap():
    a = visit(local(5, 9), 60)
    b = visit(local(5, 10), 60)  # starts as a ends
    c = visit(local(5, 10, 57), 60)  # 3 minutes before b ends: within the 5-minute slack
    assert overlap(table(a, b, c), P) == []


def test_other_volunteers_do_not_overlap_each_other():
    assert (
        overlap(
            table(visit(local(5, 9), 120, volunteer=1), visit(local(5, 10), 60, volunteer=9)), P
        )
        == []
    )


def test_a_long_visit_covering_two_later_ones_flags_both():
    long = visit(local(5, 8), 300)
    inner = [visit(local(5, 9), 30), visit(local(5, 11), 30)]
    alerts = overlap(table(long, *inner), P)
    assert {a.subject_id for a in alerts} == {str(v.id) for v in inner}


def test_impossible_travel():
    here = visit(local(5, 9), 60, at=(39.90, 116.40))
    there = visit(local(5, 10, 10), 60, at=(40.10, 116.40))  # 22 km in 10 minutes
    (alert,) = impossible_travel(table(here, there), P)
    assert alert.subject_id == str(there.id)
    assert alert.evidence["previous_visit_id"] == here.id and alert.evidence["kmh"] > 100


def test_travel_with_time_enough_or_close_by_is_fine():
    here = visit(local(5, 9), 60, at=(39.90, 116.40))
    later = visit(local(5, 11), 60, at=(40.10, 116.40))  # 22 km in an hour: 22 km/h
    near = visit(local(5, 12), 30, at=(40.11, 116.40))  # 1.1 km right after: too short to judge
    assert impossible_travel(table(here, later, near), P) == []


def test_daily_cap_counts_credit_per_local_day():
    # 23:30 on the 4th local time is still the 4th; 00:30 belongs to the 5th.
    late_4th = visit(local(4, 23, 30), 30, credited_minutes=30)
    day_5th = [visit(local(5, h), 150, credited_minutes=150) for h in (0, 8, 13)]
    assert daily_cap(table(late_4th, *day_5th), P) == []  # exactly 450 on the 5th
    over = visit(local(5, 19), 60, credited_minutes=60)
    (alert,) = daily_cap(table(late_4th, *day_5th, over), P)
    assert alert.subject_id == "1@2024-03-05"
    assert alert.evidence["credited_minutes"] == 510
    assert len(alert.evidence["visit_ids"]) == 4


def test_daily_cap_at_exactly_the_cap_is_allowed():
    visits = [visit(local(5, h), 120, credited_minutes=120) for h in (8, 10, 13, 15)]
    assert daily_cap(table(*visits), P) == []


def _accounts(created):
    return AccountTable.from_accounts([Account(1, created)])


def test_new_account_earning_fast():
    created = local(1, 9)
    busy = [
        visit(created + timedelta(days=d, hours=1), 120, credited_minutes=120) for d in range(26)
    ]
    (alert,) = new_account_fast(table(*busy), P, _accounts(created))
    assert alert.subject_id == "1" and alert.evidence["credited_minutes"] == 26 * 120


def test_new_account_pace_of_a_keen_honest_volunteer_is_fine():
    created = local(1, 9)
    keen = [visit(created + timedelta(days=d, hours=1), 90, credited_minutes=90) for d in range(30)]
    assert new_account_fast(table(*keen), P, _accounts(created)) == []
    # The same earnings by an old account are no signal at all.
    old = AccountTable.from_accounts([Account(1, created - timedelta(days=400))])
    busy = [
        visit(created + timedelta(days=d, hours=1), 120, credited_minutes=120) for d in range(26)
    ]
    assert new_account_fast(table(*busy), P, old) == []
    assert (
        new_account_fast(
            table(*busy), P, AccountTable.build(np.zeros(0, np.int64), np.zeros(0, np.int64))
        )
        == []
    )
