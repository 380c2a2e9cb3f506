"""Small helpers the rule modules share."""

from __future__ import annotations

from typing import Any

import numpy as np

from timebank.supervision.detection.epoch import I64, iso
from timebank.supervision.detection.tables import VisitTable


def flagged(mask: np.ndarray, focus: int | None) -> I64:
    """Rows where the mask holds, restricted to the focus row when there is one."""
    if focus is not None:
        return np.array([focus] if mask[focus] else [], np.int64)
    return np.flatnonzero(mask).astype(np.int64)


def visit_evidence(t: VisitTable, row: int) -> dict[str, Any]:
    return {
        "visit_id": int(t.id[row]),
        "volunteer_id": int(t.volunteer[row]),
        "elder_id": int(t.elder[row]),
        "start": iso(int(t.start[row])),
        "end": iso(int(t.end[row])),
        "station_id": int(t.station[row]),
    }


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For keys already sorted: True where a new run of equal keys begins."""
    starts = np.ones(len(keys), bool)
    if len(keys) > 1:
        starts[1:] = keys[1:] != keys[:-1]
    return starts


def by_volunteer_then_start(t: VisitTable) -> I64:
    return np.lexsort((t.id, t.start, t.volunteer)).astype(np.int64)


def split_by(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct keys and, for each, the rows carrying it; ``keys`` must be sorted."""
    if len(keys) == 0:
        return keys, []
    uniq, first = np.unique(keys, return_index=True)
    return uniq, np.split(rows, first[1:])
