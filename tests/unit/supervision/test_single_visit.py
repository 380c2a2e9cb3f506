from __future__ import annotations

from datetime import timedelta

import pytest

from timebank.supervision.detection.facts import Rule
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.single_visit import (
    duration_baseline,
    duration_outlier,
    far_checkin,
    late_night,
    same_device,
)
from timebank.supervision.detection.tables import VisitTable

from .factories import HOME, local, visit

P = DetectorParams()


def _late(v):
    return late_night(VisitTable.from_visits([v]), P)


@pytest.mark.parametrize(
    ("hour", "minute", "minutes", "late"),
    [
        (21, 0, 59, False),  # ends 21:59
        (21, 0, 60, False),  # ends exactly at 22:00: no minute inside the night
        (21, 59, 1, False),  # 21:59–22:00
        (21, 59, 2, True),  # runs one minute past 22:00
        (22, 0, 30, True),
        (0, 0, 30, True),  # midnight
        (5, 59, 30, True),  # starts one minute before dawn
        (6, 0, 30, False),
        (12, 0, 120, False),
    ],
)
def test_late_night_boundaries_in_local_time(hour, minute, minutes, late):
    v = visit(local(5, hour, minute), minutes)
    assert bool(_late(v)) is late


def test_late_night_alert_names_visit_and_volunteer():
    (alert,) = _late(visit(local(5, 23), 60, volunteer=7))
    assert alert.rule is Rule.LATE_NIGHT
    assert alert.subject_kind == "visit" and alert.people == (7,)
    assert alert.evidence["night_minutes"] == 60
    assert alert.dedup_key == f"late_night:visit:{alert.subject_id}"


def test_late_night_grace_and_custom_hours():
    v = visit(local(5, 21, 30), 40)  # 10 minutes inside the night
    assert late_night(VisitTable.from_visits([v]), DetectorParams(night_grace_minutes=10)) == []
    assert late_night(VisitTable.from_visits([v]), DetectorParams(night_start_hour=23)) == []


def test_far_checkin():
    near = visit(local(5, 9), checkin_lat=HOME[0] + 0.004)  # ~450 m
    far = visit(local(5, 11), checkin_lat=HOME[0] + 0.03)  # ~3.3 km
    offline = visit(local(5, 13), checkin_lat=None, checkin_lon=None, source="offline")
    alerts = far_checkin(VisitTable.from_visits([near, far, offline]), P)
    assert [a.subject_id for a in alerts] == [str(far.id)]
    assert 3000 < alerts[0].evidence["distance_m"] < 3600


def test_same_device_on_both_sides():
    honest = visit(local(5, 9))
    own_phone = visit(local(5, 11), confirm_device="phone-1")
    alerts = same_device(VisitTable.from_visits([honest, own_phone]), P)
    assert [a.subject_id for a in alerts] == [str(own_phone.id)]
    assert alerts[0].people == (1, 2)


def test_same_device_catches_a_second_phone_seen_at_checkin():
    other_phone = visit(local(5, 9), checkin_device="phone-1b")
    confirmed_with_it = visit(local(6, 9), confirm_device="phone-1b")
    assert len(same_device(VisitTable.from_visits([other_phone, confirmed_with_it]), P)) == 1
    assert same_device(VisitTable.from_visits([visit(local(5, 9), confirm_device=None)]), P) == []


def _usual(n: int = 60):
    # 80–100 minutes: a tight honest category
    return [
        visit(local(1 + i % 28, 9) + timedelta(days=28 * (i // 28)), 80 + i % 21) for i in range(n)
    ]


def test_duration_outlier_flags_only_the_inflated_visit():
    usual = _usual()
    inflated = visit(local(10, 8), 600)
    alerts = duration_outlier(VisitTable.from_visits([*usual, inflated]), P)
    assert [a.subject_id for a in alerts] == [str(inflated.id)]
    assert alerts[0].evidence["typical_minutes"] in range(85, 96)


def test_duration_outlier_needs_a_baseline():
    few = [visit(local(1, 9), 60), visit(local(2, 9), 600)]
    assert duration_outlier(VisitTable.from_visits(few), P) == []
    baseline = duration_baseline(VisitTable.from_visits(_usual()), P)
    assert duration_outlier(VisitTable.from_visits(few), P, baseline=baseline)
