"""The `timebank` command as an operator uses it: verify, seal, statement, import, match."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.functional.cli_helpers import timebank
from tests.integration.care.conftest import POLICY, World
from tests.integration.people.factories import make_city, make_ready
from timebank.clock import LOCAL_TZ, FixedClock
from timebank.db import make_session_factory, transaction
from timebank.ledger import services as ledger
from timebank.people import services as people
from timebank.people.idcard import make_id_number


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def seeded(engine: Engine, clock: FixedClock) -> dict[str, object]:
    """A committed small world: an elder with coins, an active volunteer, default vault."""
    with transaction(make_session_factory(engine)) as s:
        city = make_city(s, clock.now())
        elder = people.register_person(
            s,
            actor=city.station,
            full_name="李奶奶",
            id_number=make_id_number("110101", date(1944, 3, 7), 2),
            phone=None,
            district_code="110101",
            address="交道口南大街1号",
            lat=39.935,
            lon=116.41,
            at=clock.now(),
        )
        volunteer = people.register_person(
            s,
            actor=city.station,
            full_name="王芳",
            id_number=make_id_number("110101", date(1996, 1, 1), 4),
            phone="13800138000",
            district_code="110101",
            lat=39.93,
            lon=116.42,
            at=clock.now(),
        )
        for person in (elder, volunteer):
            ledger.open_accounts(s, person_id=person.id, at=clock.now())
        make_ready(s, city, volunteer)
        people.activate_volunteer(s, actor=city.station, person_id=volunteer.id, at=clock.now())
        World(s, clock, city, elder, volunteer).fund(elder, 600, "elder")
        ids = {
            "elder": elder.id,
            "volunteer": volunteer.id,
            "station": city.station.org_id,
            "elder_idn": make_id_number("110101", date(1944, 3, 7), 2),
            "volunteer_idn": make_id_number("110101", date(1996, 1, 1), 4),
        }
        s.commit()
    return ids


def tamper(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER ledger_transfers_no_update"))
            conn.execute(text(sql))


def test_verify_green_then_red_after_tampering(fresh_engine: Engine, clock: FixedClock) -> None:
    url = url_of(fresh_engine)
    seeded(fresh_engine, clock)
    assert "seal 1" in timebank("ledger", "seal", url=url, check=True).stdout
    ok = timebank("ledger", "verify", "--json", url=url, check=True)
    report = json.loads(ok.stdout)
    assert report["ok"] and report["transfers"] == report["sealed_transfers"] > 0
    assert report["outstanding_minutes"] == report["issued_minutes"] == 600
    tamper(fresh_engine, "UPDATE ledger_transfers SET amount = amount + 60 WHERE id = 1")
    bad = timebank("ledger", "verify", url=url)
    assert bad.returncode == 1
    assert "first bad transfer 1" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_statement_by_id_number_and_bad_person(
    fresh_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    url = url_of(fresh_engine)
    ids = seeded(fresh_engine, clock)
    out = tmp_path / "s.csv"
    timebank("ledger", "statement", str(ids["elder_idn"]), "--out", str(out), url=url, check=True)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("transfer,") and len(lines) == 3  # header + 2 days of credits
    assert "服务存入" in lines[1]
    for bad in ("999999", "110101194403070021"):
        result = timebank("ledger", "statement", bad, url=url)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "error" in result.stderr


def test_import_visits_all_or_nothing_then_approve(
    fresh_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    url = url_of(fresh_engine)
    ids = seeded(fresh_engine, clock)
    now = clock.now().astimezone(LOCAL_TZ)
    start = now - timedelta(hours=3)
    good = (
        f"{ids['volunteer_idn']},{ids['elder_idn']},chat_visit,"
        f"{start:%Y-%m-%d %H:%M},{start + timedelta(minutes=90):%Y-%m-%d %H:%M},纸质"
    )
    bad = f"{ids['volunteer_idn']},{ids['elder_idn']},massage,{start:%Y-%m-%d %H:%M},later,"
    header = "志愿者身份证号,老人身份证号,服务项目,开始时间,结束时间,备注"
    sheet = tmp_path / "records.csv"
    sheet.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")
    station = str(ids["station"])
    # The records are in the past relative to the wall clock too, so validation passes.
    refused = timebank(
        "import", "visits", str(sheet), "--station", station, "--operator", "张三", url=url
    )
    assert refused.returncode == 2, refused.stderr
    assert "nothing imported" in refused.stderr
    assert "item_code" in refused.stderr and "end" in refused.stderr
    sheet.write_text(f"{header}\n{good}\n", encoding="utf-8")
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
    same = timebank("import", "approve", "--station", station, "--operator", "张三", url=url)
    assert same.returncode != 0 and "second station user" in same.stderr
    timebank("import", "approve", "--station", station, "--operator", "李四", url=url, check=True)
    with transaction(make_session_factory(fresh_engine)) as s:
        b = ledger.balances(s, person_id=int(str(ids["volunteer"])), policy=POLICY)
    assert b.earned == 90


@pytest.mark.parametrize(
    "args",
    [
        ("match", "--district", "999999"),
        ("import", "visits", "nope.csv", "--station", "1", "--operator", "x"),
        ("ledger", "statement", "abc"),
        ("match",),
    ],
)
def test_bad_input_exits_non_zero_without_traceback(
    fresh_engine: Engine, args: tuple[str, ...]
) -> None:
    result = timebank(*args, url=url_of(fresh_engine))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout


def test_match_json(fresh_engine: Engine, clock: FixedClock) -> None:
    seeded(fresh_engine, clock)
    result = timebank(
        "match", "--district", "110101", "--json", url=url_of(fresh_engine), check=True
    )
    assert json.loads(result.stdout)["district"] == "110101"
