"""The full scan: every rule over whole tables, alerts deduplicated, counted and timed per rule.

This is what ``timebank supervise scan`` calls after loading the tables; it reads and writes
nothing itself, so a scan can be repeated or run on a copy without side effects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

from timebank.supervision.detection.facts import Alert, Rule, dedupe
from timebank.supervision.detection.params import DEFAULT_PARAMS, DetectorParams
from timebank.supervision.detection.rules import graph, schedule, single_visit, stations, transfers
from timebank.supervision.detection.tables import (
    DONATION,
    GIFT,
    AccountTable,
    TransferTable,
    VisitTable,
)


@dataclass(frozen=True)
class ScanResult:
    alerts: list[Alert]
    counts: dict[Rule, int]  # after deduplication, every rule present (0 when silent)
    seconds: dict[Rule, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _plan(
    visits: VisitTable, tt: TransferTable, accounts: AccountTable, p: DetectorParams
) -> dict[Rule, Callable[[], list[Alert]]]:
    return {
        Rule.OVERLAP: partial(schedule.overlap, visits, p),
        Rule.LATE_NIGHT: partial(single_visit.late_night, visits, p),
        Rule.DAILY_CAP: partial(schedule.daily_cap, visits, p),
        Rule.FAR_CHECKIN: partial(single_visit.far_checkin, visits, p),
        Rule.IMPOSSIBLE_TRAVEL: partial(schedule.impossible_travel, visits, p),
        Rule.DURATION_OUTLIER: partial(single_visit.duration_outlier, visits, p),
        Rule.SAME_DEVICE: partial(single_visit.same_device, visits, p),
        Rule.NEW_ACCOUNT_FAST: partial(schedule.new_account_fast, visits, p, accounts),
        Rule.TWO_WAY_PAIR: partial(graph.two_way_pair, visits, p),
        Rule.RING: partial(graph.rings, visits, p),
        Rule.GIFT_COUNT: partial(transfers.frequency, tt, p, GIFT, False),
        Rule.GIFT_VELOCITY: partial(transfers.frequency, tt, p, GIFT, True),
        Rule.GIFT_FAN_IN: partial(transfers.fan_in, tt, p),
        Rule.GIFT_THEN_REDEEM: partial(transfers.gift_then_redeem, tt, p),
        Rule.DONATION_COUNT: partial(transfers.frequency, tt, p, DONATION, False),
        Rule.DONATION_VELOCITY: partial(transfers.frequency, tt, p, DONATION, True),
        Rule.OFFLINE_SHARE: partial(stations.offline_share, visits, p),
        Rule.STATION_VOLUME: partial(stations.station_volume, visits, p),
    }


def full_scan(
    visits: VisitTable,
    transfers_table: TransferTable | None = None,
    accounts: AccountTable | None = None,
    params: DetectorParams = DEFAULT_PARAMS,
    *,
    rules: Collection[Rule] | None = None,
    on_rule_done: Callable[[Rule, int], None] | None = None,
) -> ScanResult:
    """Run the chosen rules (all by default) and return deduplicated alerts with counts.

    ``on_rule_done(rule, alerts)`` lets the CLI drive a progress bar.
    """
    tt = transfers_table if transfers_table is not None else TransferTable.empty()
    acc = accounts if accounts is not None else AccountTable.build(visits.id[:0], visits.id[:0])
    plan = _plan(visits, tt, acc, params)
    alerts: list[Alert] = []
    counts: dict[Rule, int] = {}
    seconds: dict[Rule, float] = {}
    for rule, run in plan.items():
        if rules is not None and rule not in rules:
            continue
        began = time.perf_counter()
        found = dedupe(run())
        seconds[rule] = time.perf_counter() - began
        counts[rule] = len(found)
        alerts += found
        if on_rule_done is not None:
            on_rule_done(rule, len(found))
    return ScanResult(alerts=alerts, counts=counts, seconds=seconds)
