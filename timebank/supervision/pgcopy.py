"""PostgreSQL: numeric query results straight into numpy through ``COPY … (FORMAT binary)``.

When every column is a non-null ``bigint`` or ``double precision``, each row of the binary
COPY stream has the same width (a 2-byte field count, then a 4-byte length and 8 bytes per
field), so the whole stream is one structured numpy array: a million visits arrive without a
single Python object per value. Text columns are turned into dense integer codes in SQL first
(see ``repository.visit_codes_query``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
TRAILER = b"\xff\xff"


def copy_columns(session: Session, stmt: Any, kinds: Sequence[str]) -> list[np.ndarray]:
    """Run ``stmt`` (every column ``bigint`` → ``"i"`` or ``double precision`` → ``"f"``,
    none null) and return one native numpy array per column."""
    conn = session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    chunks: list[bytes] = []
    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
        for block in copy:
            chunks.append(bytes(block))
    return parse(b"".join(chunks), kinds)


def parse(data: bytes, kinds: Sequence[str]) -> list[np.ndarray]:
    """Split a binary COPY stream of fixed-width rows into columns."""
    if not data.startswith(SIGNATURE) or not data.endswith(TRAILER):
        raise ValueError("not a complete binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension : len(data) - len(TRAILER)]
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"len{i}", ">i4"), (f"col{i}", ">i8" if kind == "i" else ">f8")]
    dtype = np.dtype(fields)
    if len(body) % dtype.itemsize:
        raise ValueError("a row is not fixed-width: is a column null or not 8 bytes wide?")
    rows = np.frombuffer(body, dtype)
    if len(rows) and (
        (rows["count"] != len(kinds)).any()
        or any((rows[f"len{i}"] != 8).any() for i in range(len(kinds)))
    ):
        raise ValueError("a field is null or not 8 bytes wide")
    return [
        rows[f"col{i}"].astype(np.int64 if kind == "i" else np.float64)
        for i, kind in enumerate(kinds)
    ]
