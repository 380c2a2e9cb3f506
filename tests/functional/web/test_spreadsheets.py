"""Spreadsheets as Excel on Chinese Windows handles them: the statement download opens as
UTF-8 (it carries a BOM), and a GBK upload is read, its bad row named in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.functional.web.conftest import csrf_of
from timebank.people.idcard import make_id_number

HEADER = "志愿者身份证号,老人身份证号,服务项目,开始时间,结束时间,备注"


def test_the_statement_download_carries_a_utf8_bom(web: Any) -> None:
    r = web().sign_in("volunteer").get("/v/statement.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # without it Excel reads the file as GBK
    assert r.content[3:].decode("utf-8").startswith("transfer,")


def test_a_gbk_upload_names_the_bad_row_and_column(web: Any) -> None:
    volunteer = make_id_number("110101", date(1990, 5, 17), 31)
    elder = make_id_number("110101", date(1940, 1, 2), 42)
    sheet = f"{HEADER}\r\n{volunteer},{elder},chat_visit,2026/3/2 9:30,下午,纸质记录\r\n"
    data = sheet.encode("gbk")
    for lang, words in (("zh-CN", "不是像 2026-03-02 09:30 这样的时间"), ("en", "is not a time")):
        b = web().sign_in("station")
        b.get(f"/prefs/lang/{lang}?next=/s/paper")
        token = csrf_of(b.get("/s/paper").text)
        r = b.client.post(
            "/s/paper/upload",
            data={"csrf_token": token},
            files={"file": ("记录.csv", data, "text/csv")},
            follow_redirects=False,
        )
        assert r.status_code == 422, r.text[:500]
        assert words in r.text
        assert "下午" in r.text
