"""Read models of the case pages: the people a case names, everything a reviewer sees of a case,
and the consequences of a decision or an appeal stated before it is confirmed.

The consequences of a decision are its plan (``supervision.plans.plan_decision``), the one
``decide_case`` carries out; the reads are ``supervision.queries``'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.people import queries as people_q
from timebank.people.models import District
from timebank.supervision import queries as q
from timebank.supervision.models import Appeal, Case
from timebank.supervision.plans import DecisionPlan
from timebank.web import context as wc
from timebank.web.transactions import logged


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    id_masked: str
    status: str
    watched: bool


def people_rows(web: wc.Web, s: Session, actor: Actor, ids: Sequence[int]) -> list[PersonRow]:
    """The people an alert or case names; reading them leaves a line in the access log."""
    watched = q.watched(s, list(ids))
    rows = []
    for p in people_q.people_by_id(s, ids):
        logged(web, s, actor, p.id, "supervision")
        rows.append(PersonRow(p.id, p.full_name, p.id_masked, p.status, p.id in watched))
    return rows


def case_detail(web: wc.Web, s: Session, actor: Actor, case: Case) -> dict[str, Any]:
    record = q.case_record(s, case)
    district = s.get(District, case.district_code)
    return {
        "case": case,
        "district": "" if district is None else district.name_zh,
        "alerts": record.alerts,
        "people": people_rows(web, s, actor, record.people),
        "decision": record.decision,
        "sanctions": record.sanctions,
        "names": people_q.names(s, {x.person_id for x in record.sanctions}),
        "listed": [(x.entry, x.name) for x in record.listings],
        "appeals": record.appeals,
    }


def consequences(web: wc.Web, s: Session, actor: Actor, plan: DecisionPlan) -> dict[str, Any]:
    """What ``decide_case`` will do — its own plan — in the terms the page states it."""
    orgs = people_q.organisation_names(s, plan.organisations)
    return {
        "people": people_rows(web, s, actor, plan.people),
        "credits": len(plan.reversals),
        "minutes": plan.minutes,
        "institutions": sorted(orgs.values()),
        "reversals": plan.reversals,
    }


def appeal_consequences(s: Session, appeal: Appeal) -> dict[str, Any]:
    """What upholding ``appeal`` (reinstating) will undo."""
    live = q.sanctions_of(s, appeal.case_id, live=True)
    reversals = [x for x in live if x.kind == "reversal"]
    listed = [x.name for x in q.listings_of(s, case_id=appeal.case_id) if x.entry.lifted_at is None]
    names = people_q.names(s, {x.person_id for x in live})
    return {
        "warned": sorted({names.get(x.person_id, "") for x in live if x.kind == "warning"}),
        "disqualified": sorted(
            {names.get(x.person_id, "") for x in live if x.kind == "disqualification"}
        ),
        "credits": len(reversals),
        "minutes": sum(x.minutes or 0 for x in reversals),
        "institutions": sorted(set(listed)),
        "people": q.case_people(s, appeal.case_id),
    }


def has_sanctions(s: Session, person_id: int) -> bool:
    """Whether a case decided something about the person (their pages link to /appeals)."""
    return q.has_sanctions(s, person_id)
