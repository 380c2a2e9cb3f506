"""The models and the migrations describe the same schema, on both databases."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from timebank.catalog.data import CATEGORIES
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


MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):  # inside functions too
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_migration_imports_the_application() -> None:
    """A migration carries its own data: application code changes, history must not."""
    files = sorted(MIGRATIONS.glob("*.py"))
    assert len(files) >= 4
    offenders = {
        f.name: [m for m in _imported_modules(f) if m == "timebank" or m.startswith("timebank.")]
        for f in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_migrated_categories_are_the_catalogs(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, name_zh, name_en FROM service_categories ORDER BY sort")
        ).all()
    assert [tuple(r) for r in rows] == list(CATEGORIES)
