"""The numbers on the admin dashboards, scoped to a district (or the whole city): people,
needs and match rate, hours by category and month, outstanding coins, open alerts and cases.
Served as a page (``/a``) and as JSON (``GET /api/v1/dashboard``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from timebank.care.models import Need, Visit
from timebank.catalog.models import ServiceItem
from timebank.ledger.models import POOL_ID, Account, Transfer
from timebank.people.models import Person
from timebank.supervision.models import Alert, Case

MATCHED = ("assigned", "in_progress", "completed", "confirmed", "disputed")
UNMATCHED = ("open", "expired")


@dataclass
class Dashboard:
    volunteers: int = 0
    elders: int = 0
    needs_by_status: dict[str, int] = field(default_factory=dict)
    match_rate: float | None = None
    hours_by_category: dict[str, float] = field(default_factory=dict)
    hours_by_month: list[tuple[str, float]] = field(default_factory=list)
    outstanding_minutes: int = 0
    pool_minutes: int | None = None
    open_alerts: int = 0
    open_cases: int = 0
    alerts_by_rule: dict[str, int] = field(default_factory=dict)


def build(session: Session, *, district_code: str | None, today: date) -> Dashboard:
    d = Dashboard()
    people = select(Person.id)
    if district_code:
        people = people.where(Person.district_code == district_code)
    in_scope = Person.district_code == district_code if district_code else true()

    d.volunteers = (
        session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.volunteer_status == "active", Person.status == "active", in_scope)
        )
        or 0
    )
    d.elders = (
        session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.volunteer_status == "none", Person.status == "active", in_scope)
        )
        or 0
    )

    need_q = select(Need.status, func.count()).group_by(Need.status)
    if district_code:
        need_q = need_q.where(Need.district_code == district_code)
    d.needs_by_status = {status: n for status, n in session.execute(need_q).tuples()}
    matched = sum(d.needs_by_status.get(s, 0) for s in MATCHED)
    unmatched = sum(d.needs_by_status.get(s, 0) for s in UNMATCHED)
    d.match_rate = matched / (matched + unmatched) if matched + unmatched else None

    credit = (
        select(Transfer.memo, Transfer.reference, Transfer.amount, Transfer.value_date)
        .join(Account, Account.id == Transfer.credit_account_id)
        .where(Transfer.kind == "service_credit")
    )
    if district_code:
        credit = credit.join(Person, Person.id == Account.person_id).where(
            Person.district_code == district_code
        )
    by_visit = {
        visit_id: category
        for visit_id, category in session.execute(
            select(Visit.id, ServiceItem.category_code)
            .join(Need, Need.id == Visit.need_id)
            .join(ServiceItem, ServiceItem.id == Need.item_id)
        ).tuples()
    }
    first_month = date(today.year - 1, today.month, 1)
    months: dict[str, float] = {}
    for memo, reference, amount, value_date in session.execute(credit).tuples():
        category = memo
        if reference and reference.startswith("visit:") and reference[6:].isdigit():
            category = by_visit.get(int(reference[6:]), memo)
        key = category or "-"
        d.hours_by_category[key] = d.hours_by_category.get(key, 0.0) + amount / 60
        if value_date is not None and value_date >= first_month:
            label = value_date.strftime("%Y-%m")
            months[label] = months.get(label, 0.0) + amount / 60
    d.hours_by_month = sorted(months.items())

    balances = select(func.coalesce(func.sum(Account.balance), 0)).where(
        Account.person_id.in_(people)
    )
    d.outstanding_minutes = int(session.scalar(balances) or 0)
    if district_code is None:
        pool = session.get(Account, POOL_ID)
        d.pool_minutes = pool.balance if pool else 0
        d.outstanding_minutes += d.pool_minutes

    alerts = select(Alert.rule, func.count()).where(Alert.status != "closed").group_by(Alert.rule)
    cases = select(func.count()).select_from(Case).where(Case.status.in_(("open", "assigned")))
    if district_code:
        alerts = alerts.where(Alert.district_code == district_code)
        cases = cases.where(Case.district_code == district_code)
    d.alerts_by_rule = {rule: n for rule, n in session.execute(alerts).tuples()}
    d.open_alerts = sum(d.alerts_by_rule.values())
    d.open_cases = session.scalar(cases) or 0
    return d
