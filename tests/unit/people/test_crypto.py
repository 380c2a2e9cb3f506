from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.people.crypto import DecryptionError, PiiVault, default_vault

SECRET = "unit-test-secret-0123456789abcdef"
NUMBER = "11010519491231002X"


@pytest.fixture
def vault() -> PiiVault:
    return PiiVault(SECRET)


def test_round_trip(vault: PiiVault) -> None:
    stored = vault.encrypt(NUMBER)
    assert stored.startswith("v1:")
    assert NUMBER not in stored
    assert vault.decrypt(stored) == NUMBER


def test_each_encryption_uses_a_fresh_nonce(vault: PiiVault) -> None:
    assert vault.encrypt(NUMBER) != vault.encrypt(NUMBER)


def test_token_is_nonce_plus_ciphertext_plus_tag(vault: PiiVault) -> None:
    token = vault.encrypt(NUMBER).removeprefix("v1:")
    blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(blob) == 12 + len(NUMBER) + 16


def test_any_flipped_bit_is_detected(vault: PiiVault) -> None:
    token = vault.encrypt(NUMBER).removeprefix("v1:")
    blob = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        text = base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
        with pytest.raises(DecryptionError):
            vault.decrypt("v1:" + text)


@pytest.mark.parametrize("stored", ["", "v1:", "v2:AAAA", "no-version", "v1:!!!!", "v1:AAAA"])
def test_malformed_ciphertexts_are_refused(vault: PiiVault, stored: str) -> None:
    with pytest.raises(DecryptionError):
        vault.decrypt(stored)


def test_another_secret_cannot_decrypt(vault: PiiVault) -> None:
    with pytest.raises(DecryptionError):
        PiiVault(SECRET + "x").decrypt(vault.encrypt(NUMBER))


def test_lookup_hash_is_keyed_and_stable(vault: PiiVault) -> None:
    digest = vault.lookup_hash(NUMBER)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest == PiiVault(SECRET).lookup_hash(NUMBER)
    assert digest != PiiVault(SECRET + "x").lookup_hash(NUMBER)
    assert digest != vault.lookup_hash(NUMBER[:-1] + "0")


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError):
        PiiVault("short")


def test_default_vault_uses_the_configured_secret() -> None:
    vault = default_vault()
    assert vault.decrypt(vault.encrypt(NUMBER)) == NUMBER


@given(st.text(max_size=64))
def test_round_trip_any_text(text: str) -> None:
    vault = PiiVault(SECRET)
    assert vault.decrypt(vault.encrypt(text)) == text
