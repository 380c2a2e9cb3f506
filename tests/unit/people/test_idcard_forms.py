"""Resident IDs as people have them: 港澳台居民居住证 numbers, old 15-digit IDs, messages.

Valid numbers are built here with an independent ISO 7064 MOD 11-2 (the recursive form of
the standard), not with the module under test.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.errors import InvalidInput
from timebank.people import idcard
from timebank.people.idcard import parse
from timebank.web.i18n import catalogue, error_words, translator


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2, pure system: P = ((P + digit) × 2) mod 11; check = (12 − P) mod 11."""
    p = 0
    for ch in first17:
        p = (p + int(ch)) * 2 % 11
    c = (12 - p) % 11
    return "X" if c == 10 else str(c)


def number(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + mod11_2(first17)


def refusal(raw: str, *, today: date | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse(raw, today=today)
    assert info.value.field == "id_number"
    return info.value


def test_the_independent_check_agrees_with_the_standard_sample() -> None:
    assert mod11_2("11010519491231002") == "X"  # GB 11643's printed example


@pytest.mark.parametrize(
    ("region", "permit_for"), [("810000", "HK"), ("820000", "MO"), ("830000", "TW")]
)
def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted(
    region: str, permit_for: str
) -> None:
    rid = parse(number(region, "19880716", "035"), today=date(2026, 3, 2))
    assert rid.region_code == region
    assert rid.permit_for == permit_for
    assert rid.mainland_region_code is None  # no mainland district to derive
    assert rid.birth_date == date(1988, 7, 16)
    assert rid.age_on(date(2026, 3, 2)) == 37
    assert rid.sex == "M"  # 035 is odd
    assert rid.masked == region + "********" + rid.number[-4:]


def test_a_resident_id_names_its_mainland_region() -> None:
    rid = parse(number("110105", "19491231", "002"))
    assert (rid.permit_for, rid.mainland_region_code) == (None, "110105")


def test_a_wrong_check_character_is_refused_on_a_permit_too() -> None:
    good = number("830000", "19950228", "120")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    error = refusal(wrong)
    assert error.details["problem"] == "checksum"
    assert "校验码" in error.message


def test_an_old_15_digit_id_is_refused_with_its_18_digit_form() -> None:
    old = "110105491231002"  # the standard's sample, as it was printed before 1999
    error = refusal(old)
    assert error.details["problem"] == "length"
    assert error.details["suggested"] == "11010519491231002X"
    assert error.message.startswith("15 位的旧身份证号")
    assert "11010519491231002X" in error.message
    english, fallback = error_words(error, translator("en"))
    assert not fallback and "15-digit" in english and "11010519491231002X" in english
    chinese, _ = error_words(error, translator("zh-CN"))
    assert chinese == error.message


def test_an_old_id_that_cannot_be_upgraded_is_refused_without_a_suggestion() -> None:
    error = refusal("110105491301002")  # month 13
    assert "suggested" not in error.details
    assert "15 位" in error.message


def test_a_birth_date_in_the_future_is_refused() -> None:
    error = refusal(number("110101", "20260601", "004"), today=date(2026, 3, 2))
    assert error.details["problem"] == "birth"
    assert "2026-06-01" in error.message
    error = refusal(number("820000", "20260303", "004"), today=date(2026, 3, 2))
    assert error.details["problem"] == "birth"


def test_every_message_has_english_with_the_same_placeholders() -> None:
    english = catalogue("en")
    field = re.compile(r"\{(\w*)\}")
    for template in idcard.MESSAGES.values():
        assert template in english, template
        assert set(field.findall(template)) == set(field.findall(english[template]))


permits = st.sampled_from(sorted(idcard.PERMIT_REGIONS))
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
sequences = st.integers(0, 999)


@given(permits, births, sequences)
def test_any_permit_number_parses_like_a_resident_id(region: str, birth: date, seq: int) -> None:
    rid = parse(number(region, f"{birth:%Y%m%d}", f"{seq:03d}"), today=date(2026, 1, 1))
    assert (rid.birth_date, rid.sequence) == (birth, seq)
    assert rid.sex == ("M" if seq % 2 else "F")
    assert rid.permit_for == idcard.PERMIT_REGIONS[region]


@given(
    st.sampled_from(["110101", "110108", "310104", "440305", "650102"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    sequences,
)
def test_any_old_id_suggests_the_number_the_standard_gives(
    region: str, birth: date, seq: int
) -> None:
    old = f"{region}{birth:%y%m%d}{seq:03d}"
    expected = number(region, f"{birth:%Y%m%d}", f"{seq:03d}")
    assert refusal(old).details["suggested"] == expected
    assert parse(expected).birth_date == birth
