"""Giving needs to volunteers: accept one (就近就便), station dispatch in batch, nearby lists.

The database is read into the matching core's plain values; the core's named rules decide
feasibility, for one accept exactly as for a batch, and every assignment is re-checked here.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.care.models import Need, Visit, VolunteerProfile
from timebank.care.needs import get_need, move
from timebank.catalog.data import CATEGORIES
from timebank.catalog.models import ServiceItem
from timebank.clock import LOCAL_TZ, age_on, local_date
from timebank.errors import PermissionDenied, RuleViolation
from timebank.ledger.models import Account, Transfer
from timebank.matching import models as m
from timebank.matching.nearby import NearbyNeed, accept, build_need_index, nearby
from timebank.matching.solver import dispatch
from timebank.people.qualifications import valid_qualifications
from timebank.people.repository import get_person
from timebank.people.scope import require_staff_in
from timebank.people.services import serving_refusals
from timebank.policy import Policy

DEFAULT_RADIUS_M = 3000
DEFAULT_DAY = (time(8, 0), time(20, 0))  # volunteers without a profile: daytime, every day
BOOKED = ("scheduled", "checked_in")


def need_view(need: Need, item: ServiceItem, rating: float = 0.0) -> m.Need:
    return _view(
        need.id,
        item.category_code,
        item.required_qualification,
        need.lat,
        need.lon,
        need.window_start,
        need.window_end,
        need.expected_minutes,
        need.attendee_ids,
        rating,
    )


def _view(
    need_id: int,
    category: str,
    qualification: str | None,
    lat: float,
    lon: float,
    window_start: datetime,
    window_end: datetime,
    expected_minutes: int,
    attendee_ids: list[int] | None,
    rating: float = 0.0,
) -> m.Need:
    earliest = m.epoch_s(window_start)
    latest = m.epoch_s(window_end) - expected_minutes * 60
    return m.Need(
        id=need_id,
        category=category,
        lat=lat,
        lon=lon,
        earliest_start=earliest,
        latest_start=max(latest, earliest),
        duration_s=expected_minutes * 60,
        qualification=qualification,
        attendee_ids=frozenset(attendee_ids or ()),
        elder_rating=rating,
    )


def _windows(profile: VolunteerProfile | None, first: date, last: date) -> tuple[m.Interval, ...]:
    weekly = (
        [(d, DEFAULT_DAY[0], DEFAULT_DAY[1]) for d in range(7)]
        if profile is None or not profile.availability
        else [
            (int(str(w)), time.fromisoformat(str(a)), time.fromisoformat(str(b)))
            for w, a, b in profile.availability
        ]
    )
    out = []
    day = first
    while day <= last:
        for weekday, start, end in weekly:
            if weekday == day.weekday() and end > start:
                out.append(
                    m.Interval(
                        m.epoch_s(datetime.combine(day, start, LOCAL_TZ)),
                        m.epoch_s(datetime.combine(day, end, LOCAL_TZ)),
                    )
                )
        day += timedelta(days=1)
    return tuple(out)


def volunteer_view(
    session: Session,
    person_id: int,
    *,
    first: date,
    last: date,
    at: datetime,
    with_workload: bool = True,
) -> m.Volunteer:
    """The volunteer as the matching core sees them. ``with_workload=False`` skips the
    fairness total, which only the dispatch solver weighs (not the nearby list)."""
    person = get_person(session, person_id, field="volunteer_id")
    profile = session.get(VolunteerProfile, person_id)
    lat = profile.lat if profile and profile.lat is not None else person.lat
    lon = profile.lon if profile and profile.lon is not None else person.lon
    if lat is None or lon is None:
        raise RuleViolation("the volunteer has no home location", rule="volunteer_location")
    booked = session.execute(
        select(Visit.scheduled_start, Visit.scheduled_end).where(
            Visit.volunteer_id == person_id, Visit.status.in_(BOOKED)
        )
    ).all()
    quals = valid_qualifications(session, person_id, local_date(at))
    since = at - timedelta(days=30)
    earned = (  # service credits land on the earned account: one index range per person
        select(Account.id)
        .where(Account.person_id == person_id, Account.kind == "earned")
        .scalar_subquery()
    )
    workload = (
        session.execute(
            select(func.coalesce(func.sum(Transfer.amount), 0)).where(
                Transfer.credit_account_id == earned,
                Transfer.kind == "service_credit",
                Transfer.created_at >= since,
            )
        ).scalar_one()
        if with_workload
        else 0
    )
    minor = age_on(person.birth_date, local_date(at)) < 18
    return m.Volunteer(
        id=person_id,
        lat=lat,
        lon=lon,
        radius_m=profile.radius_m if profile else DEFAULT_RADIUS_M,
        categories=tuple(profile.categories)
        if profile and profile.categories
        else tuple(c for c, _, _ in CATEGORIES),
        windows=_windows(profile, first, last),
        booked=tuple(m.Interval(m.epoch_s(a), m.epoch_s(b)) for a, b in booked),
        qualifications=tuple(
            m.Qualification(
                q.type,
                True,
                None
                if q.valid_until is None
                else m.epoch_s(datetime.combine(q.valid_until, time.max, LOCAL_TZ)),
            )
            for q in quals
        ),
        guardian_id=person.guardian_id if minor else None,
        workload_min=int(workload),
    )


def assign_need(
    session: Session,
    *,
    actor: Actor,
    need_id: int,
    volunteer_id: int,
    policy: Policy,
    at: datetime,
) -> Visit:
    """The volunteer takes the need (accept), or staff assign it (dispatch); re-checked here."""
    need = get_need(session, need_id, lock=True)
    if actor.role in (Role.STATION, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        require_staff_in(actor, need.district_code)
    elif actor.person_id != volunteer_id or actor.role not in (Role.VOLUNTEER, Role.SYSTEM):
        raise PermissionDenied("volunteers accept needs for themselves", rule="self_accept")
    if need.status != "open":
        move(need, "assigned", at)  # raises the state rule
    refusals = serving_refusals(session, person_id=volunteer_id, on=local_date(at), policy=policy)
    if refusals:
        raise RuleViolation(
            f"the volunteer may not serve: {', '.join(refusals)}",
            rule=refusals[0],
            details={"rules": refusals},
        )
    if volunteer_id == need.elder_id:
        raise RuleViolation("a volunteer cannot serve themselves", rule="self_service")
    # Lock the volunteer row so two accepts by one volunteer cannot both pass the overlap rule.
    session.execute(select(Account.id).where(Account.person_id == volunteer_id).with_for_update())
    item = session.get(ServiceItem, need.item_id)
    assert item is not None
    volunteer = volunteer_view(
        session,
        volunteer_id,
        first=local_date(need.window_start),
        last=local_date(need.window_end),
        at=at,
    )
    placed = accept(need_view(need, item), volunteer)
    start = datetime.fromtimestamp(placed.start, UTC)
    visit = Visit(
        need_id=need.id,
        volunteer_id=volunteer_id,
        elder_id=need.elder_id,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=need.expected_minutes),
        status="scheduled",
        source=need.source,
        created_at=at,
    )
    session.add(visit)
    move(need, "assigned", at)
    need.volunteer_id = volunteer_id
    session.flush()
    return visit


def withdraw(session: Session, *, actor: Actor, visit_id: int, at: datetime) -> Need:
    """A volunteer gives a scheduled visit back; the need is open again."""
    visit = session.get(Visit, visit_id)
    if visit is None or not actor.acts_as(visit.volunteer_id):
        raise PermissionDenied("only the assigned volunteer may withdraw", rule="self_withdraw")
    need = get_need(session, visit.need_id, lock=True)
    if visit.status != "scheduled":
        raise RuleViolation(f"the visit is {visit.status}", rule="visit_state")
    visit.status = "cancelled"
    move(need, "open", at)
    need.volunteer_id = None
    session.flush()
    return need


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) in degrees enclosing the circle of ``radius_m`` around
    the point, with a 1 % margin; never narrower than the circle (valid away from the poles)."""
    dlat = radius_m * 1.01 / 111_195.0
    dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.0))), 1e-6)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _open_needs(
    session: Session,
    *,
    at: datetime,
    district_code: str | None,
    box: tuple[float, float, float, float] | None = None,
) -> list[m.Need]:
    # Plain columns, not ORM entities: this runs on every nearby list.
    query = (
        select(
            Need.id,
            ServiceItem.category_code,
            ServiceItem.required_qualification,
            Need.lat,
            Need.lon,
            Need.window_start,
            Need.window_end,
            Need.expected_minutes,
            Need.attendee_ids,
        )
        .join(ServiceItem, ServiceItem.id == Need.item_id)
        .where(Need.status == "open", Need.window_end > at)
        .order_by(Need.id)
    )
    if district_code:
        query = query.where(Need.district_code == district_code)
    if box is not None:
        south, north, west, east = box
        query = query.where(Need.lat.between(south, north), Need.lon.between(west, east))
    return [
        _view(*row)
        for row in session.execute(query).tuples()
        if row[6] - timedelta(minutes=row[7]) >= at
    ]


