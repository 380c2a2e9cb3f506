"""Sign-in accounts for the demo city: one per role, with documented phones and one password.

Run after ``timebank demo``. The people are taken from the demo population (so the volunteer
has a real history and the elder real coins), chosen by rule, not by id:

* elder — the first 60+ resident of 东城 (110101) who is not a volunteer, has at least four
  usable hours and a verified relative; that relative becomes the family **proxy** (with a grant);
* volunteer — the first active, eligible adult volunteer of the district with own-earned coins
  and a verified relative (to gift to), living within 3 km of the elder;
* station — two workers of the station that reviews the elder's needs (paper records need a
  second worker's approval); district admin of 东城; city admin; auditor.

It also makes the volunteer available all week and publishes one need for the elder, reviewed
by the station, starting 30 minutes from ``at``: the volunteer's nearby list is not empty and
check-in is open at once. Every step goes through the same use cases as the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.actors import SYSTEM, Actor, Role
from timebank.auth.demo_phones import DEMO_PHONES
from timebank.auth.models import User
from timebank.auth.passwords import Passwords
from timebank.care import needs
from timebank.care.profiles import set_volunteer_profile
from timebank.care.stations import station_for
from timebank.catalog.models import ServiceItem
from timebank.clock import age_on, local_date
from timebank.errors import Conflict, NotFound
from timebank.geodesy import haversine_m
from timebank.ledger import services as ledger
from timebank.people.accounts import create_user
from timebank.people.models import District, Person
from timebank.people.proxies import grant_proxy
from timebank.people.services import serving_refusals, verified_relatives
from timebank.policy_store import load_policy

PASSWORD = "timebank-demo"
DISTRICT = "110101"  # 东城
PHONES = dict(DEMO_PHONES)  # production refuses to start with any of them
NEAR_M = 3000


@dataclass
class DemoAccounts:
    phones: dict[str, str] = field(default_factory=lambda: dict(PHONES))
    password: str = PASSWORD
    person_ids: dict[str, int] = field(default_factory=dict)  # volunteer, elder, proxy, relative
    station_id: int = 0
    need_id: int = 0


def _usable(session: Session, person_id: int) -> int:
    bal = ledger.balances(session, person_id=person_id, policy=load_policy(session))
    return bal.available


def _living(session: Session, person_id: int) -> bool:
    person = session.get(Person, person_id)
    return person is not None and person.status == "active"


def _pick_elder(session: Session, today: datetime) -> tuple[Person, int]:
    """An elder of 60+ with coins to spend and a verified living relative (the proxy): in
    东城 if the city has one there, else in the first district that does (other seeds)."""
    for person in session.execute(
        select(Person)
        .where(
            Person.status == "active",
            Person.volunteer_status == "none",
            Person.lat.is_not(None),
            Person.address.is_not(None),
        )
        .order_by(Person.district_code != DISTRICT, Person.district_code, Person.id)
    ).scalars():
        if age_on(person.birth_date, local_date(today)) < 60 or _usable(session, person.id) < 240:
            continue
        relatives = [
            pid for pid, _ in verified_relatives(session, person.id) if _living(session, pid)
        ]
        if relatives:
            return person, relatives[0]
    raise NotFound("the demo city has no elder to sign in as: run `timebank demo` first")


def _pick_volunteer(
    session: Session, elder: Person, exclude: set[int], at: datetime
) -> tuple[Person, int]:
    policy = load_policy(session)
    for person in session.execute(
        select(Person)
        .where(
            Person.district_code == elder.district_code,
            Person.status == "active",
            Person.volunteer_status == "active",
            Person.is_student.is_(False),
            Person.lat.is_not(None),
        )
        .order_by(Person.id)
    ).scalars():
        if person.id in exclude or person.lat is None or person.lon is None:
            continue
        assert elder.lat is not None and elder.lon is not None
        if haversine_m(person.lat, person.lon, elder.lat, elder.lon) > NEAR_M:
            continue
        if serving_refusals(session, person_id=person.id, on=local_date(at), policy=policy):
            continue
        bal = ledger.balances(session, person_id=person.id, policy=policy)
        relatives = [
            pid
            for pid, _ in verified_relatives(session, person.id)
            if pid not in exclude and _living(session, pid)
        ]
        if bal.earned >= 60 and relatives:
            return person, relatives[0]
    raise NotFound("the demo city has no volunteer near the elder: run `timebank demo` first")


def create_demo_accounts(session: Session, *, passwords: Passwords, at: datetime) -> DemoAccounts:
    """Create the demo sign-ins (refused if they exist). The caller commits."""
    if session.execute(select(User.id).where(User.phone.in_(PHONES.values()))).first():
        raise Conflict("the demo accounts exist already", rule="demo_accounts_exist")
    out = DemoAccounts()
    elder, proxy_person = _pick_elder(session, at)
    volunteer, relative = _pick_volunteer(session, elder, {elder.id, proxy_person}, at)
    station_id = station_for(
        session, district_code=elder.district_code, street_code=elder.street_code
    )
    if station_id is None:
        raise NotFound("the elder's district has no confirmed station")
    out.person_ids = {
        "volunteer": volunteer.id,
        "elder": elder.id,
        "proxy": proxy_person,
        "relative": relative,
    }
    out.station_id = station_id

    def user(key: str, role: str, display: str, **kw: object) -> User:
        return create_user(
            session,
            actor=SYSTEM,
            phone=PHONES[key],
            password=PASSWORD,
            role=role,
            display_name=display,
            passwords=passwords,
            at=at,
            **kw,  # type: ignore[arg-type]
        )

    user("volunteer", "volunteer", volunteer.full_name, person_id=volunteer.id)
    elder_user = user("elder", "elder", elder.full_name, person_id=elder.id)
    proxy_name = session.get(Person, proxy_person).full_name  # type: ignore[union-attr]
    user("proxy", "proxy", proxy_name, person_id=proxy_person)
    user("station", "station", "服务站 王站长", org_id=station_id)
    user("station2", "station", "服务站 刘社工", org_id=station_id)
    place = session.get(District, elder.district_code)
    admin_name = f"{place.name_zh if place else ''}民政 陈科长"
    user("district_admin", "district_admin", admin_name, district_code=elder.district_code)
    user("city_admin", "city_admin", "市民政局 赵处长")
    user("auditor", "auditor", "审计 孙审计师")
    grant_proxy(
        session,
        actor=Actor(role=Role.ELDER, person_id=elder.id, user_id=elder_user.id),
        principal_id=elder.id,
        proxy_phone=PHONES["proxy"],
        at=at,
    )
    # Available every day and hour, so the demo journey works whenever it is run.
    set_volunteer_profile(
        session,
        actor=Actor(role=Role.VOLUNTEER, person_id=volunteer.id),
        person_id=volunteer.id,
        categories=[],
        radius_m=NEAR_M,
        availability=[[d, "00:00", "23:59"] for d in range(7)],
        at=at,
    )
    out.need_id = _sample_need(session, elder, station_id, at)
    session.flush()
    return out


def _sample_need(session: Session, elder: Person, station_id: int, at: datetime) -> int:
    item = session.execute(
        select(ServiceItem).where(
            ServiceItem.code == "chat_visit", ServiceItem.district_code.is_(None)
        )
    ).scalar_one()
    policy = load_policy(session)
    start = (at + timedelta(minutes=30)).replace(second=0, microsecond=0)
    published = needs.publish_need(
        session,
        actor=Actor(role=Role.ELDER, person_id=elder.id),
        request=needs.NeedRequest(
            elder_id=elder.id,
            item_id=item.id,
            description="想找人聊聊天，读读报纸",
            window_start=start,
            window_end=start + timedelta(hours=3),
            expected_minutes=60,
        ),
        policy=policy,
        at=at,
    )
    station = Actor(
        role=Role.STATION, org_id=station_id, district_code=elder.district_code, name="demo"
    )
    needs.review_need(
        session, actor=station, need_id=published[0].id, approve=True, policy=policy, at=at
    )
    return published[0].id


def main() -> None:
    """``python -m timebank.demo.accounts``: add the accounts to TIMEBANK_DATABASE_URL."""
    import json

    from timebank.auth.passwords import make_hasher
    from timebank.clock import SystemClock
    from timebank.config import get_settings
    from timebank.db import make_engine, make_session_factory, transaction

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with transaction(factory) as session:
        made = create_demo_accounts(
            session,
            passwords=Passwords(make_hasher(fast=settings.env == "test")),
            at=SystemClock().now(),
        )
        session.commit()
    print(json.dumps(made.__dict__, ensure_ascii=False))


if __name__ == "__main__":
    main()
