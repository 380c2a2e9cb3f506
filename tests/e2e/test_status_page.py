"""The status page in a real browser: it renders, and axe finds nothing serious."""

from __future__ import annotations

from tests.e2e.conftest import assert_accessible, shot


def test_status_page(server: str, page: object) -> None:
    page.goto(server + "/")  # type: ignore[attr-defined]
    assert "时间银行" in page.title()  # type: ignore[attr-defined]
    assert_accessible(page)
    shot(page, "status")