def nearby_needs(
    session: Session, *, volunteer_id: int, at: datetime, limit: int = 20
) -> list[NearbyNeed]:
    """Open needs this volunteer may take now, nearest and best-fitting first.

    Only needs inside the bounding box of the volunteer's radius are loaded (the exact
    distance and every other rule are checked by the matching core), so the cost follows
    the needs near the volunteer, not the city's."""
    person = get_person(session, volunteer_id, field="volunteer_id")
    profile = session.get(VolunteerProfile, volunteer_id)
    lat = profile.lat if profile and profile.lat is not None else person.lat
    lon = profile.lon if profile and profile.lon is not None else person.lon
    if lat is None or lon is None:
        raise RuleViolation("the volunteer has no home location", rule="volunteer_location")
    radius = profile.radius_m if profile else DEFAULT_RADIUS_M
    needs = _open_needs(session, at=at, district_code=None, box=bounding_box(lat, lon, radius))
    if not needs:
        return []
    first = min(datetime.fromtimestamp(n.earliest_start, UTC) for n in needs)
    last = max(datetime.fromtimestamp(n.latest_end, UTC) for n in needs)
    volunteer = volunteer_view(
        session,
        volunteer_id,
        first=local_date(first),
        last=local_date(last),
        at=at,
        with_workload=False,
    )
    return nearby(volunteer, build_need_index(needs), limit=limit)


