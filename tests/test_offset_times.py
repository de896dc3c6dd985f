"""CSV time columns whose text carries a UTC offset (``...+00:00``, ``...-05:00``, ``...Z``).

Such a time is an instant. With a source ``timezone:`` it is counted in that zone's calendar day;
without, in the day written before its offset (as a time-zone-aware pandas or Parquet column
keeps its own zone's clock); naive times beside it are taken as written. Every backend reads the
same CSV text, and every expected day is worked out by hand in the comments (Paris is UTC+1 in
winter).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kpikit import compute, load_spec
from kpikit.cli import main
from kpikit.errors import DataError
from kpikit.spec import Spec

MIXED = """\
    ts,amount
    2026-01-31T23:30:00+00:00,10
    2026-02-01T00:30:00+00:00,20
    2026-01-31T20:00:00-05:00,5
    2026-03-01T01:00:00+02:00,7
"""


def write(folder: Path, csv: str, zone: str | None = None) -> Path:
    """A spec over ``orders.csv`` (``csv``, dedented) with one KPI, sum(amount); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(textwrap.dedent(csv), encoding="utf-8")
    extra = f", timezone: {zone}" if zone else ""
    (folder / "kpis.yml").write_text(
        "version: 1\nsources:\n"
        f"  orders: {{path: orders.csv, time: ts{extra}}}\n"
        "kpis:\n"
        "  amount: {name: Amount, source: orders, measure: sum(amount), unit: count,"
        " direction: up}\n",
        encoding="utf-8",
    )
    return folder / "kpis.yml"


def days(spec: Spec | Path, backend: str, **options: Any) -> dict[str, float]:
    """The daily sums that are not 0 (the time spine fills the days between with 0)."""
    got = compute(spec, grain="day", backend=backend, **options)
    return {p: v for p, v in zip(got["period"], got["value"], strict=True) if v}


# On DuckDB, compute() finishes the rows in plain Python (kpikit._rows) unless a step needs
# pandas, such as compare=: both paths are run.
FINISH = [pytest.param({}, id="plain"), pytest.param({"compare": "previous"}, id="compare")]


@pytest.mark.parametrize("options", FINISH)
def test_mixed_offsets_are_counted_in_the_source_zone(tmp_path, backend, options) -> None:
    # 2026-01-31T23:30Z -> Feb 1 00:30 Paris; 2026-02-01T00:30Z -> Feb 1 01:30;
    # 2026-01-31T20:00-05:00 = Feb 1 01:00Z -> Feb 1 02:00; 2026-03-01T01:00+02:00 =
    # Feb 28 23:00Z -> Mar 1 00:00
    spec = write(tmp_path, MIXED, "Europe/Paris")
    assert days(spec, backend, **options) == {"2026-02-01": 35.0, "2026-03-01": 7.0}


@pytest.mark.parametrize("options", FINISH)
def test_mixed_offsets_without_a_zone_keep_their_written_time(tmp_path, backend, options) -> None:
    # the day written before each offset: Jan 31 (10 and 5), Feb 1 (20), Mar 1 (7)
    spec = write(tmp_path, MIXED)
    got = days(spec, backend, **options)
    assert got == {"2026-01-31": 15.0, "2026-02-01": 20.0, "2026-03-01": 7.0}


def test_text_frames_passed_as_data_follow_the_same_rule(tmp_path, backend, native) -> None:
    # a frame of the backend's own with the times as text (DuckDB VARCHAR, Spark string ...)
    frame = pd.DataFrame(
        {
            "ts": [line.split(",")[0] for line in textwrap.dedent(MIXED).split()[1:]],
            "amount": [10.0, 20.0, 5.0, 7.0],
        }
    )
    zoned = write(tmp_path / "zoned", MIXED, "Europe/Paris")
    got = days(zoned, backend, data={"orders": native(frame)})
    assert got == {"2026-02-01": 35.0, "2026-03-01": 7.0}
    got = days(write(tmp_path / "plain", MIXED), backend, data={"orders": native(frame)})
    assert got == {"2026-01-31": 15.0, "2026-02-01": 20.0, "2026-03-01": 7.0}


def test_a_spark_session_in_another_time_zone(tmp_path, spark) -> None:
    # the session's SQL time zone (Tokyo) plays no part in text that carries its own offset
    tokyo = spark.newSession()
    tokyo.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    theirs = tokyo.read.csv(str(_csv(tmp_path, MIXED)), header=True).selectExpr(
        "ts", "cast(amount AS double) AS amount"
    )
    zoned = write(tmp_path / "zoned", MIXED, "Europe/Paris")
    got = days(zoned, "spark", data={"orders": theirs})
    assert got == {"2026-02-01": 35.0, "2026-03-01": 7.0}
    got = days(write(tmp_path / "plain", MIXED), "spark", data={"orders": theirs})
    assert got == {"2026-01-31": 15.0, "2026-02-01": 20.0, "2026-03-01": 7.0}


