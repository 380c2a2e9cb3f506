"""Catalog use cases: seeding, district items, and the item lookups care and matching use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.catalog.models import ServiceCategory, ServiceItem
from timebank.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from timebank.policy import Policy


def add_district_item(
    session: Session,
    *,
    actor: Actor,
    district_code: str,
    category_code: str,
    code: str,
    name_zh: str,
    name_en: str,
    professional: bool = False,
    required_qualification: str | None = None,
    risk_level: str = "low",
    policy: Policy,
    at: datetime,
) -> ServiceItem:
    """A district adds its own item under a city category (DESIGN §2 Services)."""
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="catalog_admin")
    if actor.role is Role.DISTRICT_ADMIN and actor.district_code != district_code:
        raise PermissionDenied(
            "district admins add items to their own district", rule="district_scope"
        )
    if session.get(ServiceCategory, category_code) is None:
        raise InvalidInput(f"no service category {category_code!r}", field="category_code")
    code = code.strip()
    if not code or len(code) > 48 or not code.replace("_", "").isalnum():
        raise InvalidInput("code: letters, digits and _ only, at most 48", field="code")
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not value.strip() or len(value) > 96:
            raise InvalidInput(f"{field} is required (at most 96 characters)", field=field)
    if risk_level not in ("low", "medium", "high"):
        raise InvalidInput("risk_level is low, medium or high", field="risk_level")
    if risk_level == "high":
        # Default scope: non-professional, non-housekeeping, risk-controllable (DESIGN §2).
        raise InvalidInput("high-risk items are outside the time bank's scope", field="risk_level")
    if professional and required_qualification not in policy.qualification_types:
        raise InvalidInput(
            f"a professional item names a qualification: {', '.join(policy.qualification_types)}",
            field="required_qualification",
        )
    clash = session.execute(
        select(ServiceItem.id).where(
            ServiceItem.code == code,
            or_(ServiceItem.district_code == district_code, ServiceItem.district_code.is_(None)),
        )
    ).first()
    if clash:
        raise Conflict(f"an item with code {code!r} already exists", field="code")
    item = ServiceItem(
        category_code=category_code,
        district_code=district_code,
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        professional=professional,
        required_qualification=required_qualification if professional else None,
        risk_level=risk_level,
        created_by=actor.label,
        created_at=at,
    )
    session.add(item)
    session.flush()
    return item


def set_item_active(session: Session, *, actor: Actor, item_id: int, active: bool) -> ServiceItem:
    item = get_item(session, item_id)
    actor.require(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, rule="catalog_admin")
    if actor.role is Role.DISTRICT_ADMIN and actor.district_code != item.district_code:
        raise PermissionDenied(
            "district admins change their own district's items", rule="district_scope"
        )
    item.active = active
    session.flush()
    return item


def get_item(session: Session, item_id: int) -> ServiceItem:
    item = session.get(ServiceItem, item_id)
    if item is None:
        raise NotFound(f"no service item {item_id}", field="item_id")
    return item


def items_for(session: Session, district_code: str) -> list[ServiceItem]:
    """The active items an elder in ``district_code`` can ask for: city-wide plus district."""
    return list(
        session.execute(
            select(ServiceItem)
            .where(
                ServiceItem.active,
                or_(
                    ServiceItem.district_code.is_(None), ServiceItem.district_code == district_code
                ),
            )
            .order_by(ServiceItem.category_code, ServiceItem.id)
        ).scalars()
    )
