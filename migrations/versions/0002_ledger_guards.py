"""ledger guards: immutable transfers and seals, system accounts, PostgreSQL txid default

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARDED = ("ledger_transfers", "ledger_seals")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # I5: transfers (and seals) can never be updated or deleted through SQL.
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            )
        op.execute(
            "ALTER TABLE ledger_transfers ALTER COLUMN txid "
            "SET DEFAULT (pg_current_xact_id()::text::bigint)"
        )
    else:
        for table in GUARDED:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable ({action} refused)'); "
                    "END"
                )
    op.execute(
        "INSERT INTO ledger_accounts "
        "(id, kind, person_id, tracked, balance, pending, service_minutes, allow_negative, "
        "created_at) VALUES "
        "(1, 'issuance', NULL, false, 0, 0, 0, true, CURRENT_TIMESTAMP), "
        "(2, 'redemption', NULL, false, 0, 0, 0, true, CURRENT_TIMESTAMP), "
        "(3, 'pool', NULL, true, 0, 0, 0, false, CURRENT_TIMESTAMP)"
    )
    if dialect == "postgresql":  # explicit ids do not advance the sequence
        op.execute("SELECT setval(pg_get_serial_sequence('ledger_accounts', 'id'), 3, true)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DELETE FROM ledger_accounts WHERE id IN (1, 2, 3)")
    if dialect == "postgresql":
        op.execute("ALTER TABLE ledger_transfers ALTER COLUMN txid DROP DEFAULT")
        for table in GUARDED:
            op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION ledger_refuse_change()")
    else:
        for table in GUARDED:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
