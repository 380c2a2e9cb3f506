"""Reads of supervision, scoped for the actor: alerts, cases and what a reviewer sees of one,
the watch list, appeals and the public untrustworthy list. The pages and the API share them.

A district admin sees their own district (whatever district was asked); another district's
alert or case reads as 404 (``auth.scope``). Listings go through ``timebank.paging``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from timebank import paging
from timebank.actors import Actor, Role
from timebank.auth.models import User
from timebank.auth.scope import sees_district
from timebank.errors import NotFound
from timebank.people.models import Organisation, Person
from timebank.supervision.models import (
    Alert,
    AlertPerson,
    Appeal,
    Case,
    CaseAlert,
    Decision,
    Sanction,
    UntrustworthyEntry,
    Watch,
)


def listed_district(actor: Actor, asked: str | None) -> str | None:
    """The district a list is limited to: a district admin's own, else what was asked."""
    if actor.role is Role.DISTRICT_ADMIN:
        return actor.district_code
    return asked


# One record ------------------------------------------------------------------------------------


def alert(session: Session, actor: Actor, alert_id: int, *, field: str = "alert_id") -> Alert:
    found = session.get(Alert, alert_id)
    # An alert of no district (a station's, unplaced) is the city's to see.
    if found is None or not sees_district(actor, found.district_code or ""):
        raise NotFound(f"no alert {alert_id}", field=field)
    return found


def case(session: Session, actor: Actor, case_id: int) -> Case:
    found = session.get(Case, case_id)
    if found is None or not sees_district(actor, found.district_code):
        raise NotFound(f"no case {case_id}", field="case_id")
    return found


def case_alerts(session: Session, case_id: int) -> list[Alert]:
    return list(
        session.execute(
            select(Alert)
            .join(CaseAlert, CaseAlert.alert_id == Alert.id)
            .where(CaseAlert.case_id == case_id)
            .order_by(Alert.id)
        ).scalars()
    )


def case_people(session: Session, case_id: int) -> list[int]:
    """Every person an alert of the case names."""
    return sorted(
        set(
            session.execute(
                select(AlertPerson.person_id)
                .join(CaseAlert, CaseAlert.alert_id == AlertPerson.alert_id)
                .where(CaseAlert.case_id == case_id)
            ).scalars()
        )
    )


