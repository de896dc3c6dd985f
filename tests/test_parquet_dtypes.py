"""Parquet types reach the result as ordinary dtypes on every backend.

A Parquet DATE column, a timestamp with a time zone and integer sums too large for 64 bits
(DuckDB sums integers into 128-bit HUGEINTs) must all come back as plain ``datetime64`` /
``float64`` values, with the numbers an independent computation in the test gives.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpikit import compute
from kpikit._backends import get_backend

BIG = 3_000_000_000_000_000_000  # three of these overflow int64 (max ~9.22e18)
KPIS = """\
  total_big: {name: Big, source: events, measure: sum(big), unit: count, direction: up}
  rows_paid: {name: Paid rows, source: events, measure: count(), filter: paid, unit: count,
              direction: up}
  small: {name: Small, source: events, measure: sum(small), unit: count, direction: up}
"""


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A Parquet file (and a folder of two) with a DATE, a Tokyo timestamp and huge integers.

    The Tokyo times sit near midnight, so a backend that buckets them in UTC puts them in the
    wrong day and month.
    """
    wall = pd.to_datetime(
        [
            "2026-01-31 08:30", "2026-01-31 23:30", "2026-02-01 00:30", "2026-02-01 08:59",
            "2026-02-28 23:59", "2026-03-01 00:00", "2026-03-01 07:00", "2026-03-31 12:00",
        ]
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "wall": wall,
            "channel": ["a", "b", "a", "b", "a", "a", "b", "b"],
            "big": [BIG, BIG, BIG, BIG - 7, BIG, BIG + 11, BIG, BIG],
            "small": [1, 2, 3, 4, 5, 6, 7, 8],
            "paid": [True, False, True, True, False, True, True, False],
        }
    )
    table = pa.table(
        {
            "day": pa.array(frame.wall.dt.date, pa.date32()),
            "at": pa.array(frame.wall.dt.tz_localize("Asia/Tokyo")),
            "channel": pa.array(frame.channel),
            "big": pa.array(frame.big, pa.int64()),
            "small": pa.array(frame.small, pa.int64()),
            "paid": pa.array(frame.paid),
        }
    )
    assert table.schema.field("at").type == pa.timestamp("us", tz="Asia/Tokyo")
    folder = tmp_path_factory.mktemp("events")
    pq.write_table(table, folder / "events.parquet")
    (folder / "parts").mkdir()
    pq.write_table(table.slice(0, 4), folder / "parts" / "0.parquet")
    pq.write_table(table.slice(4), folder / "parts" / "1.parquet")
    return folder, frame


def _spec(write_spec, folder: Path, path: str, time: str):  # type: ignore[no-untyped-def]
    return write_spec({}, KPIS, sources_yaml=f"events: {{path: '{folder / path}', time: {time}}}")


@pytest.mark.parametrize("path", ["events.parquet", "parts"])
def test_pandas_reads_a_parquet_date_column_as_datetime64(write_spec, events, path) -> None:
    folder, _ = events
    source = _spec(write_spec, folder, path, "day").sources["events"]
    read = get_backend("pandas").read(source)  # before any parsing of the time column
    assert read["day"].dtype.kind == "M"  # not object (one datetime.date per row)
    want = pq.read_table(folder / "events.parquet").column("day").to_pylist()
    assert [d.date() for d in read["day"]] == want
    assert str(read["at"].dtype) == "datetime64[us, Asia/Tokyo]"


@pytest.mark.parametrize("time", ["day", "at"])
def test_dates_zoned_times_and_huge_sums_give_float64_and_exact_numbers(
    write_spec, events, backend, time
) -> None:
    folder, frame = events
    got = compute(
        _spec(write_spec, folder, "events.parquet", time), grain="month", by="channel",
        backend=backend,
    )  # fmt: skip
    assert {c: str(t) for c, t in got.dtypes.items()} == {
        "kpi": "str", "period": "str", "channel": "str", "complete": "bool",
        "value": "float64", "numerator": "float64", "denominator": "float64",
    }  # fmt: skip
    # Independently: months of the Tokyo wall-clock times, sums in Python's exact integers.
    month = frame.wall.dt.strftime("%Y-%m")
    for (period, channel), rows in frame.groupby([month, "channel"]):
        row = got[(got.period == period) & (got.channel == channel)].set_index("kpi")["value"]
        exact = sum(int(x) for x in rows.big)
        assert exact > np.iinfo(np.int64).max or len(rows) < 3
        assert row["total_big"] == pytest.approx(float(exact), rel=1e-11)
        assert row["rows_paid"] == float(rows.paid.sum())
        assert row["small"] == float(sum(int(x) for x in rows.small))
    assert sorted(set(got.period)) == ["2026-01", "2026-02", "2026-03"]


def test_a_huge_sum_over_all_rows_on_every_backend(write_spec, events, backend) -> None:
    folder, frame = events
    got = compute(
        _spec(write_spec, folder, "parts", "day"), grain="year", kpis=["total_big"],
        backend=backend,
    )  # fmt: skip
    exact = sum(int(x) for x in frame.big)  # 2.4e19, far beyond int64
    assert got["value"].dtype == "float64"
    assert got["value"].item() == pytest.approx(float(exact), rel=1e-11)
    assert got["period"].item() == str(dt.date(2026, 1, 1).year)
