"""Planted gift and donation fraud, posted through the ledger's engine with the planter's keys.

Givers and donors are volunteers who have never given (so honest gifts do not add to the
count) and hold the coins; recipients are people who have never spent, so an honest spend
does not look like a gift cashed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.demo.fraud.world import DAY, World, local_at
from timebank.demo.synth import Label
from timebank.ledger.core import TransferSpec, post_transfers
from timebank.ledger.models import POOL_ID, REDEMPTION_ID, Account
from timebank.supervision.detection.epoch import from_epoch
from timebank.supervision.detection.facts import Rule

HOUR = 3600


@dataclass
class PlannedTransfer:
    kind: str  # gift | donation | redemption
    actor: int
    recipient: int | None
    minutes: int
    at: int
    rule: Rule | None = None  # labelled with the transfer id once posted


def _person(w: World, needed: int, used: set[int], avoid: set[int]) -> int | None:
    """An old volunteer holding ``needed`` minutes, not used yet and not in ``avoid``."""
    for _ in range(200):
        person = int(w.rng.choice(w.old))
        if person in used or person in avoid or w.available.get(person, 0) < needed:
            continue
        used.add(person)
        w.available[person] -= needed
        return person
    return None


def _recipient(w: World, used: set[int]) -> int | None:
    for _ in range(200):
        person = int(w.rng.choice(w.old))
        if person not in used and person not in w.spent and person in w.available:
            used.add(person)
            return person
    return None


def _times(w: World, n: int, span_s: int) -> list[int]:
    """``n`` daytime instants spread over ``span_s`` seconds from a random planting day."""
    first = local_at(int(w.rng.integers(w.lo, max(w.lo + 1, w.hi - span_s // DAY - 1))), 9 * 60)
    if span_s <= DAY:
        return [first + int(x) for x in sorted(w.rng.uniform(0, span_s, n))]
    step = span_s // n
    return [first + i * step + int(w.rng.integers(0, HOUR * 8)) for i in range(n)]


def plan_transfers(w: World, counts: dict[Rule, int], labels: set[Label]) -> list[PlannedTransfer]:
    out: list[PlannedTransfer] = []
    used: set[int] = set()
    for rule, kind, low, high, span in (
        (Rule.GIFT_COUNT, "gift", 9, 13, 40),
        (Rule.GIFT_VELOCITY, "gift", 4, 7, 0),
        (Rule.DONATION_COUNT, "donation", 7, 11, 40),
        (Rule.DONATION_VELOCITY, "donation", 3, 5, 0),
    ):
        for _ in range(counts.get(rule, 0)):
            n = int(w.rng.integers(low, high))
            days = int(w.rng.integers(span, 76)) if span else 0
            actor = _person(w, 30 * n, used, w.gave if kind == "gift" else w.donated)
            if actor is None:
                break
            recipients = [_recipient(w, used) for _ in range(2)] if kind == "gift" else [None]
            if kind == "gift" and None in recipients:
                break
            times = _times(w, n, days * DAY if days else 6 * HOUR)
            out += [
                PlannedTransfer(kind, actor, recipients[i % len(recipients)], 30, at)
                for i, at in enumerate(times)
            ]
            labels.add((rule, "person", str(actor)))
    for _ in range(counts.get(Rule.GIFT_FAN_IN, 0)):
        recipient = _recipient(w, used)
        givers = [_person(w, 30, used, w.gave) for _ in range(int(w.rng.integers(7, 11)))]
        if recipient is None or None in givers:
            break
        times = _times(w, len(givers), 20 * DAY)
        out += [
            PlannedTransfer("gift", g, recipient, 30, at)
            for g, at in zip(givers, times, strict=True)
            if g is not None
        ]
        labels.add((Rule.GIFT_FAN_IN, "person", str(recipient)))
    for _ in range(counts.get(Rule.GIFT_THEN_REDEEM, 0)):
        amount = int(w.rng.integers(2, 5)) * 30
        giver, recipient = _person(w, amount, used, w.gave), _recipient(w, used)
        if giver is None or recipient is None:
            break
        [at] = _times(w, 1, DAY)
        spend = int(amount * w.rng.uniform(0.8, 1.0))
        later = at + int(w.rng.uniform(1, 20) * HOUR)
        out.append(PlannedTransfer("gift", giver, recipient, amount, at, Rule.GIFT_THEN_REDEEM))
        out.append(PlannedTransfer("redemption", recipient, None, spend, later))
    return out


def post_planned(
    session: Session,
    planned: Sequence[PlannedTransfer],
    *,
    key_prefix: str,
    actor: str,
    labels: set[Label],
) -> int:
    """Post each planned transfer in order; returns how many were posted."""
    people = sorted({p.actor for p in planned} | {p.recipient for p in planned if p.recipient})
    accounts = {
        (person, kind): account
        for person, kind, account in session.execute(
            select(Account.person_id, Account.kind, Account.id).where(Account.person_id.in_(people))
        ).all()
    }
    for i, p in enumerate(planned):
        if p.kind == "gift":
            debit, credit = accounts[p.actor, "earned"], accounts[p.recipient, "received"]
            kind = "gift"
        elif p.kind == "donation":
            debit, credit, kind = accounts[p.actor, "earned"], POOL_ID, "donation"
        else:
            debit, credit, kind = accounts[p.actor, "received"], REDEMPTION_ID, "service_payment"
        spec = TransferSpec(
            key=f"{key_prefix}:{p.kind}:{i}",
            kind=kind,
            debit_account_id=debit,
            credit_account_id=credit,
            amount=p.minutes,
            reference=f"person:{p.recipient}" if p.recipient else None,
        )
        [posted] = post_transfers(session, [spec], actor=actor, at=from_epoch(p.at))
        if p.rule is not None:
            labels.add((p.rule, "gift", str(posted.id)))
    return len(planned)