def _csv(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "theirs.csv"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_z_is_utc(tmp_path, backend) -> None:
    csv = """\
        ts,amount
        2026-01-31T23:30:00Z,1
        2026-02-01T22:59:59Z,2
        2026-02-01T23:00:00Z,4
    """
    # Paris: Feb 1 00:30, Feb 1 23:59:59, Feb 2 00:00; as written: Jan 31, Feb 1, Feb 1
    zoned = write(tmp_path / "zoned", csv, "Europe/Paris")
    assert days(zoned, backend) == {"2026-02-01": 3.0, "2026-02-02": 4.0}
    assert days(write(tmp_path / "plain", csv), backend) == {"2026-01-31": 1.0, "2026-02-01": 6.0}


def test_one_offset_for_every_row(tmp_path, backend) -> None:
    csv = """\
        ts,amount
        2026-01-31T23:30:00+02:00,10
        2026-02-01T00:30:00+02:00,20
        2026-02-28T23:00:00+02:00,7
    """
    # Paris: 21:30Z -> Jan 31 22:30; Jan 31 22:30Z -> 23:30 (still Jan 31); 21:00Z -> Feb 28
    # 22:00. As written: Jan 31, Feb 1, Feb 28.
    zoned = write(tmp_path / "zoned", csv, "Europe/Paris")
    assert days(zoned, backend) == {"2026-01-31": 30.0, "2026-02-28": 7.0}
    plain = write(tmp_path / "plain", csv)
    assert days(plain, backend) == {"2026-01-31": 10.0, "2026-02-01": 20.0, "2026-02-28": 7.0}


def test_naive_times_are_unchanged(tmp_path, backend) -> None:
    naive = """\
        ts,amount
        2026-01-31 23:30:00,1
        2026-02-01 00:30:00,2
    """
    # naive times are already Paris time: no shift either way
    zoned = write(tmp_path / "zoned", naive, "Europe/Paris")
    assert days(zoned, backend) == {"2026-01-31": 1.0, "2026-02-01": 2.0}
    assert days(write(tmp_path / "plain", naive), backend) == {"2026-01-31": 1.0, "2026-02-01": 2.0}


def test_naive_and_offset_times_in_one_column(tmp_path, backend) -> None:
    csv = """\
        ts,amount
        2026-01-31 23:30:00,1
        2026-01-31T23:30:00Z,2
    """
    # Paris: the naive one stays Jan 31 23:30, the instant is Feb 1 00:30; as written: Jan 31
    zoned = write(tmp_path / "zoned", csv, "Europe/Paris")
    assert days(zoned, backend) == {"2026-01-31": 1.0, "2026-02-01": 2.0}
    assert days(write(tmp_path / "plain", csv), backend) == {"2026-01-31": 3.0}


BAD = """\
    ts,amount
    2026-01-31T23:30:00+00:00,10
    not a time,20
    2026-01-31T20:00:00-05:00,5
"""


@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_a_bad_value_is_named(tmp_path, backend, zone) -> None:
    spec = load_spec(write(tmp_path, BAD, zone))
    with pytest.raises(
        DataError,
        match=r"^the time column 'ts' of orders\.csv \(source 'orders'\) does not hold dates: "
        r"expected dates or timestamps such as 2026-11-30 or 2026-11-30 23:59:59, found the "
        r"value 'not a time'\. Hint: fix or remove that value",
    ):
        compute(spec, grain="day", backend=backend)


@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_the_command_says_it_in_one_line(tmp_path, backend, zone, capsys) -> None:
    spec = write(tmp_path / "good", MIXED, zone)
    args = ["compute", str(spec), "--grain", "day", "--backend", backend, "--format", "csv"]
    assert main(args) == 0
    out = capsys.readouterr().out
    # 2026-01-31 ... 2026-03-01 with 0 between; one line per day
    assert ("amount,2026-02-01,True,35.0" in out) is (zone is not None)
    assert ("amount,2026-01-31,True,15.0" in out) is (zone is None)

    bad = write(tmp_path / "bad", BAD, zone)
    args = ["compute", str(bad), "--grain", "day", "--backend", backend, "--format", "csv"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("kpikit: error: the time column 'ts' of orders.csv")
    assert "found the value 'not a time'" in line
    assert "Traceback" not in captured.err
