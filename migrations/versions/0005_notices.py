"""notices: queued, retried and given-up notices and the in-app inbox; the old SMS outbox goes

Nothing ever sent ``notification_outbox`` rows (one-time codes expire in ten minutes, the
reminders are stale), so they are dropped rather than carried over.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("person_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("read_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'given_up')", name=op.f("ck_notices_status")
        ),
        sa.CheckConstraint("channel IN ('sms', 'inbox')", name=op.f("ck_notices_channel")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_notices_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notices_dedup_key")),
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_notices_person_id"), "notices", ["person_id"])
    op.create_index(op.f("ix_notices_recipient"), "notices", ["recipient"])
    op.drop_index("ix_notification_outbox_recipient", table_name="notification_outbox")
    op.drop_table("notification_outbox")


def downgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    op.create_index(
        "ix_notification_outbox_recipient", "notification_outbox", ["recipient"], unique=False
    )
    op.drop_table("notices")