def case_of_alert(session: Session, alert_id: int) -> int | None:
    return session.execute(
        select(CaseAlert.case_id).where(CaseAlert.alert_id == alert_id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Listing:
    entry: UntrustworthyEntry
    name: str
    district_code: str


@dataclass(frozen=True)
class CaseRecord:
    """Everything a reviewer sees of a case."""

    case: Case
    alerts: list[Alert]
    people: list[int]
    decision: Decision | None
    sanctions: list[Sanction]
    appeals: list[Appeal]
    listings: list[Listing]


def decision_of(session: Session, case_id: int) -> Decision | None:
    return session.execute(select(Decision).where(Decision.case_id == case_id)).scalar_one_or_none()


def sanctions_of(session: Session, case_id: int, *, live: bool = False) -> list[Sanction]:
    query = select(Sanction).where(Sanction.case_id == case_id)
    if live:
        query = query.where(Sanction.lifted_at.is_(None))
    return list(session.execute(query.order_by(Sanction.id)).scalars())


def has_sanctions(session: Session, person_id: int) -> bool:
    found = session.execute(select(Sanction.id).where(Sanction.person_id == person_id).limit(1))
    return found.first() is not None


def appeals_of(session: Session, case_id: int) -> list[Appeal]:
    return list(
        session.execute(
            select(Appeal).where(Appeal.case_id == case_id).order_by(Appeal.id)
        ).scalars()
    )


def _listing_query() -> Select[Any]:
    return select(UntrustworthyEntry, Organisation.name, Organisation.district_code).join(
        Organisation, Organisation.id == UntrustworthyEntry.organisation_id
    )


def _listings(rows: Sequence[Any]) -> list[Listing]:
    return [Listing(e, name, code) for e, name, code in rows]


def listings_of(
    session: Session, *, case_id: int | None = None, org_id: int | None = None
) -> list[Listing]:
    """The untrustworthy entries of a case or of an institution, in the order made."""
    query = _listing_query()
    if case_id is not None:
        query = query.where(UntrustworthyEntry.case_id == case_id)
    if org_id is not None:
        query = query.where(UntrustworthyEntry.organisation_id == org_id)
    return _listings(session.execute(query.order_by(UntrustworthyEntry.id)).tuples().all())


def case_record(session: Session, case: Case) -> CaseRecord:
    return CaseRecord(
        case=case,
        alerts=case_alerts(session, case.id),
        people=case_people(session, case.id),
        decision=decision_of(session, case.id),
        sanctions=sanctions_of(session, case.id),
        appeals=appeals_of(session, case.id),
        listings=listings_of(session, case_id=case.id),
    )


def watched(session: Session, person_ids: Sequence[int]) -> set[int]:
    """Which of the people are on the watch list now."""
    if not person_ids:
        return set()
    return set(
        session.execute(
            select(Watch.person_id).where(
                Watch.person_id.in_(list(person_ids)), Watch.lifted_at.is_(None)
            )
        ).scalars()
    )


# Listings --------------------------------------------------------------------------------------

BY_SCORE = (Alert.score.desc(), Alert.id.desc())


def alerts(
    session: Session,
    actor: Actor,
    window: paging.Window,
    *,
    status: str | None = None,
    rule: str | None = None,
    district_code: str | None = None,
    person_id: int | None = None,
    by_score: bool = False,
) -> paging.Page[Alert]:
    """Alerts by id (keyset) or, ``by_score``, highest score first (numbered pages)."""
    query = select(Alert)
    district = listed_district(actor, district_code)
    if district:
        query = query.where(Alert.district_code == district)
    if status:
        query = query.where(Alert.status == status)
    if rule:
        query = query.where(Alert.rule == rule)
    if person_id is not None:
        named = select(AlertPerson.alert_id).where(AlertPerson.person_id == person_id)
        query = query.where(Alert.id.in_(named))
    if by_score:
        return paging.fetch(session, query, window, order_by=BY_SCORE)
    return paging.fetch(session, query, window, key=Alert.id)


def alert_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many alerts each rule raised, in the actor's district."""
    query = select(Alert.rule, func.count()).group_by(Alert.rule)
    district = listed_district(actor, None)
    if district:
        query = query.where(Alert.district_code == district)
    return dict(session.execute(query).tuples().all())


def cases(
    session: Session,
    actor: Actor,
    window: paging.Window,
    *,
    status: str | None = None,
    district_code: str | None = None,
    newest_first: bool = False,
) -> paging.Page[Case]:
    query = select(Case)
    district = listed_district(actor, district_code)
    if district:
        query = query.where(Case.district_code == district)
    if status:
        query = query.where(Case.status == status)
    if newest_first:
        return paging.fetch(session, query, window, order_by=(Case.id.desc(),))
    return paging.fetch(session, query, window, key=Case.id)


def alert_numbers(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    """How many alerts each case groups."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseAlert.case_id, func.count())
        .where(CaseAlert.case_id.in_(list(case_ids)))
        .group_by(CaseAlert.case_id)
    )
    return dict(rows.tuples().all())


def watch_list(
    session: Session,
    actor: Actor,
    window: paging.Window,
    *,
    district_code: str | None = None,
    lifted: bool = False,
    latest_first: bool = False,
) -> paging.Page[tuple[Watch, str]]:
    """(watch, the person's name): by person id (keyset) or the latest alert first."""
    query = select(Watch, Person.full_name).join(Person, Person.id == Watch.person_id)
    district = listed_district(actor, district_code)
    if district:
        query = query.where(Person.district_code == district)
    if not lifted:
        query = query.where(Watch.lifted_at.is_(None))
    if latest_first:
        order = (Watch.last_alert_at.desc(), Watch.person_id)
        return paging.fetch(session, query, window, order_by=order)
    return paging.fetch(
        session, query, window, key=Watch.person_id, key_of=lambda row: row[0].person_id
    )


def appeals(
    session: Session,
    actor: Actor,
    window: paging.Window,
    *,
    status: str | None = None,
    district_code: str | None = None,
) -> paging.Page[Appeal]:
    """Appeals, by their case's district."""
    query = select(Appeal)
    district = listed_district(actor, district_code)
    if district:
        query = query.join(Case, Case.id == Appeal.case_id).where(Case.district_code == district)
    if status:
        query = query.where(Appeal.status == status)
    return paging.fetch(session, query, window, key=Appeal.id)


def untrustworthy(
    session: Session,
    window: paging.Window,
    *,
    district_code: str | None = None,
    lifted: bool = False,
    in_force_first: bool = False,
) -> paging.Page[Listing]:
    """The public untrustworthy list (anyone reads it): by entry id (keyset) or, for the page,
    listings in force first, the latest first."""
    query = _listing_query()
    if district_code:
        query = query.where(Organisation.district_code == district_code)
    if not lifted:
        query = query.where(UntrustworthyEntry.lifted_at.is_(None))
    if in_force_first:
        order = (UntrustworthyEntry.lifted_at.is_not(None), UntrustworthyEntry.listed_at.desc())
        found = paging.fetch(session, query, window, order_by=order)
    else:
        found = paging.fetch(session, query, window, key=UntrustworthyEntry.id)
    return found.map(lambda row: Listing(*row))


def reviewers(session: Session, case: Case) -> list[tuple[int, str]]:
    """(user id, name) of who may review the case: its district's admins, then the city's."""
    rows = session.execute(
        select(User.id, User.display_name, User.role)
        .where(
            User.status == "active",
            or_(
                User.role == "city_admin",
                (User.role == "district_admin") & (User.district_code == case.district_code),
            ),
        )
        .order_by(User.role.desc(), User.id)
    ).all()
    return [(uid, name) for uid, name, _role in rows]
