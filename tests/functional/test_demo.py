"""`timebank demo`: the real CLI seeds a fresh SQLite file and a fresh PostgreSQL database.

Each backend is seeded once (module fixture) and then examined; a second SQLite database
seeded with the same seed must hold the same content, id for id — on PostgreSQL too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from typer.testing import CliRunner, Result

from tests.conftest import drop_database, fresh_database_url
from timebank.cli.main import app
from timebank.config import get_settings
from timebank.db import make_engine
from timebank.ledger.models import Account, Seal, Transfer
from timebank.people import idcard
from timebank.people.crypto import PiiVault
from timebank.people.models import Kinship, Organisation, Person, Qualification, TrainingRecord

pytestmark = pytest.mark.xdist_group("demo")  # one worker seeds each database once
SEED = "7"
EPHEMERAL = {"id_cipher"}  # AES-GCM takes a fresh random nonce for every encryption


@contextmanager
def _database(url: str) -> Iterator[None]:
    """Point the CLI's settings (cached once per process) at ``url`` for a moment."""
    old = os.environ.get("TIMEBANK_DATABASE_URL")
    os.environ["TIMEBANK_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TIMEBANK_DATABASE_URL"]
        else:
            os.environ["TIMEBANK_DATABASE_URL"] = old
        get_settings.cache_clear()


def cli(url: str, *args: str) -> Result:
    with _database(url):
        return CliRunner().invoke(app, list(args))


