"""The geography tests stand on: the demo city's districts and streets, written through the
real import use case (no migration seeds places any more)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from timebank.demo.geography import seed_geography


def seed_test_geography(engine: Engine) -> int:
    """Import the demo city's districts and streets into ``engine``'s database, committed."""
    with Session(engine) as session:
        added = seed_geography(session)
        session.commit()
    return added