def dispatch_district(
    session: Session, *, actor: Actor, district_code: str, policy: Policy, at: datetime
) -> m.DispatchResult:
    """Assign the district's open needs in one optimal batch over feasible pairs only."""
    require_staff_in(actor, district_code)
    needs = _open_needs(session, at=at, district_code=district_code)
    if not needs:
        return m.DispatchResult((), (), 0, 0)
    first = min(datetime.fromtimestamp(n.earliest_start, UTC) for n in needs)
    last = max(datetime.fromtimestamp(n.latest_end, UTC) for n in needs)
    candidates = session.execute(_active_volunteers(district_code)).scalars().all()
    today = local_date(at)
    volunteers = []
    for pid in candidates:
        if serving_refusals(session, person_id=pid, on=today, policy=policy):
            continue
        try:
            volunteers.append(
                volunteer_view(session, pid, first=local_date(first), last=local_date(last), at=at)
            )
        except RuleViolation:
            continue
    result = dispatch(needs, volunteers)
    for a in result.assignments:
        assign_need(
            session,
            actor=actor,
            need_id=a.need_id,
            volunteer_id=a.volunteer_id,
            policy=policy,
            at=at,
        )
    return result


def _active_volunteers(district_code: str) -> Select[tuple[int]]:
    from timebank.people.models import Person

    return (
        select(Person.id)
        .where(
            Person.district_code == district_code,
            Person.volunteer_status == "active",
            Person.status == "active",
        )
        .order_by(Person.id)
    )
