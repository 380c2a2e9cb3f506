"""The documented sign-in phones of the demo city (``timebank demo``; password in
``timebank.demo.accounts``). They live here, below the product, so that start-up can refuse
a production database that holds any of them: their password is public."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.auth.models import User

DEMO_PHONES = {
    "volunteer": "13800000001",
    "elder": "13800000002",
    "proxy": "13800000003",
    "station": "13800000004",
    "station2": "13800000005",
    "district_admin": "13800000006",
    "city_admin": "13800000007",
    "auditor": "13800000008",
}


def demo_accounts_present(session: Session) -> list[str]:
    """The demo phones that have an account in this database (masked), in phone order."""
    found = session.execute(
        select(User.phone).where(User.phone.in_(DEMO_PHONES.values())).order_by(User.phone)
    ).scalars()
    return [f"{p[:3]}****{p[-4:]}" for p in found]
