"""catalog seed: the eight city service categories and the city-wide items

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from timebank.catalog.data import CATEGORIES, CITY_ITEMS

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
CREATED = datetime(2022, 6, 1, tzinfo=UTC)  # the plan came into force


def upgrade() -> None:
    categories = sa.table(
        "service_categories",
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("sort", sa.Integer),
    )
    op.bulk_insert(
        categories,
        [
            {"code": c, "name_zh": zh, "name_en": en, "sort": i}
            for i, (c, zh, en) in enumerate(CATEGORIES, start=1)
        ],
    )
    items = sa.table(
        "service_items",
        sa.column("category_code", sa.String),
        sa.column("district_code", sa.String),
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("professional", sa.Boolean),
        sa.column("required_qualification", sa.String),
        sa.column("risk_level", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_by", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    op.bulk_insert(
        items,
        [
            {
                "category_code": cat,
                "district_code": None,
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "professional": pro,
                "required_qualification": qual,
                "risk_level": risk,
                "active": True,
                "created_by": "migration",
                "created_at": CREATED,
            }
            for cat, code, zh, en, pro, qual, risk in CITY_ITEMS
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM service_items WHERE district_code IS NULL")
    op.execute("DELETE FROM service_categories")
