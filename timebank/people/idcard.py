"""The 18-digit citizen identity number (GB 11643-1999): parse, validate, mask, generate.

Layout: 6-digit region code (GB/T 2260), birth date YYYYMMDD, 3-digit sequence whose parity
gives sex (odd male, even female), and an ISO 7064 MOD 11-2 check character ('X' for 10).
Pure: no database, no settings, no clock — the caller says what "today" is.

Two kinds of card carry such a number and both are accepted:

- the resident identity card (居民身份证): the region code is the mainland county where the
  number was first issued;
- the residence permit for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, issued
  since 2018-09-01): same layout and check, but the region code is exactly 810000 (Hong Kong),
  820000 (Macao) or 830000 (Taiwan) — it says where the holder is from, not a mainland place.
  Birth date, age and sex derive exactly as on a resident ID. ``ResidentId.permit_for`` names
  the region and ``mainland_region_code`` is None; the holder registers in the district they
  live in, which registration takes from its own ``district_code`` and never from the number.

Region codes checked: the province (first two digits) of a mainland province-level division
in GB/T 2260 (11…65, and 71 Taiwan Province, which the standard lists); for 81, 82 and 83 only
the three permit codes. Counties are not checked: numbers keep the codes of counties merged or
renamed long ago (110103 崇文, 110104 宣武), so no current list of counties is complete, and a
wrong county is no reason to turn a real person away. The check character catches every single
mistyped digit and every swap of two neighbours; the province check adds little beyond that
but refuses numbers that were never issued by anyone.

The old 15-digit numbers (6-digit region, YYMMDD, 3-digit sequence, no check) are refused, and
the refusal offers the 18-digit form: "19" inserted after the region code, check computed.

Messages are Chinese (the message ids of ``timebank/web/translations``; English lives there):
``InvalidInput.details`` carries ``problem``, ``message_id`` (the template) and the values it
needs, so a page can show it in the reader's language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from timebank.clock import age_on as years_between
from timebank.errors import InvalidInput

FIELD = "id_number"
# Province-level prefixes of GB/T 2260 (mainland provinces, regions and municipalities, and
# 71 Taiwan Province as the standard lists it); any county code under them is accepted.
PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65", "71"}
)
# 港澳台居民居住证: the whole region code is fixed; nothing else is issued under 81, 82, 83.
PERMIT_REGIONS = {"810000": "HK", "820000": "MO", "830000": "TW"}
# Weight of position i is 2^(17-i) mod 11; the check character makes the weighted sum ≡ 1.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"
# Nobody alive was born earlier; an older year is a typo, not a person.
EARLIEST_BIRTH_YEAR = 1900

# Message ids (Chinese); the English is in timebank/web/translations/en.json.
MESSAGES = {
    "length": "身份证号应为 18 位，现在是 {n} 位",
    "old_form": "15 位的旧身份证号已不再使用，请填 18 位号码",
    "old_form_suggested": (
        "15 位的旧身份证号已不再使用，请填 18 位号码 {suggested}"
        "（在前 6 位后插入“19”，并补上最后一位校验码）"
    ),
    "digits": "身份证号的前 17 位应全是数字",
    "last": "身份证号的最后一位应是数字或 X",
    "region": "身份证号的前 6 位 {region} 不是已知的省份，也不是港澳台居民居住证的代码",
    "birth_date": "身份证号里的出生日期 {text} 不存在",
    "birth_year": "身份证号里的出生年份 {year} 不合理",
    "birth_future": "身份证号里的出生日期 {birth} 晚于今天",
    "checksum": "身份证号最后一位校验码对不上，请核对是否有数字输错",
    "mask": "只能遮盖 18 位的身份证号",
}


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case 'X'
    region_code: str
    birth_date: date
    sequence: int
    sex: str  # 'M' | 'F'
    # 'HK' | 'MO' | 'TW' for a 港澳台居民居住证; None for a resident identity card.
    permit_for: str | None = None

    @property
    def masked(self) -> str:
        return mask(self.number)

    @property
    def mainland_region_code(self) -> str | None:
        """The GB/T 2260 place of issue; None for a permit, which names no mainland place."""
        return None if self.permit_for else self.region_code

    def age_on(self, day: date) -> int:
        return years_between(self.birth_date, day)


class IdentityVerifier(Protocol):
    """A check of a parsed ID against an outside source (e.g. the public-security register).

    Raises ``RuleViolation(rule="identity_verification")`` when the source disagrees.
    """

    def verify(self, resident_id: ResidentId, full_name: str) -> None: ...


class FormOnlyVerifier:
    """The default: form and checksum were checked by ``parse``; no outside source is asked."""

    def verify(self, resident_id: ResidentId, full_name: str) -> None:
        return None


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    # NFKC folds full-width digits and 'Ｘ' typed on Chinese keyboards into ASCII.
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


def _invalid(key: str, problem: str, **values: object) -> InvalidInput:
    template = MESSAGES[key]
    return InvalidInput(
        template.format(**values),
        field=FIELD,
        details={"problem": problem, "message_id": template, **values},
    )


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def upgrade_old_form(number: str) -> str | None:
    """The 18-digit form of an old 15-digit number, or None if it is not one.

    The old numbers were issued to people born in the 1900s: "19" goes after the region code
    and the check character is computed (GB 11643-1999, 4.3).
    """
    if len(number) != 15 or not _is_digits(number):
        return None
    first17 = number[:6] + "19" + number[6:]
    candidate = first17 + check_char(first17)
    try:
        parse(candidate)
    except InvalidInput:
        return None
    return candidate


def parse(raw: str, *, today: date | None = None) -> ResidentId:
    """Validate a resident ID; ``today`` (local date) refuses birth dates after it."""
    number = normalise(raw)
    if len(number) == 15:
        suggested = upgrade_old_form(number)
        if suggested is None:
            raise _invalid("old_form", "length")
        raise _invalid("old_form_suggested", "length", suggested=suggested)
    if len(number) != 18:
        raise _invalid("length", "length", n=len(number))
    if not _is_digits(number[:17]):
        raise _invalid("digits", "characters")
    if not _is_digits(number[17]) and number[17] != "X":
        raise _invalid("last", "characters")
    region = number[:6]
    permit_for = PERMIT_REGIONS.get(region)
    if permit_for is None and region[:2] not in PROVINCE_PREFIXES:
        raise _invalid("region", "region", region=region)
    birth = _birth_date(number[6:14])
    if today is not None and birth > today:
        raise _invalid("birth_future", "birth", birth=birth.isoformat())
    # Not saying which character was expected: the typo is as likely in the first 17.
    if number[17] != check_char(number[:17]):
        raise _invalid("checksum", "checksum")
    sequence = int(number[14:17])
    return ResidentId(
        number=number,
        region_code=region,
        birth_date=birth,
        sequence=sequence,
        sex="M" if sequence % 2 else "F",
        permit_for=permit_for,
    )


def _birth_date(text: str) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _invalid("birth_date", "birth", text=text) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise _invalid("birth_year", "birth", year=birth.year)
    return birth


def is_valid(raw: str, *, today: date | None = None) -> bool:
    try:
        parse(raw, today=today)
    except InvalidInput:
        return False
    return True


def mask(number: str) -> str:
    """``110105********123X``: region code and the last four, the birth date hidden."""
    number = normalise(number)
    if len(number) != 18:
        raise _invalid("mask", "length")
    return number[:6] + "*" * 8 + number[-4:]


def make_id_number(region: str, birth: date, seq: int) -> str:
    """A valid ID for tests and the demo city: the check character is computed."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0..999, got {seq}")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
