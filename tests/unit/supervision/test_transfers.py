from __future__ import annotations

from datetime import timedelta

from timebank.supervision.detection.facts import Donation, Redemption, Rule
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.transfers import fan_in, frequency, gift_then_redeem
from timebank.supervision.detection.tables import DONATION, GIFT, TransferTable

from .factories import gift, local

P = DetectorParams()


def gifts_every(hours: float, n: int, giver: int = 1):
    return [gift(giver, 100 + i, local(1, 9) + timedelta(hours=hours * i)) for i in range(n)]


def test_gift_count_over_the_long_window():
    eight = TransferTable.from_events(gifts_every(24 * 7, 8))  # weekly for eight weeks
    (alert,) = frequency(eight, P, GIFT, velocity=False)
    assert alert.rule is Rule.GIFT_COUNT and alert.subject_id == "1"
    assert alert.evidence["count"] == 8 and len(alert.evidence["ids"]) == 8
    assert frequency(TransferTable.from_events(gifts_every(24 * 7, 7)), P, GIFT, False) == []
    # eight gifts, but a fortnight apart: never eight within 90 days
    assert frequency(TransferTable.from_events(gifts_every(24 * 14, 8)), P, GIFT, False) == []


def test_gift_velocity():
    burst = TransferTable.from_events(gifts_every(2, 4))
    assert [a.rule for a in frequency(burst, P, GIFT, velocity=True)] == [Rule.GIFT_VELOCITY]
    assert frequency(TransferTable.from_events(gifts_every(9, 4)), P, GIFT, velocity=True) == []


def test_donations_count_and_velocity():
    def donations(hours: float, n: int):
        return [Donation(i + 1, 4, 60, local(1, 9) + timedelta(hours=hours * i)) for i in range(n)]

    assert frequency(TransferTable.from_events(donations=donations(24 * 10, 6)), P, DONATION, False)
    assert not frequency(
        TransferTable.from_events(donations=donations(24 * 10, 5)), P, DONATION, False
    )
    assert frequency(TransferTable.from_events(donations=donations(3, 3)), P, DONATION, True)
    assert not frequency(TransferTable.from_events(donations=donations(13, 3)), P, DONATION, True)


def test_fan_in_to_one_recipient():
    start = local(1, 9)
    six = [gift(10 + i, 99, start + timedelta(days=4 * i)) for i in range(6)]
    (alert,) = fan_in(TransferTable.from_events(six), P)
    assert alert.subject_id == "99" and len(alert.evidence["givers"]) == 6
    assert fan_in(TransferTable.from_events(six[:5]), P) == []  # five children at New Year
    spread = [gift(10 + i, 99, start + timedelta(days=10 * i)) for i in range(6)]
    assert fan_in(TransferTable.from_events(spread), P) == []
    same_giver = [gift(10, 99, start + timedelta(days=i)) for i in range(8)]
    assert fan_in(TransferTable.from_events(same_giver), P) == []


def test_gift_soon_redeemed():
    g = gift(1, 2, local(3, 10), minutes=600)
    drained = [Redemption(1, 2, 240, local(3, 15)), Redemption(2, 2, 120, local(4, 9))]
    (alert,) = gift_then_redeem(TransferTable.from_events([g], redemptions=drained), P)
    assert alert.subject_id == str(g.id) and alert.evidence["redeemed_minutes"] == 360
    assert set(alert.people) == {1, 2}


def test_gift_spent_slowly_or_by_someone_else_is_fine():
    g = gift(1, 2, local(3, 10), minutes=600)
    slow = [Redemption(1, 2, 120, local(3, 15)), Redemption(2, 2, 480, local(6, 9))]
    other = [Redemption(3, 5, 600, local(3, 12))]
    before = [Redemption(4, 2, 600, local(3, 9))]
    table = TransferTable.from_events([g], redemptions=slow + other + before)
    assert gift_then_redeem(table, P) == []
