"""The policy the city admin edits reaches the detectors: the next write-time check and the
next scan judge by the stored late-night window and daily cap, without a restart."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.care.conftest import World
from tests.integration.supervision.conftest import plant_visit
from timebank.clock import LOCAL_TZ
from timebank.policy import Policy
from timebank.policy_store import set_policy
from timebank.supervision.detection.params import DEFAULT_PARAMS
from timebank.supervision.models import Alert
from timebank.supervision.services import after_commit, scan_and_record
from timebank.supervision.tuning import params_for


def _local(w: World, days: int, hour: int, minute: int = 0) -> datetime:
    base = (w.clock.now() - timedelta(days=days)).astimezone(LOCAL_TZ)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _rules(session: Session) -> list[str]:
    return list(session.execute(select(Alert.rule).order_by(Alert.id)).scalars())


def test_params_for_takes_the_window_and_the_cap_from_the_policy() -> None:
    p = params_for(
        Policy(late_night_start_hour=23, late_night_end_hour=5, daily_credit_cap_minutes=90)
    )
    assert (p.night_start_hour, p.night_end_hour, p.daily_cap_minutes) == (23, 5, 90)
    assert p.overlap_tolerance_minutes == DEFAULT_PARAMS.overlap_tolerance_minutes


def test_moving_the_night_start_changes_the_next_check(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    early = plant_visit(w, start=_local(w, 3, 22, 30), minutes=25)
    set_policy(
        w.session, actor_label="city", at=w.clock.now(), values={"late_night_start_hour": 23}
    )
    assert after_commit(factory, "visit", early.id, at=w.clock.now()) == []
    assert scan_and_record(w.session, at=w.clock.now()).counts["late_night"] == 0
    set_policy(
        w.session, actor_label="city", at=w.clock.now(), values={"late_night_start_hour": 22}
    )
    assert len(after_commit(factory, "visit", early.id, at=w.clock.now())) == 1
    assert _rules(w.session) == ["late_night"]


def test_lowering_the_daily_cap_flags_the_next_check_and_scan(
    world: World, factory: sessionmaker[Session]
) -> None:
    w = world
    plant_visit(w, start=_local(w, 3, 9), minutes=120)
    second = plant_visit(w, start=_local(w, 3, 14), minutes=120)
    assert after_commit(factory, "visit", second.id, at=w.clock.now()) == []
    set_policy(
        w.session, actor_label="city", at=w.clock.now(), values={"daily_credit_cap_minutes": 180}
    )
    assert len(after_commit(factory, "visit", second.id, at=w.clock.now())) == 1
    assert _rules(w.session) == ["daily_cap"]
    set_policy(
        w.session, actor_label="city", at=w.clock.now(), values={"daily_credit_cap_minutes": 480}
    )
    assert scan_and_record(w.session, at=w.clock.now()).counts["daily_cap"] == 0
