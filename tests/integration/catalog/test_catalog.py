"""The catalog: eight city categories seeded by migration, district items, scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ensure_district
from timebank.actors import Actor, Role
from timebank.catalog import services as catalog
from timebank.catalog.models import ServiceCategory
from timebank.errors import Conflict, InvalidInput, PermissionDenied
from timebank.policy import Policy

AT = datetime(2026, 3, 1, tzinfo=UTC)
CHAOYANG = Actor(role=Role.DISTRICT_ADMIN, district_code="110105")


def add(session: Session, actor: Actor = CHAOYANG, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "district_code": "110105",
        "category_code": "assistance",
        "code": "window_cleaning_help",
        "name_zh": "帮忙买菜",
        "name_en": "Grocery help",
        "policy": Policy(),
        "at": AT,
    }
    args.update(kw)
    return catalog.add_district_item(session, actor=actor, **args)  # type: ignore[arg-type]


def test_eight_city_categories_and_city_items(session: Session) -> None:
    names = session.execute(select(ServiceCategory.name_zh).order_by(ServiceCategory.sort))
    assert list(names.scalars()) == [
        "情感慰藉",
        "协助服务",
        "出行陪伴",
        "文体活动",
        "健康科普",
        "法律援助",
        "培训讲座",
        "指导防范金融和网络风险",
    ]
    ensure_district(session, "110105")
    items = catalog.items_for(session, "110105")
    assert {i.category_code for i in items} == {
        c for (c,) in session.execute(select(ServiceCategory.code))
    }
    legal = next(i for i in items if i.category_code == "legal_aid")
    assert legal.professional and legal.required_qualification == "lawyer"


def test_district_items_are_scoped(session: Session) -> None:
    ensure_district(session, "110105")
    ensure_district(session, "110101")
    item = add(session)
    assert item in catalog.items_for(session, "110105")
    assert item not in catalog.items_for(session, "110101")
    with pytest.raises(PermissionDenied):
        add(session, actor=Actor(role=Role.DISTRICT_ADMIN, district_code="110101"), code="x2")
    with pytest.raises(PermissionDenied):
        add(session, actor=Actor(role=Role.STATION, org_id=1, district_code="110105"), code="x3")
    with pytest.raises(Conflict):
        add(session)
    with pytest.raises(Conflict):
        add(session, code="chat_visit")  # a city-wide code
    catalog.set_item_active(session, actor=CHAOYANG, item_id=item.id, active=False)
    assert item not in catalog.items_for(session, "110105")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"category_code": "housekeeping"}, "category_code"),
        ({"code": "a b"}, "code"),
        ({"name_zh": " "}, "name_zh"),
        ({"risk_level": "high"}, "risk_level"),
        ({"professional": True}, "required_qualification"),
        ({"professional": True, "required_qualification": "astrologer"}, "required_qualification"),
    ],
)
def test_bad_items_name_the_field(session: Session, kw: dict[str, object], field: str) -> None:
    ensure_district(session, "110105")
    with pytest.raises(InvalidInput) as err:
        add(session, **kw)
    assert err.value.field == field
