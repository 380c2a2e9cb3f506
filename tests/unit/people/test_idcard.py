from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.errors import InvalidInput
from timebank.people import idcard
from timebank.people.idcard import make_id_number, mask, parse

SAMPLE = "11010519491231002X"  # the public sample printed in GB 11643


def problem(raw: str, *, today: date | None = None) -> str:
    with pytest.raises(InvalidInput) as info:
        parse(raw, today=today)
    assert info.value.field == "id_number"
    return str(info.value.details["problem"])


def test_the_standard_sample_is_valid() -> None:
    rid = parse(SAMPLE)
    assert rid.number == SAMPLE
    assert rid.region_code == "110105"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sequence == 2
    assert rid.sex == "F"
    assert rid.masked == "110105********002X"


def test_sequence_parity_gives_sex() -> None:
    male = parse(make_id_number("110101", date(1980, 5, 17), 123))
    female = parse(make_id_number("110101", date(1980, 5, 17), 124))
    assert (male.sex, female.sex) == ("M", "F")


def test_lower_case_x_spaces_and_full_width_digits_are_normalised() -> None:
    assert parse("11010519491231002x").number == SAMPLE
    assert parse(" 110105 19491231 002X ").number == SAMPLE
    assert parse("１１０１０５１９４９１２３１００２Ｘ").number == SAMPLE


def test_check_character_x_stands_for_ten() -> None:
    # Find sequences whose check value is 10 and make sure only 'X' is accepted there.
    numbers = [make_id_number("310104", date(1990, 1, 1), seq) for seq in range(200)]
    with_x = [n for n in numbers if n.endswith("X")]
    assert with_x, "some sequence in 0..199 must need an X"
    for number in with_x:
        assert parse(number).number == number
        assert problem(number[:17] + "0") == "checksum"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "length"),
        ("110105491231002", "length"),  # old 15-digit form
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100AX", "characters"),
        ("11010519491231002Y", "characters"),
        ("110105194912310020", "checksum"),
    ],
)
def test_malformed_numbers_name_the_problem(raw: str, expected: str) -> None:
    assert problem(raw) == expected


@pytest.mark.parametrize(
    "region", ["000000", "101010", "990101", "720101", "160101", "810101", "820001", "831000"]
)
def test_unknown_regions_are_refused(region: str) -> None:
    assert problem(make_id_number(region, date(1970, 1, 1), 11)) == "region"


@pytest.mark.parametrize("prefix", sorted(idcard.PROVINCE_PREFIXES))
def test_every_province_prefix_is_accepted(prefix: str) -> None:
    # Abolished counties stay valid on old cards, so only the province prefix is checked.
    region = prefix + "0102"
    assert parse(make_id_number(region, date(1970, 1, 1), 11)).region_code == region


def test_codes_of_abolished_districts_stay_valid() -> None:
    assert parse(make_id_number("110103", date(1955, 3, 8), 21)).region_code == "110103"


def test_birth_date_must_exist() -> None:
    first17 = "110105" + "19490230" + "002"
    assert problem(first17 + idcard.check_char(first17)) == "birth"
    first17 = "110105" + "19491301" + "002"
    assert problem(first17 + idcard.check_char(first17)) == "birth"


def test_29_february_is_valid_only_in_leap_years() -> None:
    assert parse(make_id_number("110108", date(2000, 2, 29), 7)).birth_date == date(2000, 2, 29)
    first17 = "110108" + "19000229" + "007"  # 1900 was not a leap year
    assert problem(first17 + idcard.check_char(first17)) == "birth"
    first17 = "110108" + "20230229" + "007"
    assert problem(first17 + idcard.check_char(first17)) == "birth"


def test_birth_in_the_future_or_before_1900_is_refused() -> None:
    number = make_id_number("110101", date(2030, 1, 1), 5)
    assert problem(number, today=date(2029, 12, 31)) == "birth"
    assert parse(number, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)
    assert problem(make_id_number("110101", date(1899, 12, 31), 5)) == "birth"


def test_age_from_the_id() -> None:
    rid = parse(make_id_number("110101", date(2008, 2, 29), 5))
    assert rid.age_on(date(2026, 2, 28)) == 17
    assert rid.age_on(date(2026, 3, 1)) == 18


def test_mask_shows_region_and_last_four_only() -> None:
    assert mask(SAMPLE) == "110105********002X"
    assert mask("11010519491231002x") == "110105********002X"
    with pytest.raises(InvalidInput):
        mask("123")


def test_make_id_number_refuses_bad_parts() -> None:
    with pytest.raises(ValueError):
        make_id_number("11010", date(1970, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("110101", date(1970, 1, 1), 1000)


def test_is_valid() -> None:
    assert idcard.is_valid(SAMPLE)
    assert not idcard.is_valid(SAMPLE[:-1] + "1")


regions = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(idcard.PROVINCE_PREFIXES)),
    st.integers(1, 9999).map(lambda n: f"{n:04d}"),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
sequences = st.integers(0, 999)


@given(regions, births, sequences)
def test_generate_then_parse_round_trips(region: str, birth: date, seq: int) -> None:
    rid = parse(make_id_number(region, birth, seq), today=date(2026, 1, 1))
    assert (rid.region_code, rid.birth_date, rid.sequence) == (region, birth, seq)
    assert rid.sex == ("M" if seq % 2 else "F")
    assert rid.masked == rid.number[:6] + "********" + rid.number[14:]


@given(regions, births, sequences, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(
    region: str, birth: date, seq: int, position: int, shift: int
) -> None:
    number = make_id_number(region, birth, seq)
    wrong = str((int(number[position]) + shift) % 10)
    assert not idcard.is_valid(number[:position] + wrong + number[position + 1 :])


@given(regions, births, sequences, st.integers(0, 15))
def test_any_adjacent_transposition_is_caught(
    region: str, birth: date, seq: int, position: int
) -> None:
    number = make_id_number(region, birth, seq)
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not idcard.is_valid(swapped)
