"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), a rolled-back
transaction per test, a fixed clock.

PostgreSQL: one database per xdist worker, created on the server named by
TIMEBANK_TEST_PG_URL (default: the local trust-auth server). Under CI=true a missing
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.support.geography import seed_test_geography
from timebank.clock import LOCAL_TZ, FixedClock
from timebank.db import make_engine
from timebank.migrate import upgrade

# No Hypothesis deadline: a per-example time limit is a timed assertion, and this machine's
# timings are noisy (speed is measured in bench/, as ratios, never in tests).
settings.register_profile("timebank", deadline=None)
settings.load_profile("timebank")

PG_SERVER = os.environ.get(
    "TIMEBANK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _worker() -> str:
    # The pid keeps two concurrent pytest runs on one server out of each other's databases.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_SERVER)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_ok() -> bool:
    ok = _pg_available()
    if not ok and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI and is not reachable at {PG_SERVER}")
    return ok


def fresh_database_url(backend: str, name: str, tmp: Path) -> str:
    """An empty database of ``backend``, named after ``name`` and this worker."""
    if backend == "sqlite":
        path = tmp / f"{name}-{_worker()}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    dbname = f"tb_{name}_{_worker()}".lower()
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{dbname}"


def migrated_engine(
    backend: str, name: str, tmp: Path, *, geography: bool = True, **kwargs: object
) -> Engine:
    """A migrated database; with ``geography``, the demo city's districts and streets are
    imported too (the migrations seed none)."""
    engine = make_engine(fresh_database_url(backend, name, tmp), **kwargs)
    upgrade(engine)
    if geography:
        seed_test_geography(engine)
    return engine


@pytest.fixture(scope="session")
def _engines(tmp_path_factory: pytest.TempPathFactory, pg_ok: bool) -> Iterator[dict[str, Engine]]:
    tmp = tmp_path_factory.mktemp("db")
    engines = {"sqlite": migrated_engine("sqlite", "shared", tmp)}
    if pg_ok:
        engines["postgresql"] = migrated_engine("postgresql", "shared", tmp)
    yield engines
    for engine in engines.values():
        engine.dispose()
        drop_database(engine.url.render_as_string(hide_password=False))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, pg_ok: bool) -> str:
    if request.param == "postgresql" and not pg_ok:
        pytest.skip("PostgreSQL is not reachable")
    return str(request.param)


@pytest.fixture
def engine(backend: str, _engines: dict[str, Engine]) -> Engine:
    return _engines[backend]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; code under test
    may flush and even commit (commits become savepoint releases)."""
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def fresh_engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A newly migrated, empty database of its own, for tests that commit for real."""
    name = "f" + str(abs(hash(request.node.nodeid)) % 10**8)
    engine = migrated_engine(backend, name, tmp_path)
    yield engine
    engine.dispose()
    drop_database(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ))
