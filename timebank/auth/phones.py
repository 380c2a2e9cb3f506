"""Phone numbers as sign-in and notices use them: one normal form, whatever was typed."""

from __future__ import annotations

import re

from timebank.errors import InvalidInput

_PHONE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(raw: str) -> str:
    """A mainland mobile number: 11 digits starting 13–19; spaces, dashes and +86 tolerated."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _PHONE.fullmatch(digits):
        raise InvalidInput(
            "phone must be a mainland mobile number: 11 digits starting 13–19", field="phone"
        )
    return digits
