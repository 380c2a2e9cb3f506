"""`timebank geography import FILE`: a fresh database has no places until the city's file
comes in; a bad file names its row and field and writes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import drop_database, fresh_database_url
from tests.functional.test_demo import cli
from timebank.db import make_engine
from timebank.migrate import upgrade
from timebank.people.models import District, Street

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/geography-beijing-districts.csv"


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = (
            int(conn.scalar(select(func.count()).select_from(District)) or 0),
            int(conn.scalar(select(func.count()).select_from(Street)) or 0),
        )
    engine.dispose()
    return found


def test_the_example_file_imports_beijing_once(tmp_path: Path) -> None:
    url = fresh_database_url("sqlite", "geo", tmp_path)
    upgrade(make_engine(url))
    assert _counts(url) == (0, 0)  # no migration seeds places
    first = cli(url, "geography", "import", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert _counts(url) == (16, 0)
    again = cli(url, "geography", "import", str(EXAMPLE))
    assert again.exit_code == 0, again.output
    assert "16" in again.output and _counts(url) == (16, 0)
    drop_database(url)


def test_a_bad_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    url = fresh_database_url("sqlite", "geo-bad", tmp_path)
    upgrade(make_engine(url))
    bad = tmp_path / "bad.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines.append("street,110101001,110101,东华门街道,,39.92,east")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(url, "geography", "import", str(bad))
    assert result.exit_code != 0
    assert "row 17" in result.output and "lon" in result.output
    orphan = tmp_path / "orphan.csv"
    orphan.write_text(
        "\n".join([*lines[:-1], "street,110199001,110199,无名街道,,39.9,116.4"]) + "\n",
        encoding="utf-8",
    )
    result = cli(url, "geography", "import", str(orphan))
    assert result.exit_code != 0 and "parent_code" in result.output
    assert _counts(url) == (0, 0)  # the sixteen good districts were not written either
    assert cli(url, "geography", "import", str(tmp_path / "x.txt")).exit_code != 0
