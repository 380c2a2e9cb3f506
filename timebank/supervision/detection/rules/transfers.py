"""Gift and donation rules: count, velocity, fan-in to one recipient, gift soon redeemed.

Windowed rules alert once per person per calendar bucket of the window's length, so a re-scan
and the write-time check of the same event produce the same key.
"""

from __future__ import annotations

import numpy as np

from timebank.supervision.detection.epoch import I64, iso
from timebank.supervision.detection.facts import Alert, Rule, make_alert, severity
from timebank.supervision.detection.params import DetectorParams
from timebank.supervision.detection.tables import DONATION, GIFT, REDEMPTION, TransferTable


def _bucket(at: int, window_s: int) -> str:
    return str(np.datetime64((at // window_s) * window_s, "s"))


def _composite(actor: I64, at: I64, base: int) -> I64:
    return np.asarray((actor << 32) | (at - base), np.int64)


def frequency(
    tt: TransferTable, p: DetectorParams, kind: int, velocity: bool, focus: int | None = None
) -> list[Alert]:
    """Gifts (or donations) by one person: too many in the long window, or in the short one."""
    if kind == GIFT:
        rule = Rule.GIFT_VELOCITY if velocity else Rule.GIFT_COUNT
        hours = p.gift_velocity_hours if velocity else p.gift_count_window_days * 24
        threshold = p.gift_velocity_count if velocity else p.gift_count_threshold
    else:
        rule = Rule.DONATION_VELOCITY if velocity else Rule.DONATION_COUNT
        hours = p.donation_velocity_hours if velocity else p.donation_count_window_days * 24
        threshold = p.donation_velocity_count if velocity else p.donation_count_threshold
    window = hours * 3600
    rows = np.flatnonzero(tt.kind == kind)
    if len(rows) == 0 or window == 0:
        return []
    rows = rows[np.lexsort((tt.id[rows], tt.at[rows], tt.actor[rows]))]
    key = _composite(tt.actor[rows], tt.at[rows], int(tt.at[rows].min()) - window - 1)
    count = np.arange(len(rows)) - np.searchsorted(key, key - window, "right") + 1
    out = []
    for i in np.flatnonzero(count >= threshold):
        row = int(rows[i])
        if focus is not None and row != focus:
            continue
        person, at = int(tt.actor[row]), int(tt.at[row])
        evidence = {
            "person_id": person,
            "count": int(count[i]),
            "window_hours": hours,
            "window_end": iso(at),
            "ids": [int(x) for x in tt.id[rows[i - count[i] + 1 : i + 1]]],
        }
        score = severity(float(count[i]), threshold)
        bucket = _bucket(at, window)
        out.append(make_alert(rule, "person", str(person), score, evidence, [person], bucket))
    return out


def fan_in(tt: TransferTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """Gifts to one recipient from many distinct givers inside the window."""
    window, need = p.gift_fan_in_days * 86_400, p.gift_fan_in_givers
    rows = np.flatnonzero(tt.kind == GIFT)
    if focus is not None:
        rows = rows[tt.recipient[rows] == tt.recipient[focus]]
    pairs = np.unique((tt.recipient[rows] << 32) | tt.actor[rows])
    people, distinct = np.unique(pairs >> 32, return_counts=True)
    # Only recipients with enough givers over the whole table can pass in a window.
    rows = rows[np.isin(tt.recipient[rows], people[distinct >= need])]
    rows = rows[np.lexsort((tt.id[rows], tt.at[rows], tt.recipient[rows]))]
    out = []
    lo = 0
    for hi, row in enumerate(rows.tolist()):
        while tt.recipient[rows[lo]] != tt.recipient[row] or tt.at[rows[lo]] <= tt.at[row] - window:
            lo += 1
        givers = sorted({int(g) for g in tt.actor[rows[lo : hi + 1]]})
        if len(givers) < need or (focus is not None and row != focus):
            continue
        person, at = int(tt.recipient[row]), int(tt.at[row])
        evidence = {"person_id": person, "givers": givers, "window_end": iso(at)}
        score = severity(len(givers), need)
        bucket = _bucket(at, window)
        rule = Rule.GIFT_FAN_IN
        out.append(make_alert(rule, "person", str(person), score, evidence, [person], bucket))
    return out


def gift_then_redeem(tt: TransferTable, p: DetectorParams, focus: int | None = None) -> list[Alert]:
    """A recipient spends a large share of a gift within hours of receiving it."""
    horizon = p.gift_redeem_hours * 3600
    gifts = np.flatnonzero(tt.kind == GIFT)
    spends = np.flatnonzero(tt.kind == REDEMPTION)
    if focus is not None:
        if tt.kind[focus] == REDEMPTION:
            mine = tt.recipient[gifts] == tt.actor[focus]
            recent = tt.at[gifts] >= tt.at[focus] - horizon
            gifts = gifts[mine & recent & (tt.at[gifts] <= tt.at[focus])]
        else:
            gifts = gifts[gifts == focus]
    if len(gifts) == 0 or len(spends) == 0:
        return []
    base = int(min(tt.at[gifts].min(), tt.at[spends].min())) - 1
    spends = spends[np.lexsort((tt.at[spends], tt.actor[spends]))]
    key = _composite(tt.actor[spends], tt.at[spends], base)
    spent = np.concatenate([[0], np.cumsum(tt.minutes[spends])])
    lo = np.searchsorted(key, _composite(tt.recipient[gifts], tt.at[gifts], base), "left")
    hi = np.searchsorted(
        key, _composite(tt.recipient[gifts], tt.at[gifts] + horizon, base), "right"
    )
    redeemed = spent[hi] - spent[lo]
    out = []
    for g in np.flatnonzero(redeemed >= p.gift_redeem_fraction * tt.minutes[gifts]):
        row = int(gifts[g])
        if tt.minutes[row] <= 0:
            continue
        evidence = {
            "gift_id": int(tt.id[row]),
            "giver_id": int(tt.actor[row]),
            "recipient_id": int(tt.recipient[row]),
            "gift_minutes": int(tt.minutes[row]),
            "redeemed_minutes": int(redeemed[g]),
            "within_hours": p.gift_redeem_hours,
            "at": iso(int(tt.at[row])),
            "redemption_ids": [int(x) for x in tt.id[spends[lo[g] : hi[g]]]],
        }
        share = float(redeemed[g]) / float(tt.minutes[row])
        score = severity(share, p.gift_redeem_fraction)
        people = [int(tt.recipient[row]), int(tt.actor[row])]
        gid = str(int(tt.id[row]))
        out.append(make_alert(Rule.GIFT_THEN_REDEEM, "gift", gid, score, evidence, people))
    return out


def all_transfer_rules(
    tt: TransferTable, p: DetectorParams, focus: int | None = None
) -> list[Alert]:
    alerts = []
    for kind in (GIFT, DONATION):
        for velocity in (False, True):
            alerts += frequency(tt, p, kind, velocity, focus)
    alerts += fan_in(tt, p, focus)
    alerts += gift_then_redeem(tt, p, focus)
    return alerts
