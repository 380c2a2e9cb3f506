"""The inbox page: an elder's notice, seen by the elder and by her proxy; the given-up list
page for the city admin only."""

from __future__ import annotations

from typing import Any

from tests.functional.api.test_notices import _notify


def test_inbox_page_for_the_elder_and_her_proxy(api: Any, web: Any) -> None:
    _notify(api, "elder", "t4")
    for who in ("elder", "proxy"):
        page = web().sign_in(who).get("/inbox")
        assert page.status_code == 200, who
        assert "测试通知" in page.text and "我的消息" in page.text
    admin = web().sign_in("city").get("/a/notices")
    assert admin.status_code == 200 and "未送达的通知" in admin.text
    assert web().sign_in("district").get("/a/notices").status_code == 403
