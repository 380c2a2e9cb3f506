"""An API world on a real, committed database (SQLite and PostgreSQL): the app, a fixed
clock, accounts of every role in two districts, an elder with coins, an active volunteer."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.conftest import PG_SERVER, drop_database, migrated_engine
from tests.integration.people.factories import CHAOYANG, DONGCHENG, born, fresh_id_number
from timebank.actors import SYSTEM, Actor, Role
from timebank.app import create_app
from timebank.auth import tokens
from timebank.auth.models import User
from timebank.auth.passwords import Passwords, make_hasher
from timebank.catalog.models import ServiceItem
from timebank.clock import LOCAL_TZ, FixedClock, local_date
from timebank.config import Settings
from timebank.db import make_engine, make_session_factory
from timebank.demo.geography import seed_geography
from timebank.ledger import services as ledger
from timebank.notices.models import Notice
from timebank.people import services as people
from timebank.people.accounts import create_user
from timebank.people.models import Organisation, Person
from timebank.people.proxies import grant_proxy
from timebank.policy import Policy

PASSWORD = "correct-horse-9"
START = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)  # the shared clock fixture's start
PASSWORDS = Passwords(make_hasher(fast=True))
_phones = itertools.count(13900000000)


def next_phone() -> str:
    return str(next(_phones))


@dataclass
class ApiWorld:
    client: TestClient
    engine: Engine
    clock: FixedClock
    tokens: dict[str, str] = field(default_factory=dict)  # role key → access token
    ids: dict[str, int] = field(default_factory=dict)  # named people, orgs, users

    def session(self) -> Session:
        return make_session_factory(self.engine)()

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        out = dict(extra)
        if who is not None:
            out["Authorization"] = f"Bearer {self.tokens[who]}"
        return out

    def call(
        self,
        method: str,
        path: str,
        who: str | None = None,
        *,
        json: Any = None,
        key: bool | str = False,
        **headers: str,
    ) -> Any:
        h = self.headers(who, **headers)
        if key:
            h["Idempotency-Key"] = key if isinstance(key, str) else uuid.uuid4().hex
        return self.client.request(method, "/api/v1" + path, json=json, headers=h)

    def last_sms(self, phone: str) -> str:
        with self.session() as s:
            body = (
                s.execute(
                    select(Notice.text_zh)
                    .where(Notice.recipient == phone)
                    .order_by(Notice.id.desc())
                )
                .scalars()
                .first()
            )
        assert body is not None, f"no SMS to {phone}"
        return next(w for w in body.replace("，", " ").split() if w.isdigit() and len(w) == 6)

    def renew(self) -> None:
        """Fresh access tokens at the clock's current time (after the clock jumped ahead)."""
        with self.session() as s:
            for key in list(self.tokens):
                user = s.get(User, self.ids[f"user:{key}"])
                assert user is not None
                self.tokens[key] = tokens.issue_pair(s, user=user, at=self.clock.now()).access_token
            s.commit()

    def item_id(self, code: str = "chat_visit") -> int:
        with self.session() as s:
            return int(
                s.execute(select(ServiceItem.id).where(ServiceItem.code == code)).scalar_one()
            )


def _station(s: Session, district: str, at: Any) -> Organisation:
    org = Organisation(
        kind="station",
        name=f"{district} 服务站",
        district_code=district,
        created_at=at,
        confirmed_by_street_at=at,
    )
    s.add(org)
    s.flush()
    return org


def _person(
    s: Session, station: Actor, at: Any, *, age: int, district: str, name: str, **kw: Any
) -> Person:
    person = people.register_person(
        s,
        actor=station,
        full_name=name,
        id_number=fresh_id_number(born(age, local_date(at)), region=district),
        phone=None,
        district_code=district,
        at=at,
        **kw,
    )
    ledger.open_accounts(s, person_id=person.id, at=at)
    return person


