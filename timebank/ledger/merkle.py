"""Pure tamper-evidence primitives: canonical transfer encoding, Merkle roots, seal hashes.

Leaves and nodes are domain-separated as in RFC 6962 (0x00 leaf, 0x01 node) so a leaf can
never be passed off as an inner node.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Iterator
from typing import Any

LEAF_FIELDS = (
    "id",
    "key",
    "kind",
    "phase",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "pending_id",
    "reverses_id",
    "reference",
    "value_date",
    "memo",
    "actor",
    "created_at",
)
GENESIS = "0" * 64
_LEAF = struct.Struct(">q32s")


def canonical(row: Any) -> bytes:
    """A transfer's bytes: every field that matters, in a fixed order, JSON-encoded."""
    values = []
    for name in LEAF_FIELDS:
        value = getattr(row, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        values.append(value)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def leaf_hash(row: Any) -> bytes:
    return hashlib.sha256(b"\x00" + canonical(row)).digest()


def merkle_root(leaves: list[bytes]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = leaves
    while len(level) > 1:
        nxt = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])  # an odd node is promoted unchanged
        level = nxt
    return level[0].hex()


def pack_leaves(pairs: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(_LEAF.pack(i, h) for i, h in pairs)


def unpack_leaves(blob: bytes) -> Iterator[tuple[int, bytes]]:
    yield from _LEAF.iter_unpack(blob)


def seal_message(*, prev_hash: str, merkle_root: str, count: int, horizon: int) -> bytes:
    """What is signed and hashed for a seal: the chain link, the root and the window."""
    return json.dumps(
        {"prev": prev_hash, "root": merkle_root, "count": count, "horizon": horizon},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def seal_hash(message: bytes, signature_hex: str) -> str:
    return hashlib.sha256(message + bytes.fromhex(signature_hex)).hexdigest()
