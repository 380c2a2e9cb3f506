"""The demo hook: fraud planted into an existing database at known rates is found by a scan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from timebank.care.models import Visit
from timebank.config import Settings
from timebank.demo.fraud import Rates, inject_fraud
from timebank.demo.fraud.honest import honest_city, load_city
from timebank.errors import Conflict
from timebank.ledger.audit import verify_ledger
from timebank.ledger.models import Transfer
from timebank.supervision.detection.facts import Rule
from timebank.supervision.models import Alert
from timebank.supervision.services import EventKind, check_after_commit, scan_and_record

AT = datetime(2025, 1, 10, tzinfo=UTC)  # the synthetic year is 2024


@pytest.fixture
def city(session: Session) -> Session:
    """An honest year of about 6,000 visits at ten stations, written into the database."""
    load_city(session, honest_city(6000, seed=11, stations=10), seed=11)
    return session


def test_every_planted_instance_is_found_and_the_ledger_stays_whole(
    city: Session, factory: sessionmaker[Session]
) -> None:
    planted = inject_fraud(city, seed=5, at=AT)
    assert set(planted.injected) == set(Rule)
    assert planted.injected[Rule.OVERLAP] == 6  # 1 per 1,000 visits
    scan_and_record(city, at=AT)
    found = {
        (Rule(rule), kind, subject)
        for rule, kind, subject in city.execute(
            select(Alert.rule, Alert.subject_kind, Alert.subject_id)
        ).all()
    }
    assert sorted(planted.truth - found) == []
    # Nothing honest is flagged, but for month-to-month station swings in a ten-station city.
    false = {a for a in found - planted.truth if a[0] is not Rule.STATION_VOLUME}
    assert false == set()
    # The write-time hook agrees with the scan: replayed records raise nothing it did not.
    visits = city.execute(select(Visit.id).order_by(Visit.id.desc()).limit(150)).scalars()
    for visit_id in visits:
        assert check_after_commit(factory, "visit", visit_id, at=AT).new_ids == []
    moves = city.execute(
        select(Transfer.id, Transfer.kind)
        .where(
            Transfer.kind.in_(("gift", "donation", "service_payment")), Transfer.phase == "single"
        )
        .order_by(Transfer.id.desc())
        .limit(150)
    ).all()
    for transfer_id, kind in moves:
        hook: EventKind = "redemption" if kind == "service_payment" else kind
        assert check_after_commit(factory, hook, transfer_id, at=AT).new_ids == []
    report = verify_ledger(city, settings=Settings(env="test"))
    assert [p for p in report.problems if p.rule != "unsealed_in_sealed_range"] == []
    with pytest.raises(Conflict):
        inject_fraud(city, seed=5, rates=Rates(station=0), at=AT)
