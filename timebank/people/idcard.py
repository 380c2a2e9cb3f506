"""The 18-digit resident identity number (GB 11643-1999): parse, validate, mask, generate.

Layout: 6-digit region code (GB/T 2260), birth date YYYYMMDD, 3-digit sequence whose parity
gives sex (odd male, even female), and an ISO 7064 MOD 11-2 check character ('X' for 10).
Pure: no database, no settings, no clock — the caller says what "today" is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from timebank.clock import age_on as years_between
from timebank.errors import InvalidInput

FIELD = "id_number"
# Province-level prefixes of GB/T 2260, plus Taiwan (71), Hong Kong (81) and Macao (82),
# whose residents may hold mainland resident IDs.
PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65", "71", "81", "82"}
)
# Weight of position i is 2^(17-i) mod 11; the check character makes the weighted sum ≡ 1.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"
# Nobody alive was born earlier; an older year is a typo, not a person.
EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case 'X'
    region_code: str
    birth_date: date
    sequence: int
    sex: str  # 'M' | 'F'

    @property
    def masked(self) -> str:
        return mask(self.number)

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


def _invalid(message: str, problem: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD, details={"problem": problem})


def parse(raw: str, *, today: date | None = None) -> ResidentId:
    """Validate a resident ID; ``today`` (local date) refuses birth dates after it."""
    number = normalise(raw)
    if len(number) != 18:
        hint = " (old 15-digit IDs are not accepted)" if len(number) == 15 else ""
        raise _invalid(f"resident ID must have 18 characters, got {len(number)}{hint}", "length")
    if not number[:17].isascii() or not number[:17].isdigit():
        raise _invalid("resident ID: the first 17 characters must be digits", "characters")
    if not (number[17].isascii() and number[17].isdigit()) and number[17] != "X":
        raise _invalid("resident ID: the last character must be a digit or X", "characters")
    region = number[:6]
    # Only the province is checked: IDs keep the codes of counties long since merged or
    # renamed (110103 崇文, 110104 宣武), so no current list of counties is complete.
    if region[:2] not in PROVINCE_PREFIXES:
        raise _invalid(f"resident ID: region code {region} is not a known province", "region")
    birth = _birth_date(number[6:14])
    if today is not None and birth > today:
        raise _invalid(f"resident ID: birth date {birth.isoformat()} is in the future", "birth")
    # Not saying which character was expected: the typo is as likely in the first 17.
    if number[17] != check_char(number[:17]):
        raise _invalid(
            "resident ID: the check character does not match; is a digit mistyped?", "checksum"
        )
    sequence = int(number[14:17])
    return ResidentId(
        number=number,
        region_code=region,
        birth_date=birth,
        sequence=sequence,
        sex="M" if sequence % 2 else "F",
    )


def _birth_date(text: str) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _invalid(f"resident ID: {text} is not a valid birth date", "birth") from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise _invalid(f"resident ID: birth year {birth.year} is implausible", "birth")
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
        raise _invalid("only an 18-character resident ID can be masked", "length")
    return number[:6] + "*" * 8 + number[-4:]


def make_id_number(region: str, birth: date, seq: int) -> str:
    """A valid ID for tests and the demo city: the check character is computed."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0..999, got {seq}")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
