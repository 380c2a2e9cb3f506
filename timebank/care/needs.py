"""Need use cases: publish → station review (hold) → open → assigned … or cancelled/expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.care import rules
from timebank.care.models import Need, Visit
from timebank.care.stations import require_trusted_station, station_for
from timebank.catalog.services import get_item
from timebank.clock import local_date
from timebank.errors import InsufficientBalance, InvalidInput, NotFound, RuleViolation
from timebank.ledger import rules as coin_rules
from timebank.ledger import services as ledger
from timebank.ledger.models import POOL_ID, Account
from timebank.people.kinship import verified_relation
from timebank.people.models import Person
from timebank.people.repository import get_person
from timebank.people.scope import require_self_proxy_or_station, require_station_in
from timebank.policy import Policy


@dataclass(frozen=True)
class NeedRequest:
    """What an elder (or proxy) asks for; validated by ``publish_need``."""

    elder_id: int
    item_id: int
    description: str
    window_start: datetime
    window_end: datetime
    expected_minutes: int
    payer_id: int | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    preferences: dict[str, Any] | None = None
    attendee_ids: tuple[int, ...] = ()
    funding: str = "own"
    repeat_weeks: int = 1


def _validate(req: NeedRequest, elder: Person, at: datetime, policy: Policy) -> None:
    if not req.description.strip() or len(req.description) > 500:
        raise InvalidInput("describe the need (at most 500 characters)", field="description")
    if req.window_start.tzinfo is None or req.window_end.tzinfo is None:
        raise InvalidInput("times need a time zone", field="window_start")
    if req.window_end <= req.window_start:
        raise InvalidInput("the window must end after it starts", field="window_end")
    if req.window_start < at:
        raise InvalidInput("the window must be in the future", field="window_start")
    if not isinstance(req.expected_minutes, int) or isinstance(req.expected_minutes, bool):
        raise InvalidInput("expected_minutes is a whole number", field="expected_minutes")
    if not policy.credit_unit_minutes <= req.expected_minutes <= rules.MAX_EXPECTED_MINUTES:
        raise InvalidInput(
            f"expected_minutes must be {policy.credit_unit_minutes}–{rules.MAX_EXPECTED_MINUTES}",
            field="expected_minutes",
        )
    if req.window_start + timedelta(minutes=req.expected_minutes) > req.window_end:
        raise InvalidInput("the visit does not fit in the window", field="expected_minutes")
    if not 1 <= req.repeat_weeks <= rules.MAX_SERIES:
        raise InvalidInput(f"repeat_weeks is 1–{rules.MAX_SERIES}", field="repeat_weeks")
    if req.funding not in ("own", "pool"):
        raise InvalidInput("funding is 'own' or 'pool'", field="funding")
    if req.lat is not None and not (-90 <= req.lat <= 90):
        raise InvalidInput("latitude out of range", field="lat")
    if req.lon is not None and not (-180 <= req.lon <= 180):
        raise InvalidInput("longitude out of range", field="lon")
    if (req.address is None and elder.address is None) or (
        (req.lat is None or req.lon is None) and (elder.lat is None or elder.lon is None)
    ):
        raise InvalidInput("an address with coordinates is required", field="address")


def publish_need(
    session: Session, *, actor: Actor, request: NeedRequest, policy: Policy, at: datetime
) -> list[Need]:
    """Publish one need, or a weekly series; each waits for its station's review."""
    elder = get_person(session, request.elder_id, field="elder_id")
    require_self_proxy_or_station(actor, elder)
    require_trusted_station(session, actor)
    _validate(request, elder, at, policy)
    item = get_item(session, request.item_id)
    if not item.active or item.district_code not in (None, elder.district_code):
        raise InvalidInput(
            "that service item is not offered in the elder's district", field="item_id"
        )
    payer = get_person(session, request.payer_id or elder.id, field="payer_id")
    relation = verified_relation(session, payer.id, elder.id) if payer.id != elder.id else None
    coin_rules.require_can_redeem(
        coin_rules.PersonFacts(payer.id, payer.status, payer.birth_date),
        coin_rules.PersonFacts(elder.id, elder.status, elder.birth_date),
        relation,
        on=local_date(request.window_start),
        policy=policy,
    )
    total = request.expected_minutes * request.repeat_weeks
    if request.funding == "pool":
        if elder.priority_reason is None:
            raise RuleViolation(
                "only priority elders have needs funded by the pool", rule="pool_priority_only"
            )
        pool = session.get(Account, POOL_ID)
        if pool is None or pool.balance - pool.pending < total:
            raise InsufficientBalance(
                "the donation pool cannot cover this need", rule="pool_balance"
            )
    elif (usable := ledger.usable_balance(session, person_id=payer.id)) < total:
        raise InsufficientBalance(
            f"the usable balance ({usable} min) does not cover {total} min",
            rule="need_balance",
            field="expected_minutes",
        )
    station_id = station_for(
        session, district_code=elder.district_code, street_code=elder.street_code
    )
    needs: list[Need] = []
    for week in range(request.repeat_weeks):
        shift = timedelta(weeks=week)
        need = Need(
            elder_id=elder.id,
            payer_id=payer.id,
            item_id=item.id,
            district_code=elder.district_code,
            station_id=station_id,
            description=request.description.strip(),
            address=(request.address or elder.address or "").strip(),
            lat=request.lat if request.lat is not None else elder.lat,
            lon=request.lon if request.lon is not None else elder.lon,
            window_start=request.window_start + shift,
            window_end=request.window_end + shift,
            expected_minutes=request.expected_minutes,
            preferences=request.preferences or {},
            attendee_ids=list(request.attendee_ids),
            funding=request.funding,
            status="pending_review",
            published_by=actor.label,
            created_at=at,
            updated_at=at,
        )
        session.add(need)
        session.flush()
        if needs:
            need.series_id = needs[0].id
        needs.append(need)
    if len(needs) > 1:
        needs[0].series_id = needs[0].id
    session.flush()
    return needs


