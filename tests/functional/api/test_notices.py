"""Notices over HTTP: the inbox (own, and a proxy's view of the elder's), marking read, the
given-up list for the city admin only; the inbox page, also for a proxy."""

from __future__ import annotations

from tests.functional.api.conftest import ApiWorld
from timebank.notices.models import Notice
from timebank.notices.notify import Draft, notify


def _notify(api: ApiWorld, person: str, key: str, *, phone: str | None = None) -> int:
    with api.session() as s:
        nid = notify(
            s,
            draft=Draft(
                key=key,
                kind="case_warning",
                text_zh="【时间银行】测试通知",
                text_en="[Time Bank] test notice",
                person_id=api.ids[person],
                phone=phone,
            ),
            at=api.clock.now(),
        )
        s.commit()
    assert nid is not None
    return nid


def test_the_inbox_lists_ones_notices_and_marks_them_read(api: ApiWorld) -> None:
    nid = _notify(api, "volunteer", "t1")
    got = api.call("GET", "/inbox", "volunteer")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["unread"] == 1 and [n["id"] for n in body["notices"]] == [nid]
    assert api.call("GET", "/inbox", "elder").json()["notices"] == []  # not someone else's
    assert api.call("POST", f"/inbox/{nid}/read", "elder").status_code == 404
    read = api.call("POST", f"/inbox/{nid}/read", "volunteer")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert api.call("GET", "/inbox", "volunteer").json()["unread"] == 0


def test_a_proxy_sees_the_elders_inbox(api: ApiWorld) -> None:
    nid = _notify(api, "elder", "t2")  # the elder has no SMS: the inbox is the delivery
    mine = api.call("GET", "/inbox", "proxy", **{"X-Act-For": str(api.ids["elder"])})
    assert mine.status_code == 200, mine.text
    assert [n["id"] for n in mine.json()["notices"]] == [nid]


def test_given_up_notices_are_for_the_city_admin(api: ApiWorld) -> None:
    nid = _notify(api, "volunteer", "t3", phone="13800138000")
    with api.session() as s:
        row = s.get(Notice, nid)
        assert row is not None
        row.status, row.attempts, row.last_error = "given_up", 5, "sms: HTTP 500"
        s.commit()
    listed = api.call("GET", "/notices/given-up", "city")
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["id"] == nid and entry["last_error"] == "sms: HTTP 500"
    assert "13800138000" not in listed.text  # masked
    for who in ("district", "station", "volunteer", "auditor"):
        assert api.call("GET", "/notices/given-up", who).status_code == 403, who