def build_world(s: Session, clock: FixedClock) -> dict[str, Any]:
    """Two districts, a station and a district admin in each, a city admin, an auditor;
    in 东城 an elder (funded), a volunteer (active) and a proxy for the elder; in 朝阳 an
    elder and a volunteer of their own (out of scope for 东城 staff)."""
    at = clock.now()
    seed_geography(s)
    ids: dict[str, int] = {}
    users: dict[str, Any] = {}

    def user(key: str, role: str, **kw: Any) -> None:
        users[key] = create_user(
            s,
            actor=SYSTEM,
            phone=next_phone(),
            password=PASSWORD,
            role=role,
            display_name=key,
            passwords=PASSWORDS,
            at=at,
            **kw,
        )

    for district, tag in ((DONGCHENG, ""), (CHAOYANG, "_other")):
        org = _station(s, district, at)
        ids["station" + tag] = org.id
        station = Actor(role=Role.STATION, org_id=org.id, district_code=district, name="seed")
        elder = _person(
            s,
            station,
            at,
            age=82,
            district=district,
            name="李奶奶" + tag,
            address="东城区交道口南大街1号",
            lat=39.935,
            lon=116.41,
        )
        volunteer = _person(
            s, station, at, age=30, district=district, name="王芳" + tag, lat=39.93, lon=116.42
        )
        ids["elder" + tag], ids["volunteer" + tag] = elder.id, volunteer.id
        people.record_residency_proof(
            s, actor=station, person_id=volunteer.id, kind="hukou", reference="户口簿", at=at
        )
        people.declare_health(s, actor=station, person_id=volunteer.id, fit=True, at=at)
        people.record_training(
            s,
            actor=station,
            person_id=volunteer.id,
            course="志愿服务基础",
            completed_on=local_date(at),
            at=at,
        )
        people.activate_volunteer(s, actor=station, person_id=volunteer.id, at=at)
        ledger.credit_service(
            s,
            actor=SYSTEM,
            key=f"seed:{elder.id}",
            volunteer_id=elder.id,
            duration_minutes=480,
            started_at=at - timedelta(days=300),
            reference="seed",
            policy=Policy(),
            at=at,
        )
        user("station" + tag, "station", org_id=org.id)
        user("district" + tag, "district_admin", district_code=district)
        user("elder" + tag, "elder", person_id=elder.id)
        user("volunteer" + tag, "volunteer", person_id=volunteer.id)
    family = _person(
        s,
        Actor(role=Role.STATION, org_id=ids["station"], district_code=DONGCHENG),
        at,
        age=50,
        district=DONGCHENG,
        name="李强",
    )
    ids["family"] = family.id
    user("proxy", "proxy", person_id=family.id)
    grant_proxy(
        s,
        actor=Actor(role=Role.ELDER, person_id=ids["elder"]),
        principal_id=ids["elder"],
        proxy_phone=users["proxy"].phone,
        at=at,
    )
    user("city", "city_admin")
    user("auditor", "auditor")
    tokens_ = {k: tokens.issue_pair(s, user=u, at=at).access_token for k, u in users.items()}
    ids.update({f"user:{k}": u.id for k, u in users.items()})
    return {"ids": ids, "tokens": tokens_, "phones": {k: u.phone for k, u in users.items()}}


_TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {}


def _template(backend: str, tmp: Path) -> tuple[str, dict[str, Any]]:
    """The world, built once per backend and run; each test gets a copy (fast on both)."""
    if backend not in _TEMPLATES:
        engine = migrated_engine(backend, "apitpl", tmp)
        with make_session_factory(engine)() as s:
            built = build_world(s, FixedClock(START))
            s.commit()
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()  # the last SQLite connection out folds the WAL into the file
        _TEMPLATES[backend] = (url, built)
    return _TEMPLATES[backend]


def _clone(backend: str, template_url: str, tmp: Path) -> str:
    if backend == "sqlite":
        target = tmp / "api.db"
        shutil.copyfile(template_url.split("///", 1)[1], target)
        return f"sqlite:///{target}"
    name = f"tb_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def _api_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("apitpl")
    yield tmp
    for url, _ in _TEMPLATES.values():
        drop_database(url)
    _TEMPLATES.clear()


@pytest.fixture
def api(backend: str, _api_tmp: Path, tmp_path: Path, clock: FixedClock) -> Iterator[ApiWorld]:
    assert clock.now() == START
    template_url, built = _template(backend, _api_tmp)
    url = _clone(backend, template_url, tmp_path)
    engine = make_engine(url)
    settings = Settings(env="test", database_url=url)
    app = create_app(settings, engine=engine, clock=clock, passwords=PASSWORDS)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = ApiWorld(client, engine, clock, dict(built["tokens"]), dict(built["ids"]))
        world.phones = built["phones"]  # type: ignore[attr-defined]
        yield world
    engine.dispose()
    drop_database(url)
