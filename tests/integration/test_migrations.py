"""The models and the migrations describe the same schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from timebank.migrate import downgrade, upgrade
from timebank.models import Base


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


def test_downgrade_and_upgrade_again(fresh_engine: Engine) -> None:
    downgrade(fresh_engine, "base")
    assert "ledger_transfers" not in inspect(fresh_engine).get_table_names()
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM ledger_accounts ORDER BY id")).scalars()
        assert list(kinds) == ["issuance", "redemption", "pool"]
