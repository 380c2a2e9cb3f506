"""Sealed checkpoints and verification, including tampering behind the triggers' back."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import make_person
from timebank.actors import Actor, Role
from timebank.clock import FixedClock
from timebank.config import Settings
from timebank.db import make_session_factory, transaction
from timebank.ledger import services as ledger
from timebank.ledger.audit import seal_transfers, verify_ledger
from timebank.ledger.models import Seal
from timebank.policy import Policy

SETTINGS = Settings(env="test")
STATION = Actor(role=Role.STATION, org_id=1, district_code="110105")


def _credits(session: Session, clock: FixedClock, n: int, tag: str) -> None:
    v = make_person(session)
    for i in range(n):
        clock.advance(days=1)
        ledger.credit_service(
            session,
            actor=STATION,
            key=f"{tag}{i}",
            volunteer_id=v.id,
            duration_minutes=60,
            started_at=clock.now(),
            reference="visit:x",
            policy=Policy(),
            at=clock.now(),
        )


def seal_all(engine: Engine, clock: FixedClock, settings: Settings = SETTINGS) -> list[Seal]:
    """Seal until every committed transfer is covered. On PostgreSQL a seal covers only
    transfers older than the oldest transaction running anywhere on the server, so another
    test's open transaction can delay it for a moment."""
    factory = make_session_factory(engine)
    seals: list[Seal] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with transaction(factory) as s:
            seal = seal_transfers(s, settings=settings, at=clock.now())
            s.commit()
            if seal is not None:
                seals.append(seal)
            sealed = s.execute(text("SELECT coalesce(sum(transfer_count), 0) FROM ledger_seals"))
            total = s.execute(text("SELECT count(*) FROM ledger_transfers")).scalar_one()
            if sealed.scalar_one() == total:
                return seals
        time.sleep(0.05)
    raise AssertionError("transfers stayed unsealed for a minute")


def _committed_credits(engine: Engine, clock: FixedClock, n: int, tag: str) -> None:
    with transaction(make_session_factory(engine)) as s:
        _credits(s, clock, n, tag)
        s.commit()


def test_seals_chain_and_verify_green(fresh_engine: Engine, clock: FixedClock) -> None:
    _committed_credits(fresh_engine, clock, 5, "a")
    [first] = seal_all(fresh_engine, clock)
    assert seal_all(fresh_engine, clock) == []  # nothing new
    _committed_credits(fresh_engine, clock, 3, "b")
    [second] = seal_all(fresh_engine, clock)
    assert second.prev_hash == first.seal_hash
    assert (first.transfer_count, second.transfer_count) == (5, 3)
    with transaction(make_session_factory(fresh_engine)) as s:
        report = verify_ledger(s, settings=SETTINGS)
    assert report.ok, report.problems
    assert report.seals == 2 and report.sealed_transfers == report.transfers == 8
    assert report.issued == report.outstanding + report.redeemed == 8 * 60


def test_untrusted_key_is_reported(fresh_engine: Engine, clock: FixedClock) -> None:
    _committed_credits(fresh_engine, clock, 2, "k")
    seal_all(fresh_engine, clock, Settings(env="test", secret_key="another-secret-value-xx"))
    with transaction(make_session_factory(fresh_engine)) as s:
        report = verify_ledger(s, settings=SETTINGS)
    assert [p.rule for p in report.problems] == ["seal_key"]


def _tamper(engine: Engine, sql: str) -> None:
    """Change ledger rows the way an intruder with database access would: around the guard."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER ledger_transfers_no_update"))
            conn.execute(text(sql))
            conn.execute(
                text(
                    "CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers "
                    "BEGIN SELECT RAISE(ABORT, 'ledger_transfers rows are immutable'); END"
                )
            )


def test_tampered_transfer_is_named(fresh_engine: Engine, clock: FixedClock) -> None:
    factory = make_session_factory(fresh_engine)
    _committed_credits(fresh_engine, clock, 6, "t")
    seal_all(fresh_engine, clock)
    with transaction(factory) as s:
        assert verify_ledger(s, settings=SETTINGS).ok
        target = s.execute(text("SELECT min(id) + 2 FROM ledger_transfers")).scalar_one()
    _tamper(fresh_engine, f"UPDATE ledger_transfers SET amount = amount + 60 WHERE id = {target}")
    with transaction(factory) as s:
        report = verify_ledger(s, settings=SETTINGS)
        seal_id = s.execute(text("SELECT min(id) FROM ledger_seals")).scalar_one()
    assert not report.ok
    assert report.first_bad_transfer == target
    rules = {p.rule for p in report.problems}
    assert {"sealed_transfer_changed", "I2"} <= rules
    changed = next(p for p in report.problems if p.rule == "sealed_transfer_changed")
    assert changed.seal_id == seal_id


def test_unsealed_tamper_still_breaks_balances(fresh_engine: Engine, clock: FixedClock) -> None:
    factory = make_session_factory(fresh_engine)
    with transaction(factory) as s:
        _credits(s, clock, 3, "u")
        s.commit()
    _tamper(
        fresh_engine,
        "UPDATE ledger_transfers SET amount = 600 WHERE id = "
        "(SELECT max(id) FROM ledger_transfers)",
    )
    with transaction(factory) as s:
        report = verify_ledger(s, settings=SETTINGS)
    assert [p.rule for p in report.problems] == ["I2"]


def test_seal_rows_are_immutable(fresh_engine: Engine, clock: FixedClock) -> None:
    _committed_credits(fresh_engine, clock, 1, "s")
    seal_all(fresh_engine, clock)
    with pytest.raises(DBAPIError, match="immutable"), fresh_engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {Seal.__tablename__}"))


def test_open_transaction_in_another_database_does_not_stall_sealing(
    fresh_engine: Engine, clock: FixedClock
) -> None:
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    from sqlalchemy import create_engine

    from tests.conftest import PG_SERVER

    other = create_engine(PG_SERVER)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_current_xact_id()"))  # holds an xid, stays open
        _committed_credits(fresh_engine, clock, 2, "o")
        with transaction(make_session_factory(fresh_engine)) as s:
            seal = seal_transfers(s, settings=SETTINGS, at=clock.now())
            assert seal is not None and seal.transfer_count == 2
    other.dispose()
