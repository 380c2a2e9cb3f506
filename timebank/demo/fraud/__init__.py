"""Plant every fraud pattern into an existing database at known rates, with the ground truth.

``inject_fraud(session, seed=…, rates=…, at=…)`` is the demo's hook: after the demo city is
written, it adds fraudulent visits, collusion, newcomers earning too fast, gift and donation
abuse, paper-record takeovers and ballooned station months, and returns what it planted as
(rule, subject kind, subject id) labels in the detectors' own terms, so a scan can be scored.
Rates are per 1,000 visits already in the database (station patterns: per 100 busy
station-months), as in ``synth.Rates``. Nothing is committed; a second run with the same seed
is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank.care.models import Visit
from timebank.demo.fraud import people, stations, transfers
from timebank.demo.fraud import visits as pv
from timebank.demo.fraud.world import load_world
from timebank.demo.fraud.write import credit_visits, insert_visits
from timebank.demo.synth import Label, Rates
from timebank.errors import Conflict
from timebank.ledger.models import Transfer
from timebank.supervision.detection.epoch import epoch
from timebank.supervision.detection.facts import Rule

__all__ = ["Planted", "Rates", "inject_fraud"]

SINGLE = (Rule.LATE_NIGHT, Rule.FAR_CHECKIN, Rule.SAME_DEVICE, Rule.DURATION_OUTLIER)


@dataclass(frozen=True)
class Planted:
    truth: frozenset[Label]
    injected: dict[Rule, int]
    visits: int  # visits added
    converted: int  # visits turned into paper records
    transfers: int  # gifts, donations and redemptions added


def inject_fraud(
    session: Session, *, seed: int, rates: Rates | None = None, at: datetime
) -> Planted:
    prefix = f"plant:{seed}"
    if session.execute(select(Transfer.id).where(Transfer.key.like(f"{prefix}:%"))).first():
        raise Conflict(f"fraud was already planted with seed {seed}", rule="planted")
    w = load_world(session, seed=seed, until=epoch(at))
    months = stations.station_months(w)
    counts = (rates or Rates()).counts(len(w.visits), len(months))
    labels: set[Label] = set()
    n_off, n_vol = counts[Rule.OFFLINE_SHARE], counts[Rule.STATION_VOLUME]
    paper = stations.offline_share(w, months[:n_off], labels)
    planned = stations.station_volume(w, months[n_off : n_off + n_vol], labels)
    planned += pv.overlap(w, counts[Rule.OVERLAP])
    for rule in SINGLE:
        planned += pv.singles(w, rule, counts[rule])
    planned += pv.impossible_travel(w, counts[Rule.IMPOSSIBLE_TRAVEL])
    planned += pv.daily_cap(w, counts[Rule.DAILY_CAP], labels)
    used: set[int] = set()
    for rule in (Rule.TWO_WAY_PAIR, Rule.RING):
        planned += people.collusion(w, rule, counts[rule], used, labels)
    planned += people.new_accounts(session, w, counts[Rule.NEW_ACCOUNT_FAST], labels)
    money = transfers.plan_transfers(w, counts, labels)

    if paper:
        session.execute(
            update(Visit)
            .where(Visit.id.in_(paper))
            .values(
                source="offline",
                check_in_method="paper",
                check_in_lat=None,
                check_in_lon=None,
                check_in_device=None,
                confirm_device=None,
            )
            .execution_options(synchronize_session=False)
        )
    ids = insert_visits(session, planned, by="plant", at=at)
    labels |= {(p.rule, "visit", str(i)) for p, i in zip(planned, ids, strict=True) if p.rule}
    credit_visits(session, planned, ids, key_prefix=prefix, actor="system(plant)", at=at)
    transfers.post_planned(session, money, key_prefix=prefix, actor="system(plant)", labels=labels)
    session.flush()
    return Planted(
        truth=frozenset(labels),
        injected=dict(Counter(rule for rule, _, _ in labels)),
        visits=len(planned),
        converted=len(paper),
        transfers=len(money),
    )