def seed(url: str, *extra: str) -> Result:
    upgraded = cli(url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    return cli(url, "demo", "--seed", SEED, "--size", "small", *extra)


def digest(engine: Engine) -> str:
    """A hash over every row the demo writes (but for ciphertexts), read back through the
    models so that both backends give the same Python values."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for model in (Organisation, Person, TrainingRecord, Kinship, Qualification, Account):
            table = model.__table__
            cols = [c for c in table.columns if c.name not in EPHEMERAL]
            # The system accounts come from the migration, stamped with its time.
            mine = table.c.id > 3 if model is Account else true()
            for row in conn.execute(select(*cols).where(mine).order_by(table.c.id)):
                h.update(repr(tuple(row)).encode())
        t = Transfer.__table__
        cols = [c for c in t.columns if c.name != "txid"]  # PostgreSQL's transaction ids
        # The year is deterministic; the sign-in demo's need is made at the wall-clock time.
        year = t.c.key.startswith(f"demo:{SEED}:")
        for row in conn.execute(select(*cols).where(year).order_by(t.c.id)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def count(engine: Engine, model: type, *where: ColumnElement[bool]) -> int:
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_ok: bool
) -> Iterator[tuple[str, Engine, Result]]:
    if request.param == "postgresql" and not pg_ok:
        pytest.skip("PostgreSQL is not reachable")
    url = fresh_database_url(request.param, "demo", tmp_path_factory.mktemp("demo"))
    result = seed(url)
    engine = make_engine(url)
    yield url, engine, result
    engine.dispose()
    drop_database(url)


@pytest.fixture(scope="module")
def sqlite_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same seed, seeded again into another fresh SQLite file."""
    url = fresh_database_url("sqlite", "demo-twin", tmp_path_factory.mktemp("twin"))
    result = seed(url)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    yield digest(engine)
    engine.dispose()


def test_demo_seeds_a_small_city(seeded: tuple[str, Engine, Result]) -> None:
    _, engine, result = seeded
    assert result.exit_code == 0, result.output
    people = count(engine, Person)
    assert 1_400 <= people <= 1_600
    assert count(engine, Person, Person.volunteer_status == "active") > 500
    assert count(engine, Person, Person.volunteer_status == "none") > 500  # elders
    assert count(engine, Person, Person.is_student.is_(True), Person.guardian_id.is_not(None)) > 0
    assert count(engine, Organisation, Organisation.kind == "care_home") == 16
    assert count(engine, Organisation, Organisation.kind == "station") >= 160
    assert count(engine, Kinship, Kinship.status == "verified") > 500
    assert count(engine, Qualification, Qualification.status == "verified") > 0
    assert count(engine, Account) == 2 * people + 3
    transfers = count(engine, Transfer)
    assert 10_000 <= transfers <= 20_000
    with engine.connect() as conn:
        kinds = set(conn.scalars(select(Transfer.kind).distinct()))
        phases = set(conn.scalars(select(Transfer.phase).distinct()))
        # Besides the year, only the sign-in demo's one approved need holds coins.
        foreign = select(func.count()).where(
            ~Transfer.key.startswith(f"demo:{SEED}:"), ~Transfer.key.startswith("need:")
        )
        assert conn.scalar(foreign) == 0
        credits = conn.scalars(select(Transfer.amount).where(Transfer.kind == "service_credit"))
        assert all(a % 30 == 0 and 30 <= a <= 180 for a in credits)  # rounded to the unit
    assert {"service_credit", "service_payment", "gift", "donation", "allocation"} <= kinds
    assert {"single", "pending", "post", "void"} <= phases


def test_people_have_real_encrypted_resident_ids(seeded: tuple[str, Engine, Result]) -> None:
    _, engine, _ = seeded
    vault = PiiVault(get_settings().secret_key.get_secret_value())
    with engine.connect() as conn:
        rows = conn.execute(select(Person).order_by(Person.id).limit(200)).all()
    for row in rows:
        number = vault.decrypt(row.id_cipher)
        resident = idcard.parse(number)
        assert vault.lookup_hash(number) == row.id_hash
        assert resident.region_code == row.district_code
        assert (resident.birth_date, resident.sex) == (row.birth_date, row.sex)
        assert row.id_masked == idcard.mask(number)


def test_ledger_verifies_right_after_the_demo(seeded: tuple[str, Engine, Result]) -> None:
    url, engine, result = seeded
    verified = cli(url, "ledger", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["ok"] and report["transfers"] == count(engine, Transfer)
    assert report["outstanding_minutes"] > 0 and report["redeemed_minutes"] > 0
    if report["sealed_transfers"] < report["transfers"]:
        # PostgreSQL seals only below the oldest transaction open anywhere on the server; a
        # long one from another client defers the seal, and the demo says so.
        assert engine.dialect.name == "postgresql"
        assert "not sealed yet" in result.output and report["seals"] == 0
    else:
        assert report["seals"] == 1


def test_the_same_seed_gives_the_same_content(
    seeded: tuple[str, Engine, Result], sqlite_twin: str
) -> None:
    _, engine, _ = seeded
    assert digest(engine) == sqlite_twin


def test_if_empty_leaves_a_seeded_database_alone(seeded: tuple[str, Engine, Result]) -> None:
    url, engine, _ = seeded
    before = digest(engine), count(engine, Seal)
    result = cli(url, "demo", "--seed", "8", "--size", "small", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert (digest(engine), count(engine, Seal)) == before


def test_a_non_empty_database_is_refused(seeded: tuple[str, Engine, Result]) -> None:
    url, engine, _ = seeded
    before = digest(engine), count(engine, Seal)
    result = cli(url, "demo", "--seed", "8", "--size", "small")
    assert result.exit_code != 0
    assert "already holds" in result.output and "--if-empty" in result.output
    assert (digest(engine), count(engine, Seal)) == before


def test_bad_size_and_missing_schema_are_refused(tmp_path: Path) -> None:
    url = fresh_database_url("sqlite", "demo-bare", tmp_path)
    bad = cli(url, "demo", "--size", "huge")
    assert bad.exit_code == 2 and "small or city" in bad.output
    bare = cli(url, "demo")
    assert bare.exit_code != 0 and "db upgrade" in bare.output


def test_production_refuses_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = fresh_database_url("sqlite", "demo-prod", tmp_path)
    upgraded = cli(url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    engine = make_engine(url)
    before = [count(engine, model) for model in (Organisation, Person, Account, Transfer)]
    monkeypatch.setenv("TIMEBANK_ENV", "prod")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "a-production-secret-" + "7" * 32)
    monkeypatch.setenv("TIMEBANK_SEAL_SIGNING_KEY", "ab" * 32)
    result = cli(url, "demo", "--seed", SEED, "--size", "small")
    assert result.exit_code != 0
    assert "production" in result.output and "TIMEBANK_ENV=prod" in result.output
    assert [count(engine, model) for model in (Organisation, Person, Account, Transfer)] == before
    engine.dispose()
