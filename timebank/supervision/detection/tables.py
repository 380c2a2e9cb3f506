"""Columnar inputs for a full scan: one numpy array per field, one row per record.

Times are int64 epoch seconds (UTC). Devices are opaque int codes (−1: none); categories are
int codes into ``categories``. The database layer can fill these straight from a query; the
``from_…`` constructors turn the per-event dataclasses into the same shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from timebank.supervision.detection.epoch import F64, I64, epoch, from_epoch
from timebank.supervision.detection.facts import Account, Donation, Gift, Redemption, Visit

NO_DEVICE = -1
UNKNOWN = np.iinfo(np.int64).min  # created_at of an account we were not told about

GIFT, DONATION, REDEMPTION = 0, 1, 2


class _Columns:
    """Row selection and concatenation shared by the tables (every array field is a column)."""

    def _arrays(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if isinstance(getattr(self, f.name), np.ndarray)
        }

    def __len__(self) -> int:
        return len(next(iter(self._arrays().values())))

    def take(self, rows: Any) -> Self:
        return dataclasses.replace(self, **{k: v[rows] for k, v in self._arrays().items()})  # type: ignore[type-var]

    def concat(self, other: Self) -> Self:
        mine, theirs = self._arrays(), other._arrays()
        joined = {k: np.concatenate([mine[k], theirs[k]]) for k in mine}
        return dataclasses.replace(self, **joined)  # type: ignore[type-var]


@dataclass(frozen=True)
class VisitTable(_Columns):
    id: I64
    volunteer: I64
    elder: I64
    start: I64
    end: I64
    category: I64
    credited: I64
    station: I64
    elder_lat: F64
    elder_lon: F64
    checkin_lat: F64  # NaN when offline
    checkin_lon: F64
    checkin_device: I64
    confirm_device: I64
    offline: np.ndarray  # bool
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        lengths = {len(a) for a in self._arrays().values()}
        if len(lengths) > 1:
            raise ValueError(f"visit columns differ in length: {sorted(lengths)}")
        # Rules pack two person ids (or a person and a device) into one int64 key.
        for name in ("volunteer", "elder"):
            column = getattr(self, name)
            if len(column) and (column.min() < 0 or column.max() >= 2**31):
                raise ValueError(f"{name} ids must be in [0, 2**31) for the packed keys")

    @classmethod
    def from_visits(cls, visits: Sequence[Visit], categories: Sequence[str] = ()) -> VisitTable:
        cats = list(dict.fromkeys([*categories, *(v.category for v in visits)]))
        devices: dict[str, int] = {}

        def code(device: str | None) -> int:
            return NO_DEVICE if device is None else devices.setdefault(device, len(devices))

        def nan(x: float | None) -> float:
            return float("nan") if x is None else x

        cat_code = {c: i for i, c in enumerate(cats)}
        return cls(
            id=np.array([v.id for v in visits], np.int64),
            volunteer=np.array([v.volunteer_id for v in visits], np.int64),
            elder=np.array([v.elder_id for v in visits], np.int64),
            start=np.array([epoch(v.start) for v in visits], np.int64),
            end=np.array([epoch(v.end) for v in visits], np.int64),
            category=np.array([cat_code[v.category] for v in visits], np.int64),
            credited=np.array([v.credited_minutes for v in visits], np.int64),
            station=np.array([v.station_id for v in visits], np.int64),
            elder_lat=np.array([v.elder_lat for v in visits], float),
            elder_lon=np.array([v.elder_lon for v in visits], float),
            checkin_lat=np.array([nan(v.checkin_lat) for v in visits], float),
            checkin_lon=np.array([nan(v.checkin_lon) for v in visits], float),
            checkin_device=np.array([code(v.checkin_device) for v in visits], np.int64),
            confirm_device=np.array([code(v.confirm_device) for v in visits], np.int64),
            offline=np.array([v.source == "offline" for v in visits], bool),
            categories=tuple(cats),
        )

    def to_visits(self, rows: Iterable[int]) -> list[Visit]:
        """Rows back as dataclasses (devices become their code as text)."""

        def opt(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        def dev(code: int) -> str | None:
            return None if code == NO_DEVICE else str(int(code))

        return [
            Visit(
                id=int(self.id[r]),
                volunteer_id=int(self.volunteer[r]),
                elder_id=int(self.elder[r]),
                start=from_epoch(int(self.start[r])),
                end=from_epoch(int(self.end[r])),
                category=self.categories[int(self.category[r])],
                credited_minutes=int(self.credited[r]),
                station_id=int(self.station[r]),
                elder_lat=float(self.elder_lat[r]),
                elder_lon=float(self.elder_lon[r]),
                checkin_lat=opt(self.checkin_lat[r]),
                checkin_lon=opt(self.checkin_lon[r]),
                checkin_device=dev(self.checkin_device[r]),
                confirm_device=dev(self.confirm_device[r]),
                source="offline" if self.offline[r] else "online",
            )
            for r in rows
        ]


@dataclass(frozen=True)
class TransferTable(_Columns):
    """Gifts, donations and redemptions in one table; ``recipient`` is −1 unless a gift."""

    id: I64
    kind: I64
    actor: I64
    recipient: I64
    minutes: I64
    at: I64

    @classmethod
    def empty(cls) -> TransferTable:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, z, z, z)

    @classmethod
    def from_events(
        cls,
        gifts: Iterable[Gift] = (),
        donations: Iterable[Donation] = (),
        redemptions: Iterable[Redemption] = (),
    ) -> TransferTable:
        rows = [(g.id, GIFT, g.giver_id, g.recipient_id, g.minutes, epoch(g.at)) for g in gifts]
        rows += [(d.id, DONATION, d.donor_id, -1, d.minutes, epoch(d.at)) for d in donations]
        rows += [(r.id, REDEMPTION, r.person_id, -1, r.minutes, epoch(r.at)) for r in redemptions]
        if not rows:
            return cls.empty()
        cols = np.array(rows, np.int64).T
        return cls(*(np.ascontiguousarray(c) for c in cols))

    def to_events(self, rows: Iterable[int]) -> list[Gift | Donation | Redemption]:
        out: list[Gift | Donation | Redemption] = []
        for r in rows:
            tid, actor, minutes = int(self.id[r]), int(self.actor[r]), int(self.minutes[r])
            at = from_epoch(int(self.at[r]))
            if self.kind[r] == GIFT:
                out.append(Gift(tid, actor, int(self.recipient[r]), minutes, at))
            elif self.kind[r] == DONATION:
                out.append(Donation(tid, actor, minutes, at))
            else:
                out.append(Redemption(tid, actor, minutes, at))
        return out


@dataclass(frozen=True)
class AccountTable(_Columns):
    person: I64  # sorted ascending, unique
    created_at: I64

    @classmethod
    def build(cls, person: I64, created_at: I64) -> AccountTable:
        order = np.argsort(person, kind="stable")
        return cls(np.asarray(person[order], np.int64), np.asarray(created_at[order], np.int64))

    @classmethod
    def from_accounts(cls, accounts: Iterable[Account]) -> AccountTable:
        pairs = [(a.person_id, epoch(a.created_at)) for a in accounts]
        arr = np.array(pairs, np.int64).reshape(-1, 2)
        return cls.build(arr[:, 0].copy(), arr[:, 1].copy())

    def created(self, people: I64) -> I64:
        """Creation time per person, ``UNKNOWN`` where the account is not in the table."""
        if len(self.person) == 0:
            return np.full(len(people), UNKNOWN, np.int64)
        pos = np.clip(np.searchsorted(self.person, people), 0, len(self.person) - 1)
        hit = self.person[pos] == people
        return np.where(hit, self.created_at[pos], UNKNOWN)
