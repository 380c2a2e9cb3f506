"""Which encoding a CSV is in: UTF-8 with or without a BOM, else GB18030/GBK (pure: bytes in)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.care.spreadsheet import ALIASES, decode_csv
from timebank.errors import InvalidInput
from timebank.web.i18n import catalogue

HEADER = "志愿者身份证号,老人身份证号,服务项目,开始时间,结束时间,备注\r\n"
# Cells as stations fill them: ASCII, common Chinese characters and full-width punctuation.
cells = st.text(
    st.sampled_from('0123456789Xx-:/ ,."\r\n abc张王李刘陈谢楼陪聊天读报买菜老人东城区，。（）·'),
    max_size=60,
)


@given(cells)
def test_a_gbk_file_with_a_chinese_header_reads_back_exactly(body: str) -> None:
    text = HEADER + body
    assert decode_csv(text.encode("gbk")) == text


@given(cells)
def test_utf8_with_or_without_a_bom_reads_back_exactly(body: str) -> None:
    text = HEADER + body
    assert decode_csv(text.encode("utf-8-sig")) == text
    assert decode_csv(text.encode("utf-8")) == text


def test_every_chinese_header_is_invalid_utf8_in_gbk() -> None:
    # Why trying UTF-8 first is safe for the files stations actually send.
    for name in ALIASES:
        with pytest.raises(UnicodeDecodeError):
            name.encode("gbk").decode("utf-8")


def test_short_gbk_that_happens_to_be_valid_utf8_is_still_read_as_gbk() -> None:
    data = "volunteer_id_number,note\r\n1,谢谢\r\n".encode("gbk")
    assert data.decode("utf-8").endswith("лл\r\n")  # valid UTF-8, and wrong
    assert decode_csv(data).endswith("谢谢\r\n")


def test_undecodable_bytes_name_the_line() -> None:
    with pytest.raises(InvalidInput) as err:
        decode_csv(HEADER.encode("gbk") + b"ok\r\n\x80\xff\r\n")
    assert err.value.message.startswith("第 3 行")
    assert err.value.details["row"] == 3
    assert err.value.details["message_id"] in catalogue("en")


def test_every_import_message_has_english_with_the_same_placeholders() -> None:
    from timebank.care import offline, spreadsheet

    english = catalogue("en")
    field = re.compile(r"\{(\w*)\}")
    templates = [
        offline.ROW_MESSAGE,
        *offline.MESSAGES.values(),
        *offline.COLUMN_WORDS.values(),
        *spreadsheet.MESSAGES.values(),
    ]
    for template in templates:
        assert template in english, template
        assert set(field.findall(template)) == set(field.findall(english[template]))
