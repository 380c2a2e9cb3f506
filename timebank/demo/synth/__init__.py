"""A deterministic synthetic city with fraud planted at known rates, for tests and the bench.

``make_city(n_visits, seed)`` builds an honest year (see ``city``), then plants every pattern
at ``Rates`` and returns the tables with the ground truth as (rule, subject kind, subject id).
The demo generator calls it to seed a demo database.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from timebank.demo.synth import inject_people, inject_stations, inject_transfers
from timebank.demo.synth import inject_visits as iv
from timebank.demo.synth.builder import CityBuilder, Label, SynthCity
from timebank.demo.synth.honest import add_honest_transfers, add_honest_visits
from timebank.supervision.detection.facts import Rule

__all__ = ["Label", "Rates", "SynthCity", "make_city", "make_honest_city"]

_PER_STATION_MONTH = (Rule.OFFLINE_SHARE, Rule.STATION_VOLUME)


@dataclass(frozen=True)
class Rates:
    """Planted instances per 1,000 honest visits (station rules: per 100 station-months)."""

    per_visit: float = 1.0  # overlap, late night, far check-in, device, duration, travel
    daily_cap: float = 0.3
    new_account_fast: float = 0.1
    two_way_pair: float = 0.1
    ring: float = 0.05
    transfers: float = 0.1  # each gift and donation pattern
    station: float = 1.0  # each station pattern

    def scaled(self, factor: float) -> Rates:
        """Every rate times ``factor`` (``Rates().scaled(2)``: twice the default fraud)."""
        if not 0 < factor < 1000:
            raise ValueError("the factor must be positive (and below 1,000)")
        return Rates(**{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def counts(self, n_visits: int, station_months: int) -> dict[Rule, int]:
        def n(rate: float, base: float) -> int:
            return max(1, round(rate * base)) if rate > 0 else 0

        k = n_visits / 1000
        out = {r: n(self.per_visit, k) for r in _PER_VISIT}
        out |= {Rule.DAILY_CAP: n(self.daily_cap, k), Rule.RING: n(self.ring, k)}
        out |= {Rule.NEW_ACCOUNT_FAST: n(self.new_account_fast, k)}
        out |= {Rule.TWO_WAY_PAIR: n(self.two_way_pair, k)}
        out |= {r: n(self.transfers, k) for r in _TRANSFER}
        out |= {r: n(self.station, station_months / 100) for r in _PER_STATION_MONTH}
        return out


_PER_VISIT = (
    Rule.OVERLAP,
    Rule.LATE_NIGHT,
    Rule.FAR_CHECKIN,
    Rule.SAME_DEVICE,
    Rule.DURATION_OUTLIER,
    Rule.IMPOSSIBLE_TRAVEL,
)
_TRANSFER = (
    Rule.GIFT_COUNT,
    Rule.GIFT_VELOCITY,
    Rule.GIFT_FAN_IN,
    Rule.GIFT_THEN_REDEEM,
    Rule.DONATION_COUNT,
    Rule.DONATION_VELOCITY,
)


def _honest_builder(n_visits: int, seed: int) -> CityBuilder:
    b = CityBuilder.empty(seed, max(200, n_visits // 25), max(4, n_visits // 4000))
    add_honest_visits(b, n_visits)
    add_honest_transfers(b, n_visits)
    return b


def make_honest_city(n_visits: int, seed: int) -> SynthCity:
    return _honest_builder(n_visits, seed).finish()


def make_city(n_visits: int, seed: int, rates: Rates | None = None) -> SynthCity:
    """About ``n_visits`` honest visits plus planted fraud; same arguments, same city."""
    b = _honest_builder(n_visits, seed)
    months = len(inject_stations.pick_station_months(b, 10**9))
    counts = (rates or Rates()).counts(len(b.honest), months)
    picks = inject_stations.pick_station_months(
        b, counts[Rule.OFFLINE_SHARE] + counts[Rule.STATION_VOLUME]
    )
    inject_stations.offline_share(b, picks[: counts[Rule.OFFLINE_SHARE]])
    inject_stations.station_volume(b, picks[counts[Rule.OFFLINE_SHARE] :])
    taken: set[int] = set()
    iv.far_checkin(b, counts[Rule.FAR_CHECKIN], taken)
    iv.same_device(b, counts[Rule.SAME_DEVICE], taken)
    anchors: set[int] = set()
    iv.overlap(b, counts[Rule.OVERLAP], anchors)
    iv.impossible_travel(b, counts[Rule.IMPOSSIBLE_TRAVEL], anchors)
    iv.late_night(b, counts[Rule.LATE_NIGHT])
    iv.daily_cap(b, counts[Rule.DAILY_CAP])
    iv.duration_outlier(b, counts[Rule.DURATION_OUTLIER])
    used: set[int] = set()
    inject_people.two_way_pairs(b, counts[Rule.TWO_WAY_PAIR], used)
    inject_people.rings(b, counts[Rule.RING], used)
    inject_people.new_account_fast(b, counts[Rule.NEW_ACCOUNT_FAST])
    inject_transfers.all_transfers(b, counts)
    return b.finish()
