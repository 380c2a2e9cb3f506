"""geography seed: Beijing's 16 districts and their streets, so a fresh install can register

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from timebank.people.divisions import DISTRICTS, STREETS

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    districts = sa.table(
        "districts",
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("lat", sa.Float),
        sa.column("lon", sa.Float),
    )
    op.bulk_insert(
        districts,
        [
            {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en, "lat": d.lat, "lon": d.lon}
            for d in DISTRICTS
        ],
    )
    streets = sa.table(
        "streets",
        sa.column("code", sa.String),
        sa.column("district_code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("lat", sa.Float),
        sa.column("lon", sa.Float),
    )
    op.bulk_insert(
        streets,
        [
            {
                "code": s.code,
                "district_code": d.code,
                "name_zh": s.name_zh,
                "lat": s.lat,
                "lon": s.lon,
            }
            for d in DISTRICTS
            for s in STREETS[d.code]
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM streets")
    op.execute("DELETE FROM districts")
