"""Precision and recall of alerts against planted ground truth, per rule and overall."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from timebank.demo.synth.builder import Label
from timebank.supervision.detection.facts import Alert, Rule


@dataclass(frozen=True)
class Score:
    planted: int
    alerts: int
    correct_alerts: int  # alerts that point at a planted instance
    found: int  # planted instances at least one alert points at

    @property
    def precision(self) -> float:
        return self.correct_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0


def _hits(alert: Alert, subject: str) -> bool:
    """Exact subject, or for rings a sub-cycle of a planted ring.

    A planted ring A→B→C→D→A plus an honest heavy edge B→D also closes A→B→D→A; that alert
    names only planted people, so it leads the reviewer to the ring and counts as correct.
    """
    if alert.subject_id == subject:
        return True
    if alert.rule is Rule.RING:
        return set(alert.subject_id.split("-")) <= set(subject.split("-"))
    return False


def evaluate(alerts: Iterable[Alert], truth: Iterable[Label]) -> dict[Rule, Score]:
    planted: dict[Rule, set[str]] = defaultdict(set)
    for rule, _kind, subject in truth:
        planted[rule].add(subject)
    raised: dict[Rule, dict[str, Alert]] = defaultdict(dict)
    for alert in alerts:  # one alert per subject: windowed rules may alert once per bucket
        raised[alert.rule].setdefault(alert.subject_id, alert)
    out = {}
    for rule in Rule:
        subjects, mine = planted[rule], list(raised[rule].values())
        if rule is Rule.RING:  # sub-cycles count, so match pairwise (rings are few)
            correct = sum(any(_hits(a, s) for s in subjects) for a in mine)
            found = sum(any(_hits(a, s) for a in mine) for s in subjects)
        else:
            correct = sum(a.subject_id in subjects for a in mine)
            found = len(subjects & raised[rule].keys())
        out[rule] = Score(len(subjects), len(mine), correct, found)
    return out


def overall(scores: dict[Rule, Score]) -> Score:
    return Score(
        planted=sum(s.planted for s in scores.values()),
        alerts=sum(s.alerts for s in scores.values()),
        correct_alerts=sum(s.correct_alerts for s in scores.values()),
        found=sum(s.found for s in scores.values()),
    )
