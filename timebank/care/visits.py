"""Visit use cases: check in and out with the elder's code, confirm and rate → coins post.

A confirmation is one transaction with two ledger effects: the volunteer's credit (minted from
``issuance``, rounded and capped) and the elder's payment (the need's hold posted for the
service received, the rest released). A dispute leaves the hold in place until the station
decides.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import domain_events
from timebank.actors import Actor, Role
from timebank.care import codes, rules
from timebank.care.models import Need, Visit
from timebank.care.needs import get_need, move, open_holds, release_holds
from timebank.care.stations import require_trusted_station
from timebank.catalog.models import ServiceItem
from timebank.clock import local_date
from timebank.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from timebank.ledger import services as ledger
from timebank.ledger.models import Transfer
from timebank.people.qualifications import has_valid_qualification
from timebank.people.repository import get_person
from timebank.people.scope import require_self_proxy_or_station, require_station_in
from timebank.people.services import serving_refusals
from timebank.policy import Policy


def get_visit(session: Session, visit_id: int, *, lock: bool = False) -> Visit:
    query = select(Visit).where(Visit.id == visit_id)
    visit = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"no visit {visit_id}", field="visit_id")
    return visit


def _step(visit: Visit, new: str) -> None:
    rules.require_move(rules.VISIT_FLOW, "visit", visit.status, new)
    visit.status = new


def _position(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="lat")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("the position is not on Earth", field="lat")


def _presence(session: Session, actor: Actor, visit: Visit, code: str | None, at: datetime) -> str:
    """How the elder's presence is proven: their rotating code, or their proxy's own act."""
    if actor.role is Role.VOLUNTEER:
        if actor.person_id != visit.volunteer_id:
            raise PermissionDenied("this visit is another volunteer's", rule="own_visit")
        if not code or not codes.code_matches(session, elder_id=visit.elder_id, code=code, at=at):
            raise RuleViolation(
                "the elder's code is wrong or has expired", rule="elder_code", field="code"
            )
        return "code"
    require_self_proxy_or_station(actor, get_person(session, visit.elder_id))
    require_trusted_station(session, actor)
    if actor.person_id == visit.volunteer_id:
        raise PermissionDenied("a volunteer cannot vouch for their own visit", rule="own_visit")
    return "proxy"


def check_in(
    session: Session,
    *,
    actor: Actor,
    visit_id: int,
    code: str | None,
    at: datetime,
    policy: Policy,
    lat: float | None = None,
    lon: float | None = None,
    device: str | None = None,
) -> Visit:
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    _position(lat, lon)
    method = _presence(session, actor, visit, code, at)
    if not rules.check_in_window_ok(need.window_start, need.window_end, at):
        raise RuleViolation(
            "check-in is open from 30 minutes before the window until it ends",
            rule="check_in_window",
        )
    refusals = serving_refusals(
        session, person_id=visit.volunteer_id, on=local_date(at), policy=policy
    )
    if refusals:
        raise RuleViolation(f"the volunteer may not serve: {', '.join(refusals)}", rule=refusals[0])
    item = session.get(ServiceItem, need.item_id)
    if (
        item is not None
        and item.required_qualification
        and not has_valid_qualification(
            session, visit.volunteer_id, item.required_qualification, local_date(at)
        )
    ):
        raise RuleViolation(
            f"this item needs a valid {item.required_qualification} qualification",
            rule="qualification",
        )
    _step(visit, "checked_in")
    visit.check_in_at, visit.check_in_lat, visit.check_in_lon = at, lat, lon
    visit.check_in_method, visit.check_in_device = method, device
    move(need, "in_progress", at)
    session.flush()
    return visit


def check_out(
    session: Session,
    *,
    actor: Actor,
    visit_id: int,
    code: str | None,
    at: datetime,
    lat: float | None = None,
    lon: float | None = None,
) -> Visit:
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    _position(lat, lon)
    _presence(session, actor, visit, code, at)
    _step(visit, "checked_out")
    if visit.check_in_at is None or at < visit.check_in_at:
        raise InvalidInput("check-out cannot be before check-in", field="at")
    visit.check_out_at, visit.check_out_lat, visit.check_out_lon = at, lat, lon
    visit.duration_minutes = rules.duration_minutes(visit.check_in_at, at)
    move(need, "completed", at)
    session.flush()
    return visit


def settle_visit(
    session: Session,
    *,
    actor: Actor,
    visit: Visit,
    need: Need,
    minutes: int,
    policy: Policy,
    at: datetime,
) -> None:
    """Credit the volunteer and take the elder's payment, in the caller's transaction.

    Records the domain events ``("visit", visit.id)`` and, through the ledger, a
    ``("redemption", …)`` per posted payment from an elder's own coins."""
    started = visit.check_in_at or visit.scheduled_start
    credit = ledger.credit_service(
        session,
        actor=actor,
        key=f"visit:{visit.id}:credit",
        volunteer_id=visit.volunteer_id,
        duration_minutes=minutes,
        started_at=started,
        reference=f"visit:{visit.id}",
        policy=policy,
        at=at,
    )
    holds = open_holds(session, need.id)
    held = sum(session.execute(select(Transfer.amount).where(Transfer.id.in_(holds))).scalars())
    paid = rules.payment_minutes(minutes, held, policy.credit_unit_minutes)
    if holds:
        ledger.settle_holds(
            session, actor=actor, key=f"visit:{visit.id}:pay", hold_ids=holds, amount=paid, at=at
        )
    visit.credited_minutes = credit.amount if credit else 0
    visit.paid_minutes = paid
    # Supervision checks the settled visit after commit (timebank.domain_events).
    domain_events.record(session, "visit", visit.id)


