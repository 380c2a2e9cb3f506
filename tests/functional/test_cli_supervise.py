"""`timebank supervise scan` as an operator runs it: counts per rule, JSON, exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.functional.cli_helpers import timebank
from tests.integration.care.conftest import World
from tests.integration.people.factories import make_city, register
from tests.integration.supervision.conftest import night, plant_visit
from timebank.clock import LOCAL_TZ, FixedClock
from timebank.db import make_session_factory, transaction
from timebank.ledger import services as ledger
from timebank.supervision.detection.facts import Rule


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def with_fraud(engine: Engine, clock: FixedClock) -> None:
    """A committed small world whose volunteer claimed two late-night visits."""
    with transaction(make_session_factory(engine)) as s:
        city = make_city(s, clock.now())
        elder = register(s, city, age=82, address="交道口南大街1号", lat=39.935, lon=116.41)
        ledger.open_accounts(s, person_id=elder.id, at=clock.now())
        w = World(s, clock, city, elder, elder)
        w.volunteer = w.volunteer_person()
        for day in (-2, -3):
            plant_visit(w, start=night(w, day), minutes=60)
        s.commit()


def test_scan_reports_counts_per_rule_and_stores_each_alert_once(
    fresh_engine: Engine, clock: FixedClock
) -> None:
    url = url_of(fresh_engine)
    with_fraud(fresh_engine, clock)
    first = json.loads(timebank("supervise", "scan", "--json", url=url, check=True).stdout)
    assert (first["visits"], first["alerts"], first["new_alerts"]) == (2, 2, 2)
    assert set(first["rules"]) == {r.value for r in Rule}
    assert first["rules"]["late_night"] == {"alerts": 2, "new": 2}
    assert first["rules"]["overlap"] == {"alerts": 0, "new": 0}
    again = json.loads(timebank("supervise", "scan", "--json", url=url, check=True).stdout)
    assert (again["alerts"], again["new_alerts"], again["run"]) == (2, 0, first["run"] + 1)
    since = json.loads(
        timebank("supervise", "scan", "--since", "2026-03-01", "--json", url=url, check=True).stdout
    )
    assert since["alerts"] == 0 and since["since"] == "2026-03-01"
    table = timebank("supervise", "scan", url=url, check=True)
    assert "late_night" in table.stdout and "0 new alerts stored" in table.stdout


def test_bad_input_is_refused_with_a_clear_message(fresh_engine: Engine, tmp_path: Path) -> None:
    url = url_of(fresh_engine)
    for since in ("2026-02-30", "2999-01-01"):
        result = timebank("supervise", "scan", "--since", since, url=url)
        assert result.returncode == 2, result.stderr
        assert "--since" in result.stderr and "Traceback" not in result.stderr
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    missing = timebank("supervise", "scan", url=empty)
    assert missing.returncode == 69 and "database error" in missing.stderr
    helped = timebank("supervise", "--help", url=url, check=True)
    assert "scan" in helped.stdout


def test_approving_paper_records_runs_the_write_time_checks(
    fresh_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """`timebank import approve` settles the visits, then checks each after commit."""
    from sqlalchemy import select

    from tests.functional.test_cli_ledger import seeded
    from timebank.supervision.models import Alert

    url = url_of(fresh_engine)
    ids = seeded(fresh_engine, clock)
    start = clock.now().astimezone(LOCAL_TZ).replace(hour=23, minute=0)
    row = (
        f"{ids['volunteer_idn']},{ids['elder_idn']},chat_visit,"
        f"{start:%Y-%m-%d %H:%M},{start + timedelta(minutes=60):%Y-%m-%d %H:%M},夜间"
    )
    sheet = tmp_path / "night.csv"
    sheet.write_text(
        f"志愿者身份证号,老人身份证号,服务项目,开始时间,结束时间,备注\n{row}\n", encoding="utf-8"
    )
    station = str(ids["station"])
    timebank(
        "import",
        "visits",
        str(sheet),
        "--station",
        station,
        "--operator",
        "张三",
        url=url,
        check=True,
    )
    with transaction(make_session_factory(fresh_engine)) as s:
        assert s.execute(select(Alert)).first() is None  # entered, not yet settled
    approved = timebank(
        "import", "approve", "--station", station, "--operator", "李四", url=url, check=True
    )
    assert "new alerts" in approved.stdout
    with transaction(make_session_factory(fresh_engine)) as s:
        found = s.execute(select(Alert.rule, Alert.source)).all()
    assert ("late_night", "live") in found
