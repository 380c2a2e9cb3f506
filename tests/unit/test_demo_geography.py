from __future__ import annotations

from timebank.demo import geography


def test_the_sixteen_districts_of_beijing() -> None:
    codes = [d.code for d in geography.DISTRICTS]
    assert len(codes) == len(set(codes)) == 16
    assert all(c.startswith("1101") and len(c) == 6 for c in codes)
    dongcheng = geography.district("110101")
    assert dongcheng is not None
    assert (dongcheng.name_zh, dongcheng.name_en) == ("东城区", "Dongcheng")
    assert (dongcheng.lat, dongcheng.lon) == (39.93, 116.42)
    assert geography.district("110103") is None  # 崇文, merged into 东城 in 2010


def test_every_district_has_four_to_ten_named_streets() -> None:
    for d in geography.DISTRICTS:
        streets = geography.STREETS[d.code]
        assert 4 <= len(streets) <= 10, d.code
        assert len({s.name_zh for s in streets}) == len(streets)
        for s in streets:
            assert s.code.startswith(d.code) and len(s.code) == 9
            assert s.name_zh.endswith(("街道", "镇", "乡"))


def test_street_codes_are_unique_and_found() -> None:
    all_streets = [s for streets in geography.STREETS.values() for s in streets]
    assert len({s.code for s in all_streets}) == len(all_streets)
    assert geography.street("110101001") is not None
    assert geography.street("110101999") is None


def test_streets_lie_near_their_centre_and_inside_the_city() -> None:
    for d in geography.DISTRICTS:
        assert geography.in_city(d.lat, d.lon)
        for s in geography.STREETS[d.code]:
            assert geography.in_city(s.lat, s.lon)
            assert abs(s.lat - d.lat) <= d.radius + 1e-9
            assert abs(s.lon - d.lon) <= d.radius + 1e-9


def test_points_elsewhere_are_outside_the_city() -> None:
    assert not geography.in_city(31.23, 121.47)  # Shanghai
    assert not geography.in_city(39.13, 117.20)  # Tianjin
