"""The nearby list's SQL prefilter: the bounding box never drops a need within the radius."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from timebank.care.assign import bounding_box
from timebank.geodesy import haversine_m


@given(
    lat=st.floats(-70, 70),
    lon=st.floats(-179, 179),
    radius=st.integers(100, 50_000),
    dlat=st.floats(-1, 1),
    dlon=st.floats(-2, 2),
)
def test_every_point_within_the_radius_is_inside_the_box(
    lat: float, lon: float, radius: int, dlat: float, dlon: float
) -> None:
    south, north, west, east = bounding_box(lat, lon, radius)
    p_lat, p_lon = lat + dlat * radius / 111_000, lon + dlon * radius / 111_000
    if haversine_m(lat, lon, p_lat, p_lon) <= radius:
        assert south <= p_lat <= north and west <= p_lon <= east


def test_the_box_is_not_much_larger_than_the_circle() -> None:
    south, north, west, east = bounding_box(39.9, 116.4, 5_000)
    assert haversine_m(south, 116.4, north, 116.4) < 2 * 5_000 * 1.02
    assert haversine_m(39.9, west, 39.9, east) < 2 * 5_000 * 1.05
