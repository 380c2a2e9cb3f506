"""Each role's main journey in a real browser at phone width, on the demo city: sign in, do the
main task, see the result. Every page visited is checked with axe-core; key pages are
photographed into test-artifacts/screenshots/.

The journeys run in order and share the server: the volunteer takes the demo need and checks
in and out with the elder's code; the elder confirms and publishes a new need; the proxy and
the station act for the elder and the station approves it; the admins and the auditor read
their dashboards."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.conftest import assert_accessible, shot
from timebank.demo.accounts import PASSWORD, PHONES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def sign_in(page: Any, server: str, who: str) -> None:
    page.goto(server + "/login")
    page.fill("#f-phone", PHONES[who])
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def visit(page: Any, url: str, name: str | None = None) -> None:
    page.goto(url)
    assert_accessible(page)
    if name:
        shot(page, name)


def elder_code(page: Any, server: str) -> str:
    page.goto(server + "/e/code")
    return re.sub(r"\D", "", page.inner_text(".elder-code"))


def id_number(person_id: int) -> str:
    """The demo person's resident ID, read as the station would from their card."""
    from timebank.config import get_settings
    from timebank.db import make_engine, make_session_factory
    from timebank.people.crypto import PiiVault
    from timebank.people.models import Person

    engine = make_engine(os.environ["TIMEBANK_E2E_DATABASE_URL"])
    with make_session_factory(engine)() as s:
        cipher = s.execute(select(Person.id_cipher).where(Person.id == person_id)).scalar_one()
    engine.dispose()
    return PiiVault(get_settings().secret_key.get_secret_value()).decrypt(cipher)


def person_id_of(phone_key: str) -> int:
    from timebank.auth.models import User
    from timebank.db import make_engine, make_session_factory

    engine = make_engine(os.environ["TIMEBANK_E2E_DATABASE_URL"])
    with make_session_factory(engine)() as s:
        pid = s.execute(select(User.person_id).where(User.phone == PHONES[phone_key])).scalar_one()
    engine.dispose()
    return int(pid)


def test_sign_in_refuses_a_wrong_password_in_words(server: str, page: Any) -> None:
    visit(page, server + "/", "welcome")
    visit(page, server + "/login", "sign-in")
    page.fill("#f-phone", PHONES["volunteer"])
    page.fill("#f-password", "not-the-password-1")
    page.click("main button[type=submit]")
    assert "手机号或密码不对" in page.inner_text(".error-box")
    assert_accessible(page)


