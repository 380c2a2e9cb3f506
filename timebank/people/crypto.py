"""Personal-data protection: the resident ID is stored encrypted and found by a keyed hash.

Both keys derive from the master secret (``Settings.secret_key``) with HKDF-SHA256 and distinct
``info`` strings, so leaking one derived key exposes neither the other nor the master secret.
The look-up hash is an HMAC, not a plain hash: 18-digit IDs have so little entropy (region,
birth date, sequence) that an unkeyed SHA-256 could be reversed by enumeration in minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from timebank.config import get_settings

VERSION = "v1"
NONCE_BYTES = 12  # 96 bits, the size GCM is designed for
_SALT = b"timebank.people.pii"
_INFO_ENCRYPT = b"timebank/pii/resident-id/aes-256-gcm/v1"
_INFO_LOOKUP = b"timebank/pii/resident-id/hmac-sha256/v1"
# Binds a ciphertext to its purpose: a resident-ID blob pasted into another field won't decrypt.
_AAD = b"timebank:resident_id"


class DecryptionError(Exception):
    """Stored personal data failed authentication: tampered, truncated or under another key."""


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(secret)


class PiiVault:
    """Encrypts, decrypts and hashes resident IDs under keys derived from one secret."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError("the PII secret must be at least 16 bytes")
        self._aead = AESGCM(_derive(raw, _INFO_ENCRYPT))
        self._lookup_key = _derive(raw, _INFO_LOOKUP)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _AAD)
        token = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{VERSION}:{token}"

    def decrypt(self, stored: str) -> str:
        version, sep, token = stored.partition(":")
        if not sep or version != VERSION:
            raise DecryptionError(f"unknown ciphertext version {version!r}")
        try:
            blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError as exc:
            raise DecryptionError("ciphertext is not base64url") from exc
        if len(blob) < NONCE_BYTES + 16:
            raise DecryptionError("ciphertext is too short")
        try:
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _AAD)
        except InvalidTag as exc:
            raise DecryptionError("ciphertext failed authentication") from exc
        return plain.decode()

    def lookup_hash(self, normalised: str) -> str:
        """64 hex characters; equal for equal IDs, so a unique index refuses duplicates."""
        return hmac.new(self._lookup_key, normalised.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def default_vault() -> PiiVault:
    """The vault under the configured secret; built on first use, never at import."""
    return PiiVault(get_settings().secret_key.get_secret_value())