def get_need(session: Session, need_id: int, *, lock: bool = False) -> Need:
    query = select(Need).where(Need.id == need_id)
    need = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if need is None:
        raise NotFound(f"no need {need_id}", field="need_id")
    return need


def move(need: Need, new: str, at: datetime) -> None:
    rules.require_move(rules.NEED_FLOW, "need", need.status, new)
    need.status, need.updated_at = new, at


def open_holds(session: Session, need_id: int) -> list[int]:
    """The need's pending holds that are not yet posted or voided."""
    return ledger.open_holds(session, reference=f"need:{need_id}")


def review_need(
    session: Session,
    *,
    actor: Actor,
    need_id: int,
    approve: bool,
    reason: str = "",
    policy: Policy,
    at: datetime,
) -> Need:
    """A station approves (holding the coins) or rejects (with a reason) a published need."""
    need = get_need(session, need_id, lock=True)
    require_station_in(actor, need.district_code)
    require_trusted_station(session, actor)
    if not approve:
        if not reason.strip():
            raise InvalidInput("say why the need is rejected", field="reason")
        move(need, "rejected", at)
        need.reason, need.reviewed_by = reason.strip(), actor.label
        session.flush()
        return need
    move(need, "open", at)
    key = f"need:{need.id}:hold"
    if need.funding == "pool":
        ledger.hold_from_pool(
            session,
            actor=actor,
            key=key,
            amount=need.expected_minutes,
            reference=f"need:{need.id}",
            at=at,
        )
    else:
        ledger.hold_for_care(
            session,
            actor=actor,
            key=key,
            holder_id=need.payer_id,
            beneficiary_id=need.elder_id,
            amount=need.expected_minutes,
            reference=f"need:{need.id}",
            policy=policy,
            at=at,
        )
    need.reviewed_by = actor.label
    session.flush()
    return need


def release_holds(session: Session, *, actor: Actor, need: Need, at: datetime) -> None:
    holds = open_holds(session, need.id)
    if holds:
        ledger.settle_holds(
            session, actor=actor, key=f"need:{need.id}:release", hold_ids=holds, amount=0, at=at
        )


def cancel_need(session: Session, *, actor: Actor, need_id: int, reason: str, at: datetime) -> Need:
    """The elder, a proxy or the station cancels; held coins are released."""
    need = get_need(session, need_id, lock=True)
    require_self_proxy_or_station(actor, get_person(session, need.elder_id))
    if not reason.strip():
        raise InvalidInput("say why the need is cancelled", field="reason")
    move(need, "cancelled", at)
    need.reason = reason.strip()
    for visit in session.execute(
        select(Visit).where(Visit.need_id == need.id, Visit.status == "scheduled")
    ).scalars():
        visit.status = "cancelled"
    release_holds(session, actor=actor, need=need, at=at)
    session.flush()
    return need


def expire_needs(session: Session, *, actor: Actor, at: datetime) -> int:
    """Open or unreviewed needs whose window has closed expire; their holds are released."""
    stale = (
        session.execute(
            select(Need)
            .where(Need.status.in_(("open", "pending_review")), Need.window_end < at)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for need in stale:
        need.status, need.updated_at = "expired", at
        release_holds(session, actor=actor, need=need, at=at)
    session.flush()
    return len(stale)