def test_volunteer_takes_a_need_and_checks_in_and_out(server: str, pages: Any) -> None:
    vol, elder = pages(), pages()
    sign_in(vol, server, "volunteer")
    assert vol.url.endswith("/v")
    assert_accessible(vol)
    shot(vol, "volunteer-home")

    visit(vol, server + "/v/nearby", "volunteer-nearby")
    assert re.search("[0-9.]+ ?(米|公里)", vol.inner_text("main"))  # distances in words
    vol.locator("main form button").first.click()
    vol.wait_for_url(re.compile(r"/v/visits/\d+"))
    assert "已接单" in vol.inner_text(".notice")
    assert_accessible(vol)
    shot(vol, "volunteer-visit")

    sign_in(elder, server, "elder")
    code = elder_code(elder, server)
    assert len(code) == 6
    vol.fill("#f-code", "000000" if code != "000000" else "111111")
    vol.click("main form button[type=submit]")
    assert "签到码不对" in vol.inner_text("main")  # a wrong code is refused in words
    assert_accessible(vol)

    vol.fill("#f-code", elder_code(elder, server))
    vol.click("main form button[type=submit]")
    assert "已签到" in vol.inner_text(".notice")
    vol.fill("#f-code", elder_code(elder, server))
    vol.click("main form button[type=submit]")
    assert "已签退" in vol.inner_text(".notice")

    visit(vol, server + "/v/visits", "volunteer-history")
    assert "已签退" in vol.inner_text("main")
    visit(vol, server + "/v/statement", "volunteer-statement")
    with vol.expect_download() as download:
        vol.click("a[download]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(text)))[0] == "transfer"

    visit(vol, server + "/v/gift", "volunteer-gift")
    vol.locator("input[name=recipient_id]").first.check()
    vol.fill("#f-amount", "0.5")
    vol.click("main form button[type=submit]")
    assert "赠予成功" in vol.inner_text(".notice")
    visit(vol, server + "/v/donate")
    vol.fill("#f-amount", "0.5")
    vol.click("main form button[type=submit]")
    assert "捐赠成功" in vol.inner_text(".notice")


def test_elder_confirms_the_visit_and_publishes_a_need(server: str, page: Any) -> None:
    sign_in(page, server, "elder")
    assert page.url.endswith("/e")
    assert_accessible(page)
    shot(page, "elder-home")
    page.click("text=确认并评价这次服务")
    assert_accessible(page)
    page.check("input[name=rating][value='5']")
    page.fill("#f-comment", "小伙子很耐心")
    page.click("main form button[type=submit]")
    assert "服务已确认" in page.inner_text(".notice")

    visit(page, server + "/e/code", "elder-code")
    assert page.locator("svg.qr").count() == 1

    page.click("text=回首页")
    page.click("text=发布需求：我需要帮助")
    assert_accessible(page)
    shot(page, "elder-need-1-what")
    page.locator("input[name=item]").first.check()
    page.click("main form button[type=submit]")
    assert_accessible(page)
    shot(page, "elder-need-2-when")
    page.click("main form button[type=submit]")
    assert_accessible(page)
    shot(page, "elder-need-3-confirm")
    page.click("main form button[type=submit]")
    assert "需求已发布" in page.inner_text(".notice")
    assert "等服务站审核" in page.inner_text("main")
    visit(page, server + "/e/gifts", "elder-gifts")
    assert "小时" in page.inner_text("main")


def test_proxy_acts_for_the_elder(server: str, page: Any) -> None:
    sign_in(page, server, "proxy")
    assert "代办" in page.inner_text(".acting")
    assert_accessible(page)
    shot(page, "proxy-home")
    visit(page, server + "/e/code")
    assert len(re.sub(r"\D", "", page.inner_text(".elder-code"))) == 6
    visit(page, server + "/v")  # a proxy is not a volunteer: refused in words, not a crash
    assert "身份" in page.inner_text(".error-box")


def test_station_reviews_and_acts_for_an_elder(server: str, page: Any) -> None:
    sign_in(page, server, "station")
    assert page.url.endswith("/s")
    assert_accessible(page)
    shot(page, "station-queue")
    page.locator("main ul.list a").first.click()
    assert_accessible(page)
    page.click("text=通过（冻结时间币）")
    assert "已通过" in page.inner_text(".notice")

    visit(page, server + "/s/act-for")
    page.fill("#f-id_number", id_number(person_id_of("elder")))
    page.click("main form button[type=submit]")
    assert page.url.endswith("/e")
    assert "正在为" in page.inner_text(".acting")
    assert_accessible(page)
    shot(page, "station-acting-for-elder")
    page.click(".acting button")

    visit(page, server + "/s/paper")
    bad = (
        "volunteer_id_number,elder_id_number,item_code,start,end,note\n"
        "110101199001011234,x,chat_visit,2026-01-02 09:00,2026-01-02 08:00,\n"
    )
    page.set_input_files(
        "#f-file", files=[{"name": "paper.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.click("form[action='/s/paper/upload'] button[type=submit]")
    table = page.inner_text(".error-box table")
    assert "2" in table and "结束时间" in table
    assert_accessible(page)
    shot(page, "station-paper-row-errors")
    visit(page, server + "/s/kinship", "station-kinship")
    visit(page, server + "/s/training", "station-training")


def test_admins_and_auditor_read_their_pages(server: str, page: Any) -> None:
    sign_in(page, server, "district_admin")
    assert page.url.endswith("/a")
    assert page.locator("svg[role=img]").count() >= 2
    assert_accessible(page)
    shot(page, "admin-dashboard")
    for path in ("/a/items", "/a/alerts", "/a/untrustworthy"):
        visit(page, server + path)
    visit(page, server + "/a/policy")
    assert "身份" in page.inner_text(".error-box")  # policy parameters are the city's

    page.click("footer button")
    sign_in(page, server, "city_admin")
    visit(page, server + "/a/policy", "city-policy")
    page.click("main form button[type=submit]")
    assert "已保存" in page.inner_text(".notice")

    page.click("footer button")
    sign_in(page, server, "auditor")
    assert page.url.endswith("/audit")
    assert "核验通过" in page.inner_text("main")
    assert_accessible(page)
    shot(page, "auditor-ledger")


def test_english_and_larger_text_switches(server: str, page: Any) -> None:
    sign_in(page, server, "volunteer")
    page.click("text=English")
    assert page.get_attribute("html", "lang") == "en"
    assert "Hello" in page.inner_text("h1")
    assert_accessible(page)
    shot(page, "volunteer-home-en")
    page.click("text=Larger text")
    assert "large" in (page.get_attribute("html", "class") or "")
    size = page.evaluate("getComputedStyle(document.body).fontSize")
    assert size == "22px"
    assert_accessible(page)
    shot(page, "volunteer-home-en-large")
    page.click("text=中文")
