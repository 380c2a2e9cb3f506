"""geography codes: communities (社区) and a code for each station, for the geography import

Revision ID: 0006
Revises: 0005

``timebank geography import`` upserts by code; districts and streets have always been keyed
by code, communities are new, and an organisation gets an optional unique ``code`` so that a
station listed in the city's file is found again when the file is imported again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("street_code", sa.String(9), sa.ForeignKey("streets.code"), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
    )
    op.create_index("ix_communities_street_code", "communities", ["street_code"])
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("code", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_organisations_code", ["code"])


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("uq_organisations_code", type_="unique")
        batch.drop_column("code")
    op.drop_index("ix_communities_street_code", table_name="communities")
    op.drop_table("communities")