def confirm_visit(
    session: Session,
    *,
    actor: Actor,
    visit_id: int,
    rating: int,
    comment: str = "",
    at: datetime,
    policy: Policy,
    device: str | None = None,
) -> Visit:
    """The elder (or proxy, or station for the elder) confirms and rates; the coins post."""
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    if actor.role is Role.VOLUNTEER or actor.acts_as(visit.volunteer_id):
        raise PermissionDenied("the elder's side confirms a visit", rule="elder_confirms")
    require_self_proxy_or_station(actor, get_person(session, visit.elder_id))
    require_trusted_station(session, actor)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("rating is a whole number from 1 to 5", field="rating")
    if len(comment) > 500:
        raise InvalidInput("the comment is longer than 500 characters", field="comment")
    _step(visit, "confirmed")
    move(need, "confirmed", at)
    visit.rating, visit.comment = rating, comment.strip() or None
    visit.confirmed_by, visit.confirmed_at, visit.confirm_device = actor.label, at, device
    settle_visit(
        session,
        actor=actor,
        visit=visit,
        need=need,
        minutes=visit.duration_minutes or 0,
        policy=policy,
        at=at,
    )
    session.flush()
    return visit


def dispute_visit(
    session: Session, *, actor: Actor, visit_id: int, reason: str, at: datetime
) -> Visit:
    """The elder's side disputes instead of confirming: nothing posts, the hold stays."""
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    require_self_proxy_or_station(actor, get_person(session, visit.elder_id))
    if not reason.strip():
        raise InvalidInput("say what is wrong with the visit", field="reason")
    _step(visit, "disputed")
    move(need, "disputed", at)
    visit.dispute_reason = reason.strip()
    session.flush()
    return visit


def resolve_dispute(
    session: Session,
    *,
    actor: Actor,
    visit_id: int,
    uphold: bool,
    minutes: int | None,
    resolution: str,
    at: datetime,
    policy: Policy,
) -> Visit:
    """The station decides: uphold (credit ``minutes``, default the recorded duration) or reject
    (nothing is credited and the elder's hold is released)."""
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    require_station_in(actor, need.district_code)
    require_trusted_station(session, actor)
    if not resolution.strip():
        raise InvalidInput("record how the dispute was decided", field="resolution")
    visit.resolution = resolution.strip()
    if not uphold:
        _step(visit, "rejected")
        move(need, "cancelled", at)
        visit.credited_minutes = visit.paid_minutes = 0
        release_holds(session, actor=actor, need=need, at=at)
        session.flush()
        return visit
    granted = visit.duration_minutes or 0 if minutes is None else minutes
    if (
        isinstance(granted, bool)
        or not isinstance(granted, int)
        or granted < 0
        or granted > (visit.duration_minutes or 0)
    ):
        raise InvalidInput("minutes must be between 0 and the recorded duration", field="minutes")
    _step(visit, "confirmed")
    move(need, "confirmed", at)
    visit.confirmed_by, visit.confirmed_at = actor.label, at
    settle_visit(
        session, actor=actor, visit=visit, need=need, minutes=granted, policy=policy, at=at
    )
    session.flush()
    return visit


def record_no_show(session: Session, *, actor: Actor, visit_id: int, at: datetime) -> Visit:
    """The volunteer never came: the visit is marked, the need reopens for someone else."""
    visit = get_visit(session, visit_id, lock=True)
    need = get_need(session, visit.need_id, lock=True)
    require_self_proxy_or_station(actor, get_person(session, visit.elder_id))
    if at < visit.scheduled_start:
        raise RuleViolation("a no-show is recorded after the visit was due", rule="no_show_early")
    _step(visit, "no_show")
    move(need, "open", at)
    need.volunteer_id = None
    session.flush()
    return visit
