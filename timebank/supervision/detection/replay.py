"""Write-time contexts cut from whole tables, as the database layer will load them.

Used to replay records through the write-time checks (the bench times them, the tests compare
them with the scan), and as the reference for which history each check needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np

from timebank.supervision.detection.epoch import I64, from_epoch
from timebank.supervision.detection.facts import Account, Donation, Gift, Redemption, Visit
from timebank.supervision.detection.live import TransferContext, VisitContext
from timebank.supervision.detection.params import DEFAULT_PARAMS, DetectorParams
from timebank.supervision.detection.tables import (
    DONATION,
    GIFT,
    REDEMPTION,
    UNKNOWN,
    AccountTable,
    TransferTable,
    VisitTable,
)

E = TypeVar("E", Gift, Donation, Redemption)


class _Index:
    """Rows sorted by (key, time), answering "rows of key k with time in [lo, hi]"."""

    def __init__(self, key: I64, at: I64, rows: I64) -> None:
        order = np.lexsort((at[rows], key[rows]))
        self.rows, self.key, self.at = rows[order], key[rows][order], at[rows][order]

    def between(self, k: int, lo: int, hi: int) -> I64:
        a, b = np.searchsorted(self.key, k, "left"), np.searchsorted(self.key, k, "right")
        times = self.at[a:b]
        return self.rows[
            a + np.searchsorted(times, lo, "left") : a + np.searchsorted(times, hi, "right")
        ]


class History:
    def __init__(
        self,
        visits: VisitTable,
        transfers: TransferTable,
        accounts: AccountTable,
        params: DetectorParams = DEFAULT_PARAMS,
        baseline: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.v, self.tt, self.accounts, self.p, self.baseline = (
            visits,
            transfers,
            accounts,
            params,
            baseline,
        )
        every = np.arange(len(visits), dtype=np.int64)
        self.by_volunteer = _Index(visits.volunteer, visits.start, every)
        self.by_edge = _Index((visits.volunteer << 32) | visits.elder, visits.start, every)
        t_all = np.arange(len(transfers), dtype=np.int64)
        gifts = t_all[transfers.kind == GIFT]
        self.gifts_by_giver = _Index(transfers.actor, transfers.at, gifts)
        self.gifts_by_recipient = _Index(transfers.recipient, transfers.at, gifts)
        self.donations = _Index(transfers.actor, transfers.at, t_all[transfers.kind == DONATION])
        self.spends = _Index(transfers.actor, transfers.at, t_all[transfers.kind == REDEMPTION])

    def visit(self, row: int) -> tuple[Visit, VisitContext]:
        v, p = self.v, self.p
        vol, elder, start = int(v.volunteer[row]), int(v.elder[row]), int(v.start[row])
        span = p.context_days * 86_400
        mine = self.by_volunteer.between(vol, start - span, start + span)
        window = p.pair_window_days * 86_400
        pair = np.concatenate(
            [
                self.by_edge.between((vol << 32) | elder, start - window, start),
                self.by_edge.between((elder << 32) | vol, start - window, start),
            ]
        )
        created = int(self.accounts.created(np.array([vol], np.int64))[0])
        account = None if created == UNKNOWN else Account(vol, from_epoch(created))
        context = VisitContext(
            volunteer_visits=v.to_visits(mine[mine != row]),
            pair_visits=v.to_visits(pair[pair != row]),
            account=account,
            duration_baseline=self.baseline,
        )
        return v.to_visits([row])[0], context

    def transfer(self, row: int) -> tuple[Gift | Donation | Redemption, TransferContext]:
        tt, p = self.tt, self.p
        at, actor = int(tt.at[row]), int(tt.actor[row])
        if tt.kind[row] == GIFT:
            own = self.gifts_by_giver.between(actor, at - p.gift_count_window_days * 86_400, at)
            fan = p.gift_fan_in_days * 86_400
            received = self.gifts_by_recipient.between(int(tt.recipient[row]), at - fan, at)
            # As of the write: the redemptions that may drain this gift do not exist yet.
            context = TransferContext(gifts=_of(tt, np.union1d(own, received), Gift))
        elif tt.kind[row] == DONATION:
            window = p.donation_count_window_days * 86_400
            mine = self.donations.between(actor, at - window, at)
            context = TransferContext(donations=_of(tt, mine, Donation))
        else:
            hours = p.gift_redeem_hours * 3600
            context = TransferContext(
                gifts=_of(tt, self.gifts_by_recipient.between(actor, at - hours, at), Gift),
                redemptions=_of(tt, self.spends.between(actor, at - hours, at), Redemption),
            )
        return tt.to_events([row])[0], context


def _of(tt: TransferTable, rows: I64, cls: type[E]) -> list[E]:
    return [e for e in tt.to_events(rows.tolist()) if isinstance(e, cls)]
