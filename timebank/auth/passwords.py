"""Passwords: argon2id hashes, a minimum strength, and rehash-on-login when costs change."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from timebank.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
# A hash to compare against when the phone is unknown, so timing does not reveal accounts.
_DUMMY_PASSWORD = "not-a-real-password-0000"


def make_hasher(*, fast: bool = False) -> PasswordHasher:
    """argon2id with the library's RFC 9106 defaults; ``fast`` (tests only) lowers the cost."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher(type=Type.ID)


class Passwords:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self._dummy = hasher.hash(_DUMMY_PASSWORD)

    def hash(self, password: str) -> str:
        check_strength(password)
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def check_strength(password: str, *, field: str = "password") -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(
            f"a password has {MIN_LENGTH}–{MAX_LENGTH} characters", field=field, rule="password"
        )
    if password.isdigit() or password.isalpha():
        raise InvalidInput(
            "a password mixes letters with digits or symbols", field=field, rule="password"
        )
