"""kpikit._rows: the engine's last steps in plain Python, and the small table the CLI writes.

The numbers of the plain-Python path are checked by every engine test on the DuckDB backend
(tests/conftest.py gives DuckDB relations, which take this path); here: its rounding against
values worked by hand, its CSV and JSON against pandas' own writers and hand-written text, the
DataFrame it gives against compute()'s documented types, and which path a call takes.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from kpikit import compute
from kpikit._rows import Rows, significant
from kpikit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "data" / "kpis.yml"


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (205759.84999999998, 205759.85),  # one sum added in two orders
        (205759.85000000012, 205759.85),
        (1 / 3, 0.333333333333),
        (-2 / 3, -0.666666666667),
        (123456789012345.0, 123456789012000.0),
        (0.000123456789012345, 0.000123456789012),
        (2.5, 2.5),
        (0.0, 0.0),
    ],
)
def test_values_are_rounded_to_twelve_significant_digits(value: float, want: float) -> None:
    assert significant(value, 12) == want


def test_empty_and_infinite_values_are_left_as_they_are() -> None:
    assert math.isnan(significant(float("nan"), 12))
    assert significant(float("inf"), 12) == float("inf")


def _mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": ["ctr", "ctr", "ctr"],
            "period": ["2026-10", "2026-11", "2026-12"],
            "campaign": ['Spring, "big" sale', None, "plain"],
            "store": [3, 4, None],
            "complete": [True, True, False],
            "value": [0.1 + 0.2, 1e-05, float("nan")],
            "numerator": [12.0, 1e16, float("nan")],
        }
    )


def test_csv_is_what_pandas_writes() -> None:
    frame = _mixed()
    want = frame.to_csv(index=False, na_rep="", lineterminator="\n")
    assert Rows.from_pandas(frame).to_csv() == want
    assert (
        want.splitlines()[1]
        == 'ctr,2026-10,"Spring, ""big"" sale",3.0,True,0.30000000000000004,12.0'
    )


def test_json_has_null_for_empty_cells_and_keeps_text_as_written() -> None:
    rows = Rows(["kpi", "segment", "value"], [("ctr", "Zürich", None)])
    assert rows.to_json() == (
        '[\n  {\n    "kpi": "ctr",\n    "segment": "Zürich",\n    "value": null\n  }\n]\n'
    )


def test_the_dataframe_has_compute_s_types() -> None:
    rows = Rows(
        ["kpi", "period", "store", "region", "complete", "value", "numerator", "denominator"],
        [
            ("aov", "2026-11", 1, "north", True, 12.5, None, None),
            ("aov", "2026-12", None, None, False, None, None, None),
        ],
    )
    frame = rows.to_pandas()
    assert dict(frame.dtypes.astype(str)) == {
        "kpi": "str",
        "period": "str",
        "store": "float64",  # whole numbers with a missing one, as pandas reads them from a CSV
        "region": "str",
        "complete": "bool",
        "value": "float64",
        "numerator": "float64",
        "denominator": "float64",
    }
    assert frame["store"].iloc[0] == 1.0 and np.isnan(frame["store"].iloc[1])
    assert pd.isna(frame["region"].iloc[1]) and np.isnan(frame["value"].iloc[1])
    empty = Rows(rows.columns, []).to_pandas()
    assert list(empty.columns) == rows.columns and len(empty) == 0


def _paths(**kwargs: object) -> list[str]:
    """Which way compute() finished: 'rows' (plain Python) or 'pandas'."""
    import kpikit.engine as engine

    taken: list[str] = []
    plain = engine._compute_rows

    def spy(*args: object, **kw: object) -> Rows | None:
        rows = plain(*args, **kw)  # type: ignore[arg-type]
        if rows is not None:
            taken.append("rows")
        return rows

    engine._compute_rows = spy  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compute(SPEC, **kwargs)  # type: ignore[arg-type]
    finally:
        engine._compute_rows = plain
    return taken or ["pandas"]


def test_duckdb_finishes_in_plain_python_unless_a_step_needs_pandas() -> None:
    assert _paths(backend="duckdb", grain="quarter", by="channel") == ["rows"]
    assert _paths(backend="duckdb", compare="previous") == ["pandas"]
    assert _paths(backend="pandas") == ["pandas"]
    orders = duckdb.read_csv(str(ROOT / "data" / "orders.csv"))
    assert _paths(data={"orders": orders}, kpis=["revenue"]) == ["rows"]


@pytest.mark.filterwarnings("ignore:left out:kpikit.errors.KpikitWarning")
def test_a_result_too_large_for_plain_python_takes_the_pandas_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kpikit.engine as engine

    assert _paths(backend="duckdb", grain="day", kpis=["revenue"]) == ["rows"]  # 3 years of days
    monkeypatch.setattr(engine, "_ROWS_AT_MOST", 1000)
    assert _paths(backend="duckdb", grain="day", kpis=["revenue"]) == ["pandas"]
    got = compute(SPEC, backend="duckdb", grain="day", kpis=["revenue"])
    orders = pd.read_csv(ROOT / "data" / "orders.csv", parse_dates=["order_date"])
    orders = orders[~orders["refunded"]]  # revenue: orders that were not refunded
    by_hand = orders.groupby(orders["order_date"].dt.strftime("%Y-%m-%d"))["revenue"].sum()
    values = got.set_index("period")["value"]
    np.testing.assert_allclose(values[by_hand.index], by_hand.to_numpy(), rtol=1e-11)
    assert (values.drop(by_hand.index) == 0).all()  # days without orders are on the spine, as 0


@pytest.mark.filterwarnings("ignore:left out:kpikit.errors.KpikitWarning")
def test_the_command_prints_the_same_bytes_from_both_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compute", str(SPEC), "--grain", "week", "--by", "channel", "--from", "2026-W23"]
    for backend in ("pandas", "duckdb"):
        for fmt in ("csv", "json", "table"):
            out = tmp_path / f"{backend}.{fmt}"
            assert main([*args, "--backend", backend, "--format", fmt, "-o", str(out)]) == 0
    capsys.readouterr()
    for fmt in ("csv", "json", "table"):
        assert (tmp_path / f"pandas.{fmt}").read_text() == (tmp_path / f"duckdb.{fmt}").read_text()
    rows = pd.read_csv(tmp_path / "duckdb.csv")
    assert len(rows) > 500 and rows["period"].min() == "2026-W23"


def test_the_examples_in_the_docstrings_run() -> None:
    import doctest

    import kpikit._derived
    import kpikit._rows

    for module in (kpikit._rows, kpikit._derived):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.parametrize("compare", [None, "previous"], ids=["rows", "pandas"])
def test_nan_and_null_segments_are_one_missing_segment_with_the_whole_spine(
    tmp_path: Path, compare: str | None
) -> None:
    (tmp_path / "ads.yml").write_text(
        "version: 1\n"
        "sources:\n  ads: {path: ads.csv, time: date}\n"
        "kpis:\n  spend: {name: Spend, source: ads, measure: sum(spend), unit: currency,"
        " direction: down}\n"
        "  mean_spend: {name: Mean spend, source: ads, measure: mean(spend), unit: currency,"
        " direction: down}\n"
        "  spend_k: {name: Spend in thousands, formula: spend / 1000, unit: currency,"
        " direction: down}\n"
    )
    rows = duckdb.sql(
        "SELECT * FROM (VALUES"
        " (DATE '2026-01-05', 1.5, 10.0), (DATE '2026-01-06', 'NaN'::DOUBLE, 20.0),"
        " (DATE '2026-01-07', NULL, 40.0), (DATE '2026-02-05', 1.5, 1.0),"
        " (DATE '2026-02-06', 'NaN'::DOUBLE, 2.0), (DATE '2026-03-07', NULL, 4.0)"
        ") AS t(date, size, spend)"
    )
    (tmp_path / "ads.csv").write_text("date,size,spend\n")  # the spec needs a file; data= is used
    got = compute(tmp_path / "ads.yml", by="size", data={"ads": rows}, compare=compare)
    # By hand: NaN is missing, like NULL, so they make one segment, as pandas groups them; a
    # period without rows is 0 for a sum and empty for a mean.
    known = got[got["size"] == 1.5].set_index(["kpi", "period"])["value"]
    missing = got[got["size"].isna()].set_index(["kpi", "period"])["value"]
    assert len(got) == 3 * 2 * 3  # 3 KPIs, 2 segments, 3 months
    assert missing["spend"].tolist() == [60.0, 2.0, 4.0]
    assert missing["mean_spend"].tolist() == [30.0, 2.0, 4.0]
    assert missing["spend_k"].tolist() == [0.06, 0.002, 0.004]
    assert known["spend"].tolist() == [10.0, 1.0, 0.0]
    assert known["mean_spend"].iloc[:2].tolist() == [10.0, 1.0] and np.isnan(
        known["mean_spend"].iloc[2]
    )


def test_rounding_one_value_and_an_array_give_the_same_bits() -> None:
    from kpikit._rows import significant_array

    rng = np.random.default_rng(3)
    values = rng.standard_normal(50_000) * 10.0 ** rng.integers(-320, 300, 50_000)
    edges = [1e-310, 5e-324, 1.7e308, 999.9999999999999, 1e16, 1.2682561951e16, 6.07437204796e-12]
    values = np.concatenate([values, edges, [-v for v in edges]])
    array = significant_array(values, 12)
    one = np.array([significant(float(v), 12) for v in values])
    assert np.array_equal(array.view("int64"), one.view("int64"))
    assert significant(1e-310, 12) == 1e-310  # too small to scale: left as it is, no error


def _stores(folder: Path) -> Path:
    (folder / "d.csv").write_text(
        "ts,coupon,store,amount\n2026-01-05,SAVE10,1,10\n2026-01-20,,2,5\n"
        "2026-02-03,,,7\n2026-02-10,,,8\n"
    )
    (folder / "spec.yml").write_text(
        "version: 1\nsources:\n  d: {path: d.csv, time: ts}\nkpis:\n"
        "  revenue: {name: Revenue, source: d, measure: sum(amount), unit: currency,"
        " direction: up}\n"
    )
    return folder / "spec.yml"


def test_segment_types_follow_the_column_not_the_values_left(tmp_path: Path) -> None:
    spec = _stores(tmp_path)
    # Text stays text and whole numbers with a missing one are floats, even where every value
    # left is missing; with no rows at all, whole numbers are int64.
    february = compute(spec, by="coupon", start="2026-02", backend="duckdb")
    assert str(february["coupon"].dtype) == "str" and february["coupon"].isna().all()
    assert february["value"].tolist() == [15.0]
    assert str(compute(spec, by="store", start="2026-02", backend="duckdb")["store"].dtype) == (
        "float64"
    )
    assert str(compute(spec, by="store", start="2030-01", backend="duckdb")["store"].dtype) == (
        "int64"
    )


def test_whole_numbers_with_a_missing_one_print_as_floats_on_both_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _stores(tmp_path)
    for backend in ("pandas", "duckdb"):
        assert (
            main(["compute", str(spec), "--by", "store", "--format", "csv", "--backend", backend])
            == 0
        )
        assert capsys.readouterr().out.splitlines()[1:4] == [
            "revenue,2026-01,1.0,False,10.0,,",
            "revenue,2026-01,2.0,False,5.0,,",
            "revenue,2026-01,,False,0.0,,",
        ]


def test_a_date_segment_prints_as_a_date_in_csv_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cohorts = pa.table(
        {
            "ts": pa.array([dt.date(2026, 1, 5), dt.date(2026, 1, 9)], pa.date32()),
            "cohort": pa.array([dt.date(2020, 1, 1), dt.date(2021, 1, 1)], pa.date32()),
            "amount": [10.0, 5.0],
        }
    )
    pq.write_table(cohorts, tmp_path / "c.parquet")
    (tmp_path / "spec.yml").write_text(
        "version: 1\nsources:\n  c: {path: c.parquet, time: ts}\nkpis:\n"
        "  revenue: {name: Revenue, source: c, measure: sum(amount), unit: currency,"
        " direction: up}\n"
    )
    for backend in ("pandas", "duckdb"):
        args = ["compute", str(tmp_path / "spec.yml"), "--by", "cohort", "--backend", backend]
        assert main([*args, "--format", "csv"]) == 0
        assert capsys.readouterr().out.splitlines()[1] == "revenue,2026-01,2020-01-01,False,10.0,,"
        assert main([*args, "--format", "json"]) == 0
        assert '"cohort": "2020-01-01"' in capsys.readouterr().out
