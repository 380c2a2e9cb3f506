"""Read models of the case pages: the people a case names, everything a reviewer sees of a case,
and the consequences of a decision or an appeal stated before it is confirmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.ledger.models import Transfer
from timebank.people.models import District, Organisation, Person
from timebank.supervision.cases import case_alerts, case_people
from timebank.supervision.credits import named_credits
from timebank.supervision.models import (
    Alert,
    Appeal,
    Case,
    Decision,
    Sanction,
    UntrustworthyEntry,
    Watch,
)
from timebank.web import context as wc
from timebank.web.transactions import logged
from timebank.web.views import names_of


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    id_masked: str
    status: str
    watched: bool


def people_rows(web: wc.Web, s: Session, actor: Actor, ids: Sequence[int]) -> list[PersonRow]:
    """The people an alert or case names; reading them leaves a line in the access log."""
    if not ids:
        return []
    people = list(s.execute(select(Person).where(Person.id.in_(list(ids)))).scalars())
    watched = set(
        s.execute(
            select(Watch.person_id).where(Watch.person_id.in_(list(ids)), Watch.lifted_at.is_(None))
        ).scalars()
    )
    rows = []
    for p in sorted(people, key=lambda p: p.id):
        logged(web, s, actor, p.id, "supervision")
        rows.append(PersonRow(p.id, p.full_name, p.id_masked, p.status, p.id in watched))
    return rows


def org_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = s.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(rows.tuples().all())


def case_detail(web: wc.Web, s: Session, actor: Actor, case: Case) -> dict[str, Any]:
    sanctions = list(
        s.execute(select(Sanction).where(Sanction.case_id == case.id).order_by(Sanction.id))
        .scalars()
        .all()
    )
    listed = list(
        s.execute(
            select(UntrustworthyEntry)
            .where(UntrustworthyEntry.case_id == case.id)
            .order_by(UntrustworthyEntry.id)
        ).scalars()
    )
    district = s.get(District, case.district_code)
    orgs = org_names(s, {e.organisation_id for e in listed})
    return {
        "case": case,
        "district": "" if district is None else district.name_zh,
        "alerts": case_alerts(s, case.id),
        "people": people_rows(web, s, actor, case_people(s, case.id)),
        "decision": s.execute(
            select(Decision).where(Decision.case_id == case.id)
        ).scalar_one_or_none(),
        "sanctions": sanctions,
        "names": names_of(s, {x.person_id for x in sanctions}),
        "listed": [(e, orgs.get(e.organisation_id, "")) for e in listed],
        "appeals": list(
            s.execute(select(Appeal).where(Appeal.case_id == case.id).order_by(Appeal.id)).scalars()
        ),
    }


def _minutes(s: Session, transfer_ids: Sequence[int]) -> int:
    if not transfer_ids:
        return 0
    total = s.execute(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.id.in_(list(transfer_ids))
        )
    ).scalar_one()
    return int(total)


def consequences(
    web: wc.Web,
    s: Session,
    actor: Actor,
    case: Case,
    alerts: Sequence[Alert],
    outcome: str,
    orgs: Sequence[int],
) -> dict[str, Any]:
    """What ``decide_case(outcome)`` will do, in the terms the page states it."""
    ids = case_people(s, case.id)
    out: dict[str, Any] = {"people": people_rows(web, s, actor, ids), "credits": 0, "minutes": 0}
    if outcome == "confirm_fraud":
        credits = named_credits(s, alerts, ids)
        stations = {a.station_id for a in alerts if a.subject_kind == "station_month"}
        listed = {o for o in stations if o} | set(orgs)
        out.update(
            credits=len(credits),
            minutes=_minutes(s, credits),
            institutions=sorted(org_names(s, listed).values()),
        )
    return out


def appeal_consequences(s: Session, appeal: Appeal) -> dict[str, Any]:
    """What upholding ``appeal`` (reinstating) will undo."""
    live = list(
        s.execute(
            select(Sanction).where(Sanction.case_id == appeal.case_id, Sanction.lifted_at.is_(None))
        ).scalars()
    )
    reversals = [x for x in live if x.kind == "reversal"]
    listed = s.execute(
        select(UntrustworthyEntry.organisation_id).where(
            UntrustworthyEntry.case_id == appeal.case_id, UntrustworthyEntry.lifted_at.is_(None)
        )
    ).scalars()
    names = names_of(s, {x.person_id for x in live})
    return {
        "warned": sorted({names.get(x.person_id, "") for x in live if x.kind == "warning"}),
        "disqualified": sorted(
            {names.get(x.person_id, "") for x in live if x.kind == "disqualification"}
        ),
        "credits": len(reversals),
        "minutes": sum(x.minutes or 0 for x in reversals),
        "institutions": sorted(org_names(s, set(listed)).values()),
        "people": case_people(s, appeal.case_id),
    }


def has_sanctions(s: Session, person_id: int) -> bool:
    """Whether a case decided something about the person (their pages link to /appeals)."""
    found = s.execute(select(Sanction.id).where(Sanction.person_id == person_id).limit(1))
    return found.first() is not None
