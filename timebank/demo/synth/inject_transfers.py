"""Injectors for gift and donation fraud, each planted by people who otherwise give nothing."""

from __future__ import annotations

import numpy as np

from timebank.demo.synth import city
from timebank.demo.synth.builder import CityBuilder
from timebank.supervision.detection.epoch import DAY_S
from timebank.supervision.detection.facts import Rule
from timebank.supervision.detection.tables import DONATION, GIFT, REDEMPTION


class _Fresh:
    """Hands out people not yet used by any transfer, honest or planted."""

    def __init__(self, b: CityBuilder) -> None:
        # Honest redemptions are background everyone shares; givers and recipients are not.
        gifts = [row for row in b.transfers if row[1] != REDEMPTION]
        used = {row[2] - 1 for row in gifts} | {row[3] - 1 for row in gifts}
        self.rng = b.rng
        self.vols = [
            int(v) for v in b.rng.permutation(np.flatnonzero(b.people.volunteer)) if v not in used
        ]
        self.elders = [
            int(e) for e in b.rng.permutation(np.flatnonzero(b.people.elder)) if e not in used
        ]

    def volunteer(self) -> int:
        return self.vols.pop() + 1

    def elder(self) -> int:
        return self.elders.pop() + 1


def _instant(b: CityBuilder, lo_day: int = 0, hi_day: int = city.PERIOD_DAYS - 100) -> int:
    return int(
        city.PERIOD_START + b.rng.integers(lo_day, hi_day) * DAY_S + b.rng.integers(9, 20) * 3600
    )


def _spaced(b: CityBuilder, n: int, span_days: tuple[int, int]) -> list[int]:
    """n instants spread evenly over a span, at least a day and a half apart."""
    start, span = _instant(b), int(b.rng.integers(*span_days)) * DAY_S
    step = span // max(n - 1, 1)
    jitter = b.rng.integers(-step // 4, step // 4 + 1, n)
    return [start + i * step + int(j) for i, j in enumerate(jitter)]


def frequent(b: CityBuilder, count: int, fresh: _Fresh, kind: int, velocity: bool) -> None:
    """Many gifts (or donations) by one person: spread over weeks, or within hours."""
    for _ in range(count):
        actor = fresh.volunteer()
        if velocity:
            begin = _instant(b)
            n = int(b.rng.integers(4, 7) if kind == GIFT else b.rng.integers(3, 5))
            times = sorted(begin + int(x) for x in b.rng.integers(0, 6 * 3600, n))
        else:
            n = int(b.rng.integers(9, 13) if kind == GIFT else b.rng.integers(7, 11))
            times = _spaced(b, n, (40, 76))
        recipients = [fresh.elder() for _ in range(3)] if kind == GIFT else [-1]
        for at in times:
            to = int(b.rng.choice(recipients))
            b.add_transfer(kind, actor, to, int(b.rng.integers(20, 51)) * 30, at)
        if kind == GIFT:
            rule = Rule.GIFT_VELOCITY if velocity else Rule.GIFT_COUNT
        else:
            rule = Rule.DONATION_VELOCITY if velocity else Rule.DONATION_COUNT
        b.label(rule, "person", str(actor))


def fan_in(b: CityBuilder, count: int, fresh: _Fresh) -> None:
    """Coins funnelled to one account from seven to ten givers within three weeks."""
    for _ in range(count):
        recipient, begin = fresh.elder(), _instant(b)
        for _ in range(int(b.rng.integers(7, 11))):
            at = begin + int(b.rng.integers(0, 20 * DAY_S))
            b.add_transfer(GIFT, fresh.volunteer(), recipient, int(b.rng.integers(10, 41)) * 30, at)
        b.label(Rule.GIFT_FAN_IN, "person", str(recipient))


def gift_then_redeem(b: CityBuilder, count: int, fresh: _Fresh) -> None:
    """A gift drained by redemptions within hours: coins laundered into care."""
    for _ in range(count):
        giver, recipient, at = fresh.volunteer(), fresh.elder(), _instant(b)
        minutes = int(b.rng.integers(20, 81)) * 30
        gid = b.add_transfer(GIFT, giver, recipient, minutes, at)
        spent = int(minutes * b.rng.uniform(0.8, 1.0)) // 30 * 30
        parts = [spent] if b.rng.random() < 0.5 else [spent // 2, spent - spent // 2]
        for part in parts:
            later = at + int(b.rng.integers(3600, 20 * 3600))
            b.add_transfer(REDEMPTION, recipient, -1, part, later)
        b.label(Rule.GIFT_THEN_REDEEM, "gift", str(gid))


def all_transfers(b: CityBuilder, counts: dict[Rule, int]) -> None:
    fresh = _Fresh(b)
    frequent(b, counts[Rule.GIFT_COUNT], fresh, GIFT, velocity=False)
    frequent(b, counts[Rule.GIFT_VELOCITY], fresh, GIFT, velocity=True)
    frequent(b, counts[Rule.DONATION_COUNT], fresh, DONATION, velocity=False)
    frequent(b, counts[Rule.DONATION_VELOCITY], fresh, DONATION, velocity=True)
    fan_in(b, counts[Rule.GIFT_FAN_IN], fresh)
    gift_then_redeem(b, counts[Rule.GIFT_THEN_REDEEM], fresh)
