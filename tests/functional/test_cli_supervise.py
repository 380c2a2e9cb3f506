"""`timebank supervise scan` as an operator runs it: counts per rule, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.functional.cli_helpers import timebank
from tests.integration.care.conftest import World
from tests.integration.people.factories import make_city, register
from tests.integration.supervision.conftest import night, plant_visit
from timebank.clock import FixedClock
from timebank.db import make_session_factory, transaction
from timebank.ledger import services as ledger
from timebank.supervision.events import Rule


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
