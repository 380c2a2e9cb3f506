from __future__ import annotations

from datetime import timedelta

from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.rules.graph import rings, two_way_pair
from timebank.supervision.detection.tables import VisitTable

from .factories import local, visit

P = DetectorParams()


def services(server: int, served: int, n: int, every_days: int = 3, first_day: int = 1):
    start = local(first_day, 9)
    return [
        visit(
            start + timedelta(days=i * every_days, hours=server % 5),
            60,
            volunteer=server,
            elder=served,
        )
        for i in range(n)
    ]


def test_two_way_pair_at_five_each_way():
    found = two_way_pair(VisitTable.from_visits(services(3, 8, 5) + services(8, 3, 5)), P)
    assert [a.subject_id for a in found] == ["3-8"]
    assert found[0].people == (3, 8)
    assert found[0].evidence["a_served_b"] == 5 and found[0].evidence["b_served_a"] == 5


def test_four_each_way_or_one_way_only_is_not_a_pair():
    assert two_way_pair(VisitTable.from_visits(services(3, 8, 4) + services(8, 3, 9)), P) == []
    assert two_way_pair(VisitTable.from_visits(services(3, 8, 30)), P) == []


def test_pair_must_fall_within_one_window():
    # five each way, but every visit two weeks apart: never five of each within 60 days
    spread = services(3, 8, 5, every_days=14) + services(8, 3, 5, every_days=14, first_day=8)
    assert two_way_pair(VisitTable.from_visits(spread), P) == []
    assert two_way_pair(VisitTable.from_visits(spread), DetectorParams(pair_window_days=90))


def test_ring_of_three():
    ring = services(5, 9, 5) + services(9, 12, 5) + services(12, 5, 5)
    noise = services(1, 2, 30) + services(2, 3, 30)
    (alert,) = rings(VisitTable.from_visits(ring + noise), P)
    assert alert.subject_id == "5-9-12" and alert.people == (5, 9, 12)
    assert alert.evidence["services_per_edge"] == [5, 5, 5]


def test_ring_of_four_is_found_and_named_from_its_smallest_member():
    ring = services(20, 7, 6) + services(7, 30, 6) + services(30, 11, 6) + services(11, 20, 6)
    assert [a.subject_id for a in rings(VisitTable.from_visits(ring), P)] == ["7-30-11-20"]


def test_chain_weak_edge_or_long_ring_is_not_a_ring():
    chain = services(5, 9, 9) + services(9, 12, 9)
    weak = chain + services(12, 5, 4)
    assert rings(VisitTable.from_visits(chain), P) == []
    assert rings(VisitTable.from_visits(weak), P) == []
    five = [v for a, b in ((1, 2), (2, 3), (3, 4), (4, 5), (5, 1)) for v in services(a, b, 6)]
    assert rings(VisitTable.from_visits(five), P) == []
    assert rings(VisitTable.from_visits(five), DetectorParams(ring_max_length=5))


def test_ring_edges_must_share_a_window():
    early = services(5, 9, 5) + services(9, 12, 5)
    late = services(12, 5, 5, first_day=1)
    late = [visit(v.start + timedelta(days=200), 60, volunteer=12, elder=5) for v in late]
    assert rings(VisitTable.from_visits(early + late), P) == []
