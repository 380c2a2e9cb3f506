"""Write-time checks: run after a visit, gift, donation or redemption is committed.

Each check builds a tiny table from the new record plus the recent history the caller loaded
and runs the same rule functions the full scan runs, focused on the new row, so both ways of
running agree by construction and share dedup keys. Rings and station anomalies need the whole
graph or a whole month and are left to the scan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from timebank.supervision.detection.facts import (
    Account,
    Alert,
    Donation,
    Gift,
    Redemption,
    Visit,
    dedupe,
)
from timebank.supervision.detection.params import DEFAULT_PARAMS, DetectorParams
from timebank.supervision.detection.rules import graph, schedule, single_visit, transfers
from timebank.supervision.detection.tables import (
    DONATION,
    GIFT,
    REDEMPTION,
    AccountTable,
    TransferTable,
    VisitTable,
)


@dataclass(frozen=True)
class VisitContext:
    """History the caller loads before checking one visit.

    - ``volunteer_visits``: the volunteer's other visits starting from ``params.context_days``
      before the new one (later ones too, if back-filling).
    - ``pair_visits``: visits between the same two people, either direction, in the last
      ``params.pair_window_days``.
    - ``account``: the volunteer's account, for the new-account rule.
    - ``duration_baseline``: per category (median ln minutes, sigma) from the last full scan
      (``single_visit.duration_baseline``); without it durations are not judged.
    """

    volunteer_visits: Sequence[Visit] = ()
    pair_visits: Sequence[Visit] = ()
    account: Account | None = None
    duration_baseline: Mapping[str, tuple[float, float]] | None = None


def check_visit(
    visit: Visit, context: VisitContext, params: DetectorParams = DEFAULT_PARAMS
) -> list[Alert]:
    """Alerts the new visit takes part in (row 0 of the tables built here)."""
    others = [v for v in context.volunteer_visits if v.id != visit.id]
    table = VisitTable.from_visits([visit, *others])
    alerts = [
        *schedule.overlap(table, params, 0),
        *single_visit.late_night(table, params, 0),
        *schedule.daily_cap(table, params, 0),
        *single_visit.far_checkin(table, params, 0),
        *schedule.impossible_travel(table, params, 0),
        *single_visit.same_device(table, params, 0),
    ]
    if context.duration_baseline is not None:
        base = context.duration_baseline
        alerts += single_visit.duration_outlier(table, params, 0, base)
    if context.account is not None:
        accounts = AccountTable.from_accounts([context.account])
        alerts += schedule.new_account_fast(table, params, accounts, 0)
    pair = [v for v in context.pair_visits if v.id != visit.id]
    if pair:
        alerts += graph.two_way_pair(VisitTable.from_visits([visit, *pair]), params, 0)
    return dedupe(alerts)


@dataclass(frozen=True)
class TransferContext:
    """History the caller loads before checking one gift, donation or redemption.

    For a gift: the giver's gifts in ``gift_count_window_days`` and the gifts the recipient
    received in ``gift_fan_in_days``. For a donation: the donor's donations in
    ``donation_count_window_days``. For a redemption: the gifts the redeemer received and the
    redemptions they made in the last ``gift_redeem_hours``.
    """

    gifts: Sequence[Gift] = ()
    donations: Sequence[Donation] = ()
    redemptions: Sequence[Redemption] = ()


def check_transfer(
    event: Gift | Donation | Redemption,
    context: TransferContext,
    params: DetectorParams = DEFAULT_PARAMS,
) -> list[Alert]:
    """Alerts the new event triggers; the context may or may not already contain it."""

    def other(record: Gift | Donation | Redemption) -> bool:
        return not (type(record) is type(event) and record.id == event.id)

    gifts = [g for g in context.gifts if other(g)]
    donations = [d for d in context.donations if other(d)]
    spends = [r for r in context.redemptions if other(r)]
    if isinstance(event, Gift):
        kind, gifts = GIFT, [*gifts, event]
    elif isinstance(event, Donation):
        kind, donations = DONATION, [*donations, event]
    else:
        kind, spends = REDEMPTION, [*spends, event]
    table = TransferTable.from_events(gifts, donations, spends)
    focus = int(np.flatnonzero((table.kind == kind) & (table.id == event.id))[0])
    return dedupe(transfers.all_transfer_rules(table, params, focus))


def check_gift(
    gift: Gift, context: TransferContext, params: DetectorParams = DEFAULT_PARAMS
) -> list[Alert]:
    return check_transfer(gift, context, params)


def check_donation(
    donation: Donation, context: TransferContext, params: DetectorParams = DEFAULT_PARAMS
) -> list[Alert]:
    return check_transfer(donation, context, params)


def check_redemption(
    redemption: Redemption, context: TransferContext, params: DetectorParams = DEFAULT_PARAMS
) -> list[Alert]:
    return check_transfer(redemption, context, params)
