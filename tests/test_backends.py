"""Backends: the registry, how each backend reads files, and the same table from each.

The engine's own tests (test_engine.py) run on every backend; these check what is particular to
backends: names and missing packages, Parquet files, folders and globs, time zones, dtypes and a
user's own SparkSession.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_engine import kpi, orders

from kpikit import compute
from kpikit._backends import backend_names, get_backend, read_source, spark_session
from kpikit._data import prepare, to_pandas
from kpikit.errors import DataError, KpikitError, ParameterError

REPO = Path(__file__).resolve().parents[1]

KPIS = (
    kpi("revenue", measure="sum(revenue)", filter="refunded == false")
    + kpi("orders", measure="count()", filter="not refunded")
    + kpi("aov", numerator="sum(revenue)", denominator="count(order_id)", filter="not refunded")
    + kpi("buyers", measure="count_distinct(customer_id)")
    + kpi("avg_cost", measure="mean(cost)")
    + kpi("max_revenue", measure="max(revenue)", filter="region != 'north'")
    + kpi("units", measure="sum(units)")  # integers: DuckDB sums them into HUGEINTs
    + kpi("cost", measure="sum(cost_dec)")  # a Parquet DECIMAL column
)


# --- the registry -------------------------------------------------------------------------------


def test_the_four_backends_pandas_first() -> None:
    assert backend_names() == ("pandas", "polars", "duckdb", "spark")
    assert get_backend(None).name == "pandas"
    assert [get_backend(name).extra for name in backend_names()] == [
        None,
        "polars",
        "duckdb",
        "spark",
    ]


def test_unknown_backend_names_the_choices_and_the_closest(write_spec) -> None:
    with pytest.raises(
        ParameterError,
        match=r"no backend named 'pyspark': expected one of pandas, polars, duckdb, spark, "
        r"found 'pyspark'\. Hint: did you mean 'spark'\?",
    ):
        get_backend("pyspark")
    with pytest.raises(ParameterError, match=r"no backend named 3.*backend='pandas' is the def"):
        get_backend(3)  # type: ignore[arg-type]
    spec = write_spec({"orders": orders()}, kpi("n", measure="count()"))
    with pytest.raises(ParameterError, match=r"no backend named 'ducks'.*did you mean 'duckdb'"):
        compute(spec, backend="ducks")
    from kpikit.engine import last_complete_period

    with pytest.raises(ParameterError, match=r"no backend named 'Polars'.*did you mean 'polars'"):
        last_complete_period(spec, backend="Polars")


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [("polars", "polars", "polars"), ("duckdb", "duckdb", "duckdb"), ("spark", "pyspark", "spark")],
)
def test_a_missing_package_names_the_extra_to_install(
    write_spec, monkeypatch, name, module, extra
) -> None:
    spec = write_spec({"orders": orders()}, kpi("n", measure="count()"))
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(
        KpikitError,
        match=rf"the {name} backend needs the {module} package, which is not installed\. "
        rf"Hint: pip install 'kpikit\[{extra}\]'",
    ):
        compute(spec, backend=name)


# --- Parquet: one file, a folder, a glob ---------------------------------------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """2026's sample orders, as CSV and as Parquet with a DATE, a zoned timestamp and a decimal.

    The Parquet timestamps are the CSV's wall-clock times in New York, stored as instants, so
    every backend must bucket them by their New York day to match the CSV.
    """
    frame = pd.read_csv(REPO / "data" / "orders.csv", parse_dates=["order_date"])
    frame = frame[frame.order_date >= "2026-01-01"].reset_index(drop=True)
    frame["units"] = (frame.index % 4).astype("int64")
    folder = tmp_path_factory.mktemp("shop")
    frame.to_csv(folder / "orders.csv", index=False)
    zoned = frame.order_date.dt.tz_localize(
        "America/New_York", nonexistent="shift_forward", ambiguous=True
    )
    table = pa.table(
        {
            **{c: pa.array(frame[c]) for c in ("order_id", "customer_id", "channel", "region")},
            "order_date": pa.array(zoned),
            "order_day": pa.array(frame.order_date.dt.date, pa.date32()),
            "revenue": pa.array(frame.revenue),
            "cost": pa.array(frame.cost),
            "cost_dec": pa.array(frame.cost.map(lambda x: f"{x:.2f}")).cast(pa.decimal128(12, 2)),
            "refunded": pa.array(frame.refunded),
            "units": pa.array(frame.units),
        }
    )
    assert table.schema.field("order_date").type == pa.timestamp("us", tz="America/New_York")
    pq.write_table(table, folder / "orders.parquet")
    (folder / "parts" / "2026").mkdir(parents=True)
    months = frame.order_date.dt.month.to_numpy()
    for part, keep in enumerate((months <= 4, (months > 4) & (months <= 8), months > 8)):
        pq.write_table(table.filter(pa.array(keep)), folder / "parts" / "2026" / f"{part}.parquet")
    return folder, frame


def _shop_spec(write_spec, folder: Path, path: str, time: str = "order_date"):  # type: ignore[no-untyped-def]
    return write_spec({}, KPIS, sources_yaml=f"orders: {{path: '{folder / path}', time: {time}}}")


@pytest.mark.parametrize("path", ["orders.parquet", "parts", "parts/*/*.parquet"])
def test_parquet_file_folder_or_glob_gives_the_csv_numbers(write_spec, shop, backend, path) -> None:
    folder, frame = shop
    csv = write_spec(
        {}, KPIS.replace("sum(cost_dec)", "sum(cost)"),
        sources_yaml=f"orders: {{path: {folder / 'orders.csv'}, time: order_date}}",
    )  # fmt: skip
    want = compute(csv, grain="week", by="channel")
    assert len(want) > 100 and set(want.kpi) == set(csv.kpis)
    got = compute(_shop_spec(write_spec, folder, path), grain="week", by="channel", backend=backend)
    pd.testing.assert_frame_equal(
        got, want, check_exact=False, rtol=1e-11
    )  # aggregates carry 12 significant digits
    kept = frame[~frame.refunded]
    july = kept[kept.order_date.dt.strftime("%Y-%m") == "2026-07"]
    by_month = compute(
        _shop_spec(write_spec, folder, path), kpis=["revenue"], start="2026-07", end="2026-07",
        backend=backend,
    )  # fmt: skip
    assert by_month["value"].item() == pytest.approx(
        july.revenue.sum(), rel=1e-11
    )  # aggregates carry 12 significant digits


def test_parquet_date_column_as_the_time(write_spec, shop, backend) -> None:
    folder, frame = shop
    spec = _shop_spec(write_spec, folder, "parts", time="order_day")
    got = compute(spec, grain="quarter", kpis=["orders", "units"], backend=backend)
    kept = frame[~frame.refunded]
    assert got["period"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] * 2
    quarters = kept.order_date.dt.quarter.value_counts().sort_index()
    assert got["value"].iloc[:4].tolist() == quarters.astype(float).tolist()
    units = frame.groupby(frame.order_date.dt.quarter)["units"].sum()
    assert got["value"].iloc[4:].tolist() == units.astype(float).tolist()


def test_folders_and_globs_with_no_parquet_file(write_spec, shop, tmp_path, backend) -> None:
    folder, _ = shop
    (tmp_path / "empty").mkdir()
    spec = _shop_spec(write_spec, folder, "orders.parquet")
    source = spec.sources["orders"]
    with pytest.raises(DataError, match=r"file not found.*found no \.parquet file in the folder"):
        read_source(source._replace(path=tmp_path / "empty"), backend)
    with pytest.raises(DataError, match=r"file not found.*found no file matches .*\*\.parquet"):
        read_source(source._replace(path=tmp_path / "empty" / "*.parquet"), backend)


# --- dtypes ---------------------------------------------------------------------------------------


def test_every_backend_returns_the_same_dtypes(write_spec, backend) -> None:
    frame = orders().assign(
        qty_or_none=lambda f: f.qty.where(f.qty > 0),  # whole numbers with a gap: float64
        paid=lambda f: np.where(f.index % 3 == 0, "true", "false"),  # lower-case booleans
        vip=lambda f: pd.Series([True, False, None] * 200, dtype=object)[: len(f)],  # with gaps
    )
    spec = write_spec(
        {"orders": frame},
        kpi("n", measure="count()")
        + kpi("q", measure="sum(qty)")
        + kpi("r", numerator="count(amount)", denominator="count()"),
    )
    for by in (["channel"], ["qty"], ["qty_or_none"], ["refunded", "paid"], ["vip"], []):
        want = compute(spec, grain="month", by=by)
        got = compute(spec, grain="month", by=by, backend=backend)
        pd.testing.assert_frame_equal(got, want)  # dtypes checked too
        assert got.dtypes[["value", "numerator", "denominator"]].tolist() == ["float64"] * 3
    assert want["value"].dtype == "float64"
    assert compute(spec, by="qty", backend=backend)["qty"].dtype == "int64"
    assert str(compute(spec, by="channel", backend=backend)["channel"].dtype) == "str"


# --- Spark: the user's session -----------------------------------------------------------------


def test_spark_uses_the_active_session(spark) -> None:
    assert spark_session() is spark


def test_a_users_spark_session_in_another_time_zone(write_spec, spark) -> None:
    # A session whose SQL time zone is Tokyo while Python runs in another zone: periods, filters
    # on times and start/end must still follow each row's wall-clock time.
    frame = orders()
    spec = write_spec(
        {"orders": frame},
        kpi("late", measure="sum(amount)", filter="t >= '2026-02-15 12:00:00'")
        + kpi("early", measure="count()", filter="t < '2026-01-10 06:30:00'")
        + kpi("aov", numerator="sum(amount)", denominator="count()"),
    )
    tokyo = spark.newSession()
    tokyo.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    theirs = tokyo.read.csv(str(spec.sources["orders"].path), header=True, inferSchema=True)
    assert theirs.schema["t"].dataType.typeName() == "timestamp"
    for grain in ("day", "week", "month"):
        want = compute(spec, grain=grain, by="channel", start=None)
        got = compute(spec, grain=grain, by="channel", data={"orders": theirs})
        pd.testing.assert_frame_equal(
            got, want, check_exact=False, rtol=1e-11
        )  # aggregates carry 12 significant digits
    want = compute(spec, grain="day", start="2026-02-15", end="2026-02-16")
    got = compute(spec, grain="day", start="2026-02-15", end="2026-02-16", data={"orders": theirs})
    pd.testing.assert_frame_equal(
        got, want, check_exact=False, rtol=1e-11
    )  # aggregates carry 12 significant digits
    assert len(got) == 2 * 3


def test_native_frames_with_dates_stored_as_text(write_spec, backend, native) -> None:
    frame = pd.DataFrame(
        {"t": ["2026-01-31 23:30:00", "2026-02-01", None], "amount": [1.0, 2.0, 4.0]}
    )
    spec = write_spec({"orders": frame}, kpi("revenue", measure="sum(amount)"))
    with pytest.warns(UserWarning, match=r"1 row\(s\) of source 'orders' have no 't'"):
        got = compute(spec, data={"orders": native(frame)})
    assert got[["period", "value"]].values.tolist() == [["2026-01", 1.0], ["2026-02", 2.0]]
    bad = frame.assign(t=["2026-01-31", "yesterday", None])
    with pytest.raises(DataError, match=r"time column 't' of source 'orders'.*'yesterday'"):
        compute(spec, data={"orders": native(bad)})


def test_read_source_returns_each_backends_own_frame(write_spec, backend) -> None:
    spec = write_spec({"orders": orders()}, kpi("n", measure="count()"))
    frame = read_source(spec.sources["orders"], backend)
    kinds = {
        "pandas": nw.dependencies.is_pandas_dataframe,
        "polars": nw.dependencies.is_polars_lazyframe,  # lazy: scanned, not loaded
        "duckdb": nw.dependencies.is_duckdb_relation,
        "spark": nw.dependencies.is_pyspark_dataframe,
    }
    assert kinds[backend](frame)
    assert nw.from_native(frame).collect_schema()["t"] == nw.Datetime


def test_csv_is_read_alike_by_every_backend(write_spec, tmp_path, backend) -> None:
    text = (
        "t,flag,note,n,region\n"
        '2026-01-01,TRUE,"a, b",1,NA\n'
        '2026-01-02 08:30,false,"line\nbreak",2,\n'
        '2026-01-03T12:00:00,True,"say ""hi""",3,west\n'
        "2026-01-04,,,4,NA\n"
    )
    (tmp_path / "q.csv").write_text(text, encoding="utf-8")
    spec = write_spec(
        {}, kpi("n", "q", measure="sum(n)"), f"q: {{path: {tmp_path / 'q.csv'}, time: t}}"
    )
    got = to_pandas(prepare(spec.sources["q"], read_source(spec.sources["q"], backend)))
    assert got["t"].tolist() == [
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-01-02 08:30"),
        pd.Timestamp("2026-01-03 12:00"),
        pd.Timestamp("2026-01-04"),
    ]
    assert got["flag"].iloc[:3].tolist() == [True, False, True] and pd.isna(got["flag"].iloc[3])
    assert got["note"].iloc[:3].tolist() == ["a, b", "line\nbreak", 'say "hi"']
    assert got["region"].iloc[0] == "NA" and pd.isna(got["region"].iloc[1])
    for by in ("flag", "note", "region", ["region", "flag"]):
        want = compute(spec, grain="day", by=by)
        pd.testing.assert_frame_equal(compute(spec, grain="day", by=by, backend=backend), want)


def test_the_example_in_docs_backends_runs(capsys) -> None:
    text = (REPO / "docs" / "backends.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", text, re.S)[-1]
    output = re.findall(r"```text\n(.*?)```", text, re.S)[-1]
    exec(compile(example, "docs/backends.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out == output
