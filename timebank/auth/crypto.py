"""Random bearer secrets and one-time codes, and the hashes they are stored under."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIXES = {"access": "tba_", "refresh": "tbr_", "session": "tbs_", "csrf": "tbc_"}


def new_token(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Bearer tokens carry 256 random bits, so a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(key: bytes, phone: str, purpose: str, code: str) -> str:
    """Six digits are guessable offline, so codes are stored under a keyed hash."""
    return hmac.new(key, f"{phone}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
