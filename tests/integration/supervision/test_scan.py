"""The full scan against the database: tables loaded, alerts stored once, people watched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.integration.care.conftest import World
from tests.integration.supervision.conftest import night, plant_visit
from timebank.audit.models import AuditEntry
from timebank.notices.models import Notice
from timebank.supervision import repository
from timebank.supervision.models import Alert, AlertPerson, ScanRun, Watch
from timebank.supervision.services import scan_and_record


def test_tables_carry_what_the_rules_read(world: World) -> None:
    w = world
    late = plant_visit(w, start=night(w), minutes=90, checkin=(39.95, 116.41))
    paper = plant_visit(w, start=night(w, -5) - timedelta(hours=12), source="offline")
    tables = repository.load_tables(w.session)
    v = tables.visits
    row = int((v.id == late.id).nonzero()[0][0])
    assert late.check_in_at is not None
    assert v.start[row] == int(late.check_in_at.timestamp())
    assert v.end[row] - v.start[row] == 90 * 60
    assert v.categories[v.category[row]] == "emotional_comfort"
    assert (v.volunteer[row], v.elder[row]) == (w.volunteer.id, w.elder.id)
    assert v.credited[row] == 90 and v.station[row] == w.city.station.org_id
    assert (v.elder_lat[row], v.checkin_lat[row]) == (39.935, 39.95)
    assert v.checkin_device[row] != v.confirm_device[row] and v.checkin_device[row] >= 0
    other = int((v.id == paper.id).nonzero()[0][0])
    assert v.offline[other] and v.checkin_device[other] == -1
    # The elder's funding credits are not visits; accounts are everyone registered.
    assert len(v) == 2
    assert set(tables.accounts.person.tolist()) >= {w.elder.id, w.volunteer.id}


def test_a_rescan_stores_nothing_twice(world: World) -> None:
    w = world
    first = plant_visit(w, start=night(w), minutes=60)
    plant_visit(w, start=night(w) - timedelta(minutes=30), minutes=60)  # overlaps the first
    now = w.clock.now()
    summary = scan_and_record(w.session, at=now)
    assert summary.counts["late_night"] == 2 and summary.counts["overlap"] == 1
    assert summary.new_alerts == summary.alerts == 3
    keys = set(w.session.execute(select(Alert.dedup_key)).scalars())
    assert f"late_night:visit:{first.id}" in keys

    again = scan_and_record(w.session, at=now + timedelta(hours=1))
    assert again.alerts == 3 and again.new_alerts == 0
    assert w.session.execute(select(func.count()).select_from(Alert)).scalar_one() == 3
    runs = w.session.execute(select(ScanRun).order_by(ScanRun.id)).scalars().all()
    assert [(r.alerts, r.new_alerts) for r in runs] == [(3, 3), (3, 0)]
    assert runs[0].counts["overlap"] == {"alerts": 1, "new": 1}


def test_new_alerts_watch_and_remind_the_account_once_a_day(world: World) -> None:
    w = world
    plant_visit(w, start=night(w), minutes=60)
    now = w.clock.now()
    scan_and_record(w.session, at=now)
    watch = w.session.get(Watch, w.volunteer.id)
    assert watch is not None and watch.alerts == 1 and watch.reminded_at == now
    links = w.session.execute(select(AlertPerson.person_id)).scalars().all()
    assert links == [w.volunteer.id]
    sms = w.session.execute(select(Notice)).scalars().all()
    assert len(sms) == 1 and sms[0].recipient == "13800138000" and "重点关注" in sms[0].text_zh

    plant_visit(w, start=night(w, -2), minutes=60)
    scan_and_record(w.session, at=now + timedelta(hours=2))
    assert watch.alerts == 2
    assert len(w.session.execute(select(Notice)).scalars().all()) == 1  # same day
    plant_visit(w, start=night(w, -1), minutes=60)
    scan_and_record(w.session, at=now + timedelta(days=1, hours=1))
    assert len(w.session.execute(select(Notice)).scalars().all()) == 2
    acts = w.session.execute(select(AuditEntry.act)).scalars().all()
    assert acts.count("supervision.scan") == 3 and acts.count("supervision.alerts") == 3


def test_since_judges_only_newer_records(world: World) -> None:
    w = world
    old = plant_visit(w, start=night(w, -40), minutes=60)
    new = plant_visit(w, start=night(w, -2), minutes=60)
    summary = scan_and_record(w.session, at=w.clock.now(), since=night(w, -10))
    keys = set(w.session.execute(select(Alert.subject_id)).scalars())
    assert summary.counts["late_night"] == 1 and keys == {str(new.id)}
    assert str(old.id) not in keys


def test_alerts_belong_to_the_volunteers_district(world: World) -> None:
    w = world
    plant_visit(w, start=night(w), minutes=60)
    scan_and_record(w.session, at=w.clock.now())
    alert = w.session.execute(select(Alert)).scalar_one()
    assert (alert.district_code, alert.station_id, alert.source) == (
        w.volunteer.district_code,
        w.city.station.org_id,
        "scan",
    )
    assert alert.people == [w.volunteer.id] and alert.evidence["visit_id"] > 0
