"""Phone numbers as sign-in and notices use them: one normal form, whatever was typed."""

from __future__ import annotations

import re
import unicodedata

from timebank.errors import InvalidInput

_PHONE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()]")


def _digits(raw: str) -> str:
    # NFKC folds full-width digits (１３８…) and signs (＋) to ASCII, as IMEs type them.
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def normalise_phone(raw: str) -> str:
    """A mainland mobile number: 11 digits starting 13–19; spaces, dashes, +86/0086 and
    full-width digits tolerated."""
    digits = _digits(raw)
    if not _PHONE.fullmatch(digits):
        raise InvalidInput(
            "phone must be a mainland mobile number: 11 digits starting 13–19", field="phone"
        )
    return digits


def phone_key(raw: str) -> str:
    """What rate limits count a phone by: the same normal form as sign-in, so one account is
    one bucket however its number is spelt (a malformed number still gets a bucket)."""
    try:
        return normalise_phone(raw)
    except InvalidInput:
        return _digits(raw)[:40]
