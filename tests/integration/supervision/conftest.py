"""Supervision tests reuse the care world: a seeded city, a funded elder, an active volunteer.

``plant_visit`` writes a claimed (confirmed) visit straight into the tables and credits it
through the ledger, as ``care.visits.settle_visit`` would, so a test can place a visit at any
hour or place without walking the booking flow; ``factory`` gives the write-time hook sessions
on the test's own connection, so its commits stay inside the test's rolled-back transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.care.conftest import POLICY, World, world  # noqa: F401
from timebank.actors import SYSTEM
from timebank.auth.models import User
from timebank.care.models import Need, Visit
from timebank.clock import LOCAL_TZ
from timebank.ledger import services as ledger
from timebank.people.models import Person


def plant_visit(
    w: World,
    *,
    start: datetime,
    minutes: int = 60,
    volunteer: Person | None = None,
    elder: Person | None = None,
    checkin: tuple[float, float] | None = None,
    device: str | None = "phone-v",
    confirm_device: str | None = "phone-e",
    source: str = "online",
) -> Visit:
    vol = volunteer or w.volunteer
    old = elder or w.elder
    station = w.city.station.org_id
    end = start + timedelta(minutes=minutes)
    need = Need(
        elder_id=old.id,
        payer_id=old.id,
        item_id=w.item(),
        district_code=old.district_code,
        station_id=station,
        description="planted",
        address=old.address or "",
        lat=old.lat,
        lon=old.lon,
        window_start=start,
        window_end=end,
        expected_minutes=minutes,
        preferences={},
        attendee_ids=[],
        status="confirmed",
        source=source,
        published_by="test",
        volunteer_id=vol.id,
        created_at=start,
        updated_at=start,
    )
    w.session.add(need)
    w.session.flush()
    lat, lon = checkin if checkin else ((old.lat, old.lon) if source == "online" else (None, None))
    visit = Visit(
        need_id=need.id,
        volunteer_id=vol.id,
        elder_id=old.id,
        status="confirmed",
        source=source,
        scheduled_start=start,
        scheduled_end=end,
        check_in_at=start,
        check_in_lat=lat,
        check_in_lon=lon,
        check_in_device=device if source == "online" else None,
        check_out_at=end,
        duration_minutes=minutes,
        confirm_device=confirm_device if source == "online" else None,
        confirmed_at=end,
        created_at=start,
    )
    w.session.add(visit)
    w.session.flush()
    credit = ledger.credit_service(
        w.session,
        actor=SYSTEM,
        key=f"visit:{visit.id}:credit",
        volunteer_id=vol.id,
        duration_minutes=minutes,
        started_at=start,
        reference=f"visit:{visit.id}",
        policy=POLICY,
        at=end,
    )
    visit.credited_minutes = credit.amount if credit else 0
    w.session.flush()
    return visit


def staff_user(session: Session, *, role: str, district: str | None, at: datetime) -> User:
    user = User(
        phone=f"139{abs(hash((role, district, at))) % 10**8:08d}",
        role=role,
        district_code=district,
        display_name=f"{role} {district}",
        status="active",
        created_by="test",
        created_at=at,
    )
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def factory(session: Session) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's connection: their commits release savepoints, nothing more."""
    yield sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def night(w: World, day: int = -3) -> datetime:
    """23:00 local, ``day`` days from the world's clock."""
    base = w.clock.now().astimezone(LOCAL_TZ) + timedelta(days=day)
    return base.replace(hour=23, minute=0, second=0, microsecond=0)
