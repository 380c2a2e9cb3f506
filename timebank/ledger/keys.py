"""The Ed25519 key that signs seals, and the public keys verification trusts."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from timebank.config import Settings


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.seal_signing_key is not None:
        seed = bytes.fromhex(settings.seal_signing_key.get_secret_value().strip())
    else:  # dev/test only: the settings object refuses this in prod
        seed = hashlib.sha256(b"seal:" + settings.secret_key.get_secret_value().encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def trusted_keys(settings: Settings) -> set[str]:
    return {public_hex(signing_key(settings)), *(k.lower() for k in settings.seal_trusted_keys)}


def signature_ok(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True
