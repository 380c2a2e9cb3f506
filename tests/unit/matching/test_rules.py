"""Each named rule on its own, then ``evaluate`` picking the first one broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.unit.matching.factories import DAY, HOUR, LAT, LON, need, volunteer
from timebank.errors import InvalidInput
from timebank.matching.models import Interval, Qualification, epoch_s
from timebank.matching.rules import (
    category_ok,
    earliest_fit,
    evaluate,
    free_segments,
    guardian_ok,
    haversine_m,
    is_feasible,
    merge,
    overlaps,
    qualification_ok,
    within_radius,
)


def test_haversine_known_distances() -> None:
    assert haversine_m(LAT, LON, LAT, LON) == 0.0
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)  # one degree of meridian
    # Tiananmen to the Temple of Heaven's north gate, about 2.9 km south-south-east.
    assert haversine_m(LAT, LON, 39.8826, 116.4066) == pytest.approx(2_999, rel=0.01)


def test_epoch_seconds_refuse_naive_times() -> None:
    at = datetime(2026, 6, 1, 9, tzinfo=timezone(timedelta(hours=8)))
    assert epoch_s(at) == epoch_s(datetime(2026, 6, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput):
        epoch_s(datetime(2026, 6, 1, 9))


def test_bad_values_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as e:
        Interval(10, 10)
    assert e.value.field == "end"
    with pytest.raises(InvalidInput):
        need(latest_start=DAY)
    with pytest.raises(InvalidInput):
        volunteer(radius_m=float("nan"))


def test_category() -> None:
    assert category_ok(need(), volunteer())
    assert not category_ok(need(category="legal_aid"), volunteer())
    assert is_feasible(need(category="legal_aid"), volunteer()) == "category"


@pytest.mark.parametrize(
    ("qualification", "ok"),
    [
        (Qualification("lawyer", True), True),
        (Qualification("lawyer", True, expires_at=DAY + 10 * HOUR), True),  # ends 10:00 exactly
        (Qualification("lawyer", True, expires_at=DAY + 10 * HOUR - 1), False),
        (Qualification("lawyer", False), False),  # unverified
        (Qualification("financial", True), False),  # wrong kind
    ],
)
def test_qualification(qualification: Qualification, ok: bool) -> None:
    n = need(category="legal_aid", qualification="lawyer")
    v = volunteer(categories=("legal_aid",), qualifications=(qualification,))
    assert qualification_ok(n, v) is ok
    assert is_feasible(n, v) == (None if ok else "qualification")
    assert qualification_ok(need(), volunteer())  # non-professional items need none


def test_minor_only_with_guardian_attending() -> None:
    minor = volunteer(guardian_id=7)
    assert not guardian_ok(need(), minor)
    assert is_feasible(need(), minor) == "minor_without_guardian"
    assert is_feasible(need(attendee_ids=frozenset({7})), minor) is None
    assert guardian_ok(need(), volunteer())  # adults need nobody


def test_radius() -> None:
    far = need(lat=LAT + 0.03)  # about 3.34 km north
    d = haversine_m(LAT, LON, far.lat, far.lon)
    assert within_radius(d, volunteer(radius_m=d))
    assert not within_radius(d, volunteer(radius_m=d - 1))
    assert is_feasible(far, volunteer(radius_m=3000)) == "radius"


def test_availability_needs_the_whole_visit_inside_free_time() -> None:
    evening = volunteer(windows=(Interval(DAY + 17 * HOUR, DAY + 21 * HOUR),))
    assert is_feasible(need(), evening) == "availability"
    short = volunteer(windows=(Interval(DAY + 9 * HOUR, DAY + 9 * HOUR + 1800),))
    assert is_feasible(need(), short) == "availability"
    touching = volunteer(
        windows=(
            Interval(DAY + 8 * HOUR, DAY + 9 * HOUR + 1800),
            Interval(DAY + 9 * HOUR + 1800, DAY + 11 * HOUR),
        )
    )
    assert is_feasible(need(), touching) is None


def test_overlap_with_booked_visits() -> None:
    busy = volunteer(booked=(Interval(DAY + 9 * HOUR + 1800, DAY + 11 * HOUR),))
    assert overlaps(Interval(DAY + 9 * HOUR, DAY + 10 * HOUR), busy.booked[0])
    assert is_feasible(need(), busy) == "overlap"
    assert not overlaps(Interval(0, 10), Interval(10, 20))  # back to back is fine
    after = volunteer(booked=(Interval(DAY + 8 * HOUR, DAY + 9 * HOUR),))
    assert is_feasible(need(), after) is None


def test_flexible_need_starts_at_the_earliest_free_moment() -> None:
    flexible = need(latest_start=DAY + 12 * HOUR)
    busy = volunteer(booked=(Interval(DAY + 8 * HOUR, DAY + 10 * HOUR + 900),))
    assert evaluate(flexible, busy).start == DAY + 10 * HOUR + 900
    assert evaluate(flexible, volunteer()).start == DAY + 9 * HOUR


def test_free_segments_and_merge() -> None:
    v = volunteer(
        windows=(Interval(20, 30), Interval(0, 10), Interval(10, 15)),
        booked=(Interval(5, 7), Interval(14, 22)),
    )
    assert merge(v.windows) == [(0, 15), (20, 30)]
    assert free_segments(v) == [(0, 5), (7, 14), (22, 30)]
    assert (
        earliest_fit(need(earliest_start=0, latest_start=30, duration_s=6), free_segments(v)) == 7
    )
    assert (
        earliest_fit(need(earliest_start=0, latest_start=30, duration_s=9), free_segments(v))
        is None
    )


def test_first_broken_rule_is_reported() -> None:
    wrong_everything = volunteer(categories=("training",), guardian_id=3, radius_m=0, windows=())
    assert is_feasible(need(lat=LAT + 1), wrong_everything) == "category"
