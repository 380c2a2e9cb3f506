"""A family proxy with several grants chooses whom to act for (POSTed, never in a URL), and
every page says "X for Y"; the check-in form sends the phone's position when it has one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.functional.web.conftest import csrf_of
from tests.functional.web.world import assigned_visit, local
from timebank.actors import Actor, Role
from timebank.auth.models import ProxyGrant
from timebank.care import codes
from timebank.care.models import Visit
from timebank.people.proxies import grant_proxy, revoke_proxy


def _grant_other_elder(api: Any) -> None:
    """The 朝阳 elder also makes the proxy their proxy (a second grant)."""
    elder = api.ids["elder_other"]
    with api.session() as s:
        grant_proxy(
            s,
            actor=Actor(role=Role.ELDER, person_id=elder),
            principal_id=elder,
            proxy_phone=api.phones["proxy"],
            at=api.clock.now(),
        )
        s.commit()


def test_a_proxy_with_one_grant_acts_for_that_elder(web: Any) -> None:
    b = web().sign_in("proxy")
    for path in ("/e", "/e/code", "/e/need", "/e/gifts"):
        page = b.get(path)
        assert page.status_code == 200, path
        assert "proxy 正在为 李奶奶 代办" in page.text, path  # "X for Y" on every page


def test_a_proxy_with_several_grants_chooses_whom_to_act_for(web: Any, api: Any) -> None:
    _grant_other_elder(api)
    b = web().sign_in("proxy")
    first = b.get("/e")
    assert first.status_code == 303 and first.headers["location"] == "/whom"
    page = b.get("/whom")
    assert page.status_code == 200
    assert "李奶奶" in page.text and "李奶奶_other" in page.text
    token = csrf_of(page.text)
    stranger = api.ids["volunteer"]  # no grant from this person
    refused = b.post("/whom", {"person_id": str(stranger), "csrf_token": token})
    assert refused.status_code == 422 and 'id="e-person_id"' in refused.text
    assert b.post("/whom", {"person_id": str(api.ids["elder_other"])}).status_code == 403
    chosen = b.post("/whom", {"person_id": str(api.ids["elder_other"]), "csrf_token": token})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/e"
    assert str(api.ids["elder_other"]) not in chosen.headers["location"]
    home = b.get("/e")
    assert home.status_code == 200 and "proxy 正在为 李奶奶_other 代办" in home.text
    assert 'href="/whom"' in home.text  # switch to the other elder from any page
    b.post("/whom", {"person_id": str(api.ids["elder"]), "csrf_token": token})
    assert "proxy 正在为 李奶奶 代办" in b.get("/e/code").text

    with api.session() as s:  # the chosen elder withdraws the grant: choose again
        grant = s.execute(
            select(ProxyGrant).where(ProxyGrant.principal_id == api.ids["elder"])
        ).scalar_one()
        revoke_proxy(
            s,
            actor=Actor(role=Role.ELDER, person_id=api.ids["elder"]),
            grant_id=grant.id,
            at=api.clock.now(),
        )
        s.commit()
    again = b.get("/e")
    assert again.status_code == 303 and again.headers["location"] == "/whom"


def test_only_personal_accounts_choose_whom_to_act_for(web: Any) -> None:
    assert web().sign_in("station").get("/whom").status_code == 403
    page = web().sign_in("volunteer").get("/whom")
    assert page.status_code == 200 and "您还没有得到代办授权" in page.text


def _code(api: Any) -> str:
    with api.session() as s:
        code = codes.current_code(s, elder_id=api.ids["elder"], at=api.clock.now())
        s.commit()
    return code


def test_check_in_sends_the_position_when_the_phone_gives_it(web: Any, api: Any) -> None:
    visit_id = assigned_visit(api, local(api, 1, 10))
    api.clock.set(local(api, 1, 10))
    vol = web().sign_in("volunteer")
    page = vol.get(f"/v/visits/{visit_id}")
    assert "data-geo" in page.text and 'name="lat"' in page.text and 'name="lon"' in page.text
    token = csrf_of(page.text)
    for lat, lon in (("abc", "116.41"), ("39.93", ""), ("91", "116.41"), ("nan", "nan")):
        r = vol.post(
            f"/v/visits/{visit_id}/check-in",
            {"code": _code(api), "lat": lat, "lon": lon, "csrf_token": token},
        )
        assert 400 <= r.status_code < 500, (lat, lon)
        assert "error-box" in r.text
    with api.session() as s:
        assert s.get(Visit, visit_id).status == "scheduled"
    r = vol.post(
        f"/v/visits/{visit_id}/check-in",
        {"code": _code(api), "lat": "39.935100", "lon": "116.410100", "csrf_token": token},
    )
    assert r.status_code == 303
    api.clock.advance(minutes=60)
    r = vol.post(f"/v/visits/{visit_id}/check-out", {"code": _code(api), "csrf_token": token})
    assert r.status_code == 303  # without a position (no permission, old phone): still works
    with api.session() as s:
        visit = s.get(Visit, visit_id)
        assert (visit.check_in_lat, visit.check_in_lon) == (39.9351, 116.4101)
        assert visit.check_out_lat is None and visit.duration_minutes == 60
