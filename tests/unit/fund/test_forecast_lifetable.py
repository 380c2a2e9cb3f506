"""The shipped China life table, its derivation, and the loader's refusals."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from timebank.errors import InvalidInput
from timebank.fund.forecast import china_life_table, load_life_table, parse_life_table
from timebank.fund.forecast.interpolate import (
    read_abridged,
    render_single_year_csv,
    single_year_from_abridged,
)

DATA = resources.files("timebank.fund.forecast").joinpath("data")


def table_text(qx: dict[int, str] | None = None, drop: int | None = None) -> str:
    values = {a: "0.01" for a in range(101)} | (qx or {})
    rows = [f"{a},{values[a]}" for a in range(101) if a != drop]
    return "# a comment line\nage,qx\n" + "\n".join(rows) + "\n"


def test_shipped_table_covers_every_age_and_matches_who_summaries() -> None:
    table = china_life_table()
    assert table.qx.shape == (101,)
    assert "WHO" in table.source and "2019" in table.source
    # WHO GHO, China 2019, both sexes: e0 77.4, e60 about 21
    assert table.life_expectancy(0) == pytest.approx(77.4, abs=0.5)
    assert table.life_expectancy(60) == pytest.approx(21.1, abs=0.5)
    assert np.all(np.diff(table.qx[30:]) > 0)  # mortality rises with age from 30
    assert 0.3 < table.qx[100] < 1.0  # the open 100+ group: a yearly rate, not 1


def test_shipped_single_year_file_is_what_the_interpolation_gives() -> None:
    abridged = DATA.joinpath("china_who_2019_abridged.csv").read_text("utf-8")
    shipped = DATA.joinpath("china_who_2019_single_year.csv").read_text("utf-8")
    assert shipped == render_single_year_csv(abridged)


def test_interpolation_keeps_every_groups_survival() -> None:
    starts, nqx = read_abridged(DATA.joinpath("china_who_2019_abridged.csv").read_text("utf-8"))
    qx = single_year_from_abridged(starts, nqx)
    for start, end, group_q in zip(starts[:-1], starts[1:], nqx[:-1], strict=True):
        assert 1 - np.prod(1 - qx[start:end]) == pytest.approx(group_q, rel=1e-9)


def test_a_valid_table_loads_from_a_file_with_comments_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "city.csv"
    rows = "".join(f"{a},{min(0.001 * 1.09**a, 1):.6f},x\n" for a in range(101))
    path.write_text("# our city, 2024\nage,qx,note\n" + rows, "utf-8")
    table = load_life_table(path)
    assert table.qx[0] == pytest.approx(0.001)
    assert table.source == str(path)


def test_a_missing_age_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_life_table(table_text(drop=37))
    assert err.value.field == "age"
    assert "missing age 37" in err.value.message


def test_a_probability_above_one_is_refused_naming_the_line_and_column() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_life_table(table_text({12: "1.2"}))
    assert err.value.field == "qx"
    # line 1 is the comment, 2 the header, 3 is age 0: age 12 is on line 15
    assert "line 15 (age 12)" in err.value.message and "1.2" in err.value.message


@pytest.mark.parametrize("bad", ["-0.01", "nan", "abc", ""])
def test_other_bad_probabilities_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_life_table(table_text({50: bad}))
    assert err.value.field == "qx" and "line 53" in err.value.message


def test_a_repeated_or_out_of_range_age_is_refused() -> None:
    with pytest.raises(InvalidInput, match="line 3: age 0 appears twice"):
        parse_life_table("age,qx\n0,0.1\n" + table_text().split("age,qx\n")[1])
    with pytest.raises(InvalidInput, match="age 101 is outside") as err:
        parse_life_table(table_text() + "101,0.5\n")
    assert err.value.field == "age"


def test_a_missing_column_or_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_life_table("age,px\n0,0.99\n")
    assert err.value.field == "qx" and "line 1" in err.value.message
    with pytest.raises(InvalidInput) as err:
        load_life_table(tmp_path / "absent.csv")
    assert err.value.field == "path"
