"""catalog seed: the eight city service categories and the city-wide items

Revision ID: 0003
Revises: 0002

The rows are written out here, not imported from ``timebank.catalog.data``: a migration is a
fixed point in history and must insert the same rows whatever the application code says
later (tests/integration/test_migrations.py fails on any ``timebank`` import here).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
CREATED = datetime(2022, 6, 1, tzinfo=UTC)  # the plan came into force

# The eight categories of the Beijing plan: code, zh, en (sort order as listed).
CATEGORIES = (
    ("emotional_comfort", "情感慰藉", "Emotional comfort"),
    ("assistance", "协助服务", "Assistance"),
    ("travel_companion", "出行陪伴", "Travel companion"),
    ("culture_sports", "文体活动", "Culture and sports"),
    ("health_science", "健康科普", "Health science"),
    ("legal_aid", "法律援助", "Legal aid"),
    ("training_seminar", "培训讲座", "Training seminars"),
    ("risk_guidance", "指导防范金融和网络风险", "Guidance against financial and online risks"),
)
# City-wide items: category, code, zh, en, professional, required qualification, risk.
CITY_ITEMS = (
    ("emotional_comfort", "chat_visit", "聊天陪伴", "Chat and company", False, None, "low"),
    ("emotional_comfort", "phone_call", "电话问候", "Phone greeting", False, None, "low"),
    ("assistance", "shopping", "代购代办", "Shopping and errands", False, None, "low"),
    ("assistance", "tech_help", "智能手机帮学", "Smartphone help", False, None, "low"),
    ("travel_companion", "clinic_escort", "陪同就医", "Escort to the clinic", False, None, "medium"),
    ("travel_companion", "walk", "陪同散步", "Walk together", False, None, "low"),
    ("culture_sports", "reading", "读书读报", "Reading aloud", False, None, "low"),
    ("culture_sports", "exercise", "健身活动", "Exercise together", False, None, "medium"),
    ("health_science", "health_talk", "健康知识讲解", "Health talk", False, None, "low"),
    ("legal_aid", "legal_consult", "法律咨询", "Legal consultation", True, "lawyer", "medium"),
    ("training_seminar", "seminar", "老年课堂", "Seminar for elders", False, None, "low"),
    ("risk_guidance", "anti_fraud", "防诈骗指导", "Anti-fraud guidance", True, "financial", "medium"),
)  # fmt: skip


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
