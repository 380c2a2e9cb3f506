"""Merkle roots, leaf packing and seal messages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from timebank.config import Settings
from timebank.ledger import merkle
from timebank.ledger.keys import public_hex, signature_ok, signing_key


def row(**kw: object) -> SimpleNamespace:
    base: dict[str, object] = dict.fromkeys(merkle.LEAF_FIELDS)
    base.update(
        id=1,
        key="k",
        kind="service_credit",
        phase="single",
        debit_account_id=1,
        credit_account_id=4,
        amount=60,
        actor="station:1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    base.update(kw)
    return SimpleNamespace(**base)


def test_every_field_changes_the_leaf() -> None:
    original = merkle.leaf_hash(row())
    for name, value in [
        ("amount", 61),
        ("credit_account_id", 5),
        ("memo", "x"),
        ("created_at", datetime(2026, 1, 2, tzinfo=UTC)),
        ("actor", "system"),
    ]:
        assert merkle.leaf_hash(row(**{name: value})) != original, name


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_root_changes_when_any_leaf_changes(leaves: list[bytes], data: st.DataObject) -> None:
    root = merkle.merkle_root(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    changed = [*leaves]
    changed[i] = hashlib.sha256(changed[i]).digest()
    assert merkle.merkle_root(changed) != root
    assert merkle.merkle_root(leaves[:-1] or [b"\x00" * 32]) != root or len(leaves) == 1


def test_leaf_cannot_pose_as_node() -> None:
    a, b = b"a" * 32, b"b" * 32
    assert merkle.merkle_root([a, b]) != hashlib.sha256(a + b).hexdigest()


@given(st.lists(st.tuples(st.integers(1, 2**62), st.binary(min_size=32, max_size=32))))
def test_leaves_round_trip(pairs: list[tuple[int, bytes]]) -> None:
    assert list(merkle.unpack_leaves(merkle.pack_leaves(pairs))) == pairs


def test_signature_binds_message() -> None:
    key = signing_key(Settings(env="test"))
    msg = merkle.seal_message(prev_hash=merkle.GENESIS, merkle_root="ab" * 32, count=3, horizon=9)
    sig = key.sign(msg).hex()
    assert signature_ok(public_hex(key), sig, msg)
    other = merkle.seal_message(prev_hash=merkle.GENESIS, merkle_root="ab" * 32, count=4, horizon=9)
    assert not signature_ok(public_hex(key), sig, other)
    assert not signature_ok(public_hex(key), "00" * 64, msg)


def test_prod_refuses_dev_secrets() -> None:
    import pytest

    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(env="prod")
    with pytest.raises(ValueError, match="SEAL_SIGNING_KEY"):
        Settings(env="prod", secret_key="a-real-secret-from-the-vault-123")
