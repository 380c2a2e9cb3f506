"""GET /api/v1/dashboard: the admin dashboard's numbers, scoped like the page."""

from __future__ import annotations

from tests.functional.api.conftest import ApiWorld


def test_city_admin_sees_the_city_and_one_district(api: ApiWorld) -> None:
    city = api.call("GET", "/dashboard", "city")
    assert city.status_code == 200, city.text
    body = city.json()
    assert body["district_code"] is None
    assert body["elders"] >= 2 and body["volunteers"] >= 1
    one = api.call("GET", "/dashboard?district_code=110101", "city").json()
    assert one["district_code"] == "110101"
    assert one["elders"] < body["elders"]


def test_district_admin_sees_only_their_district(api: ApiWorld) -> None:
    own = api.call("GET", "/dashboard", "district")
    assert own.status_code == 200, own.text
    assert own.json()["district_code"] == "110101"
    other = api.call("GET", "/dashboard?district_code=110105", "district")
    assert other.status_code == 404
    assert other.json()["field"] == "district_code"


def test_people_and_stations_are_refused(api: ApiWorld) -> None:
    for who in ("volunteer", "elder", "station"):
        r = api.call("GET", "/dashboard", who)
        assert r.status_code == 403 and r.json()["rule"] == "api_role"


def test_bad_district_code_is_a_422_naming_the_field(api: ApiWorld) -> None:
    r = api.call("GET", "/dashboard?district_code=abc", "city")
    assert r.status_code == 422
    assert "district_code" in r.text
