"""The engine against independent computations: DuckDB SQL on the same CSV, or pandas by hand.

Every test that computes runs on every backend through the ``backend`` fixture (conftest.py):
the same spec and files give the same table on pandas, Polars, DuckDB and Spark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import narwhals as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpikit._backends import read_source
from kpikit._data import check_columns, prepare, to_pandas
from kpikit.engine import compute, last_complete_period
from kpikit.errors import DataError, KpikitError, KpikitWarning, ParameterError

REPO = Path(__file__).resolve().parents[1]


def kpi(kid: str, source: str = "orders", **fields: str) -> str:
    """One KPI's YAML; ``fields`` are measure / numerator / denominator / filter."""
    body = {"name": kid, "source": source, "unit": "count", "direction": "up", **fields}
    return f"{kid}:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in body.items())


def orders(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Random orders over Jan-Mar 2026 with missing channels, customers and amounts."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    seconds = rng.integers(0, 90 * 86400, n)
    amount = rng.uniform(1, 100, n).round(2)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "t": start + pd.to_timedelta(seconds, unit="s"),
            "channel": rng.choice(np.array(["a", "b", "c", None], dtype=object), n),
            "customer": rng.choice(np.array([f"C{i}" for i in range(25)] + [None]), n),
            "amount": amount,
            "qty": rng.integers(0, 5, n),
            "refunded": rng.random(n) < 0.2,
        }
    )


def sql(query: str, **tables: object) -> pd.DataFrame:
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    return con.sql(query).df()


# --- measures and filters against DuckDB ------------------------------------------------------

MEASURES = {  # kpikit measure -> SQL aggregate (a sum over no rows is 0, as the engine promises)
    "sum(amount)": "coalesce(sum(amount) {f}, 0)",
    "count()": "count(*) {f}",
    "count(amount)": "count(amount) {f}",
    "count_distinct(customer)": "count(DISTINCT customer) {f}",
    "mean(amount)": "avg(amount) {f}",
    "min(amount)": "min(amount) {f}",
    "max(qty)": "max(qty) {f}",
}
FILTERS = {  # kpikit filter -> SQL condition (SQL's logic for NULL is the engine's)
    None: None,
    "refunded == false": "refunded = false",
    "refunded == false and channel != 'b'": "refunded = false AND channel <> 'b'",
    "not channel == 'a'": "NOT (channel = 'a')",
    "channel in ('a', 'c') or amount > 50": "channel IN ('a', 'c') OR amount > 50",
    "channel is null": "channel IS NULL",
    "t >= '2026-02-15 12:00:00' and qty != 0": "t >= TIMESTAMP '2026-02-15 12:00:00' AND qty <> 0",
    "amount > 1000": "amount > 1000",  # matches nothing: sums and counts 0, mean/min/max NaN
    "50 < amount": "50 < amount",
    "refunded": "refunded",
}


def test_every_measure_with_every_filter_matches_sql(write_spec, backend) -> None:
    cases = {
        f"k{i}_{j}": (m, f)
        for i, m in enumerate(MEASURES)
        for j, f in enumerate(FILTERS)  # one spec, 70 KPIs sharing a source
    }
    yaml = "".join(kpi(k, measure=m, **({"filter": f} if f else {})) for k, (m, f) in cases.items())
    spec = write_spec({"orders": orders()}, yaml)
    got = compute(spec, grain="month", backend=backend)
    aggs = [
        MEASURES[m].format(f=f"FILTER (WHERE {FILTERS[f]})" if f else "") + f"::DOUBLE AS {k}"
        for k, (m, f) in cases.items()
    ]
    want = sql(
        f"SELECT strftime(t, '%Y-%m') AS period, {', '.join(aggs)} "
        f"FROM read_csv('{spec.sources['orders'].path}') GROUP BY ALL ORDER BY period"
    )
    for k in cases:
        mine = got[got.kpi == k]
        assert mine["period"].tolist() == want["period"].tolist(), k
        np.testing.assert_allclose(
            mine["value"], want[k], rtol=1e-11, equal_nan=True, err_msg=k
        )  # 12 significant digits
    assert got.loc[got.kpi == "k0_7", "value"].tolist() == [0.0, 0.0, 0.0]
    assert got.loc[got.kpi == "k4_7", "value"].isna().all()


def test_filter_with_null_in_a_list_selects_missing_values(write_spec, backend) -> None:
    frame = pd.DataFrame(
        {"t": ["2026-01-01"] * 4, "channel": ["a", "b", None, "c"], "qty": [1, 10, 100, 1000]}
    )
    spec = write_spec(
        {"orders": frame},
        kpi("in_null", measure="sum(qty)", filter="channel in ('a', null)")
        + kpi("not_in_null", measure="sum(qty)", filter="channel not in ('a', null)")
        + kpi("eq_null", measure="sum(qty)", filter="channel == null")
        + kpi("ne", measure="sum(qty)", filter="channel != 'a'"),
    )
    got = compute(spec, backend=backend).set_index("kpi")["value"]
    assert got.to_dict() == {
        "in_null": 101.0,
        "not_in_null": 1010.0,
        "eq_null": 100.0,
        "ne": 1010.0,
    }


def test_all_kpis_of_a_source_share_one_group_by(write_spec, monkeypatch, backend) -> None:
    calls: list[int] = []
    for cls in (nw.DataFrame, nw.LazyFrame):  # eager (pandas) and lazy (the others)

        def spy(self, *args, original=cls.group_by, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "group_by", spy)
    other = pd.DataFrame({"day": ["2026-01-01"], "visits": [3], "channel": ["a"]})
    yaml = "".join(
        kpi(f"k{j}", measure="sum(amount)", filter=f) for j, f in enumerate(FILTERS) if f
    )
    spec = write_spec(
        {"orders": orders(), "web": other}, yaml + kpi("v", "web", measure="sum(visits)")
    )
    compute(spec, by="channel", backend=backend)
    assert len(calls) == 2  # one pass per source, not one per KPI


# --- ratios -----------------------------------------------------------------------------------


def test_ratio_is_a_ratio_of_sums_not_a_mean_of_ratios(write_spec, backend) -> None:
    # Simpson's paradox (kidney stones): treatment A wins on small and on large stones,
    # yet B wins overall. Within each treatment, the rate is pooled successes / pooled patients.
    frame = pd.DataFrame(
        {
            "day": ["2026-01-10"] * 4,
            "treatment": ["A", "A", "B", "B"],
            "stones": ["small", "large", "small", "large"],
            "successes": [81, 192, 234, 55],
            "patients": [87, 263, 270, 80],
        }
    )
    spec = write_spec(
        {"trial": frame},
        kpi("success_rate", "trial", numerator="sum(successes)", denominator="sum(patients)"),
    )
    got = compute(spec, by="treatment", backend=backend).set_index("treatment")
    assert got.loc["A", "value"] == pytest.approx(273 / 350)
    assert got.loc["B", "value"] == pytest.approx(289 / 350)
    assert got.loc["A", ["numerator", "denominator"]].tolist() == [273.0, 350.0]
    mean_of_ratios = (frame.successes / frame.patients).groupby(frame.treatment).mean()
    assert mean_of_ratios["A"] > mean_of_ratios["B"]  # the wrong way says A is better
    assert got.loc["B", "value"] > got.loc["A", "value"]  # pooled: B is better
    total = compute(spec, backend=backend)["value"].item()
    assert total == pytest.approx((273 + 289) / 700)


def test_zero_or_missing_denominator_gives_nan_not_zero_or_inf(write_spec, backend) -> None:
    frame = pd.DataFrame(
        {
            "day": ["2026-01-05", "2026-01-06", "2026-02-05", "2026-03-05", "2026-03-06"],
            "clicks": [5, 2, 4, 3, 1],
            "spend": [0.0, 0.0, np.nan, 2.0, 4.0],
            "paid": [True, True, False, True, False],
        }
    )
    spec = write_spec(
        {"ads": frame},
        kpi("cpc", "ads", numerator="sum(spend)", denominator="sum(clicks)")
        + kpi("clicks_per_spend", "ads", numerator="sum(clicks)", denominator="sum(spend)")
        + kpi(
            "paid_share", "ads", numerator="sum(clicks)", denominator="sum(spend)", filter="paid"
        ),
    )
    got = compute(spec, backend=backend).set_index(["kpi", "period"])
    row = got.loc[("clicks_per_spend", "2026-01")]
    assert np.isnan(row["value"]) and row["numerator"] == 7 and row["denominator"] == 0
    row = got.loc[("clicks_per_spend", "2026-02")]  # only a missing spend: sums to 0
    assert np.isnan(row["value"]) and row["numerator"] == 4 and row["denominator"] == 0
    assert got.loc[("clicks_per_spend", "2026-03"), "value"] == pytest.approx(4 / 6)
    assert got.loc[("cpc", "2026-01"), "value"] == 0.0  # a zero numerator is a real 0
    row = got.loc[("paid_share", "2026-02")]  # no paid rows that month
    assert np.isnan(row["value"]) and row["numerator"] == 0 and row["denominator"] == 0
    assert not np.isinf(got["value"]).any()


# --- segments ---------------------------------------------------------------------------------


def test_missing_segment_values_form_their_own_group_sorted_last(write_spec, backend) -> None:
    frame = orders()
    spec = write_spec({"orders": frame}, kpi("revenue", measure="sum(amount)"))
    got = compute(spec, by="channel", backend=backend)
    jan = got[got.period == "2026-01"]
    assert jan["channel"].iloc[:3].tolist() == ["a", "b", "c"]
    assert pd.isna(jan["channel"].iloc[3])
    in_jan = frame[frame.t.dt.month == 1]
    assert jan["value"].iloc[3] == pytest.approx(in_jan.loc[in_jan.channel.isna(), "amount"].sum())
    assert jan["value"].iloc[0] == pytest.approx(in_jan.loc[in_jan.channel == "a", "amount"].sum())


@pytest.mark.parametrize("by", ["channel", ["channel", "refunded"], ("refunded", "customer")])
def test_sum_over_segments_equals_the_ungrouped_total(write_spec, by, backend) -> None:
    spec = write_spec(
        {"orders": orders()},
        kpi("revenue", measure="sum(amount)", filter="qty > 0")
        + kpi("orders", measure="count()")
        + kpi("aov", numerator="sum(amount)", denominator="count()", filter="not refunded"),
    )
    total = compute(spec, grain="quarter", backend=backend).set_index(["kpi", "period"])
    parts = compute(spec, grain="quarter", by=by, backend=backend)
    pd.testing.assert_frame_equal(parts, compute(spec, grain="quarter", by=by))  # = pandas
    parts = parts.groupby(["kpi", "period"], sort=False)
    summed = parts[["value", "numerator", "denominator"]].sum(min_count=1)
    for name in ("revenue", "orders"):
        assert summed.loc[(name, "2026-Q1"), "value"] == pytest.approx(
            total.loc[(name, "2026-Q1"), "value"]
        )
    for col in ("numerator", "denominator"):
        assert summed.loc[("aov", "2026-Q1"), col] == pytest.approx(
            total.loc[("aov", "2026-Q1"), col]
        )


ROWS = st.lists(
    st.tuples(
        st.integers(1, 3),  # month
        st.sampled_from(["x", "y", "z", None]),  # segment
        st.integers(0, 1000),  # numerator
        st.integers(0, 3),  # denominator, often 0
    ),
    min_size=1,
    max_size=40,
)


def test_segment_numerators_and_denominators_add_up_to_the_total_ratio(
    ratio_spec, backend, native
) -> None:
    # Fewer examples on Spark, where each one is two Spark jobs (~0.3 s).
    @settings(max_examples=8 if backend == "spark" else 60, deadline=None)
    @given(ROWS)
    def check(rows: list[tuple[int, str | None, int, int]]) -> None:
        frame = pd.DataFrame(rows, columns=["month", "seg", "num", "den"])
        frame.insert(0, "day", pd.to_datetime({"year": 2026, "month": frame.month, "day": 15}))
        data = {"src": native(frame)}
        total = compute(ratio_spec, data=data).set_index("period")
        parts = compute(ratio_spec, by="seg", data=data)
        summed = parts.groupby("period")[["numerator", "denominator"]].sum()
        pd.testing.assert_frame_equal(
            summed, total[["numerator", "denominator"]], check_names=False
        )
        months = range(frame.month.min(), frame.month.max() + 1)  # the time spine: no gaps
        num = frame.groupby(frame.month)["num"].sum().reindex(months, fill_value=0).to_numpy(float)
        den = frame.groupby(frame.month)["den"].sum().reindex(months, fill_value=0).to_numpy(float)
        want = np.where(den == 0, np.nan, num / np.where(den == 0, 1, den))
        np.testing.assert_allclose(total["value"], want, equal_nan=True)

    check()


@pytest.fixture(scope="module")
def ratio_spec(tmp_path_factory, make_spec_in):
    frame = pd.DataFrame({"day": ["2026-01-01"], "seg": ["x"], "num": [1], "den": [1]})
    yaml = kpi("rate", "src", numerator="sum(num)", denominator="sum(den)")
    return make_spec_in(tmp_path_factory.mktemp("ratio"), {"src": frame}, yaml)


# --- time -------------------------------------------------------------------------------------

EDGES = pd.DataFrame(
    {
        "t": [
            "2026-02-28 23:59:59",
            "2026-03-01 00:00:00",
            "2026-03-01 23:59:59",
            "2026-12-27 12:00:00",  # Sunday: 2026-W52
            "2026-12-28 00:00:00",  # Monday: 2026-W53
            "2026-12-31 23:59:59",
            "2027-01-01 00:00:00",  # still 2026-W53 (ISO year 2026)
            "2027-01-03 23:59:59",
            "2027-01-04 00:00:00",  # 2027-W01
        ],
        "n": [1, 2, 4, 8, 16, 32, 64, 128, 256],
    }
)


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        (
            "day",
            {
                "2026-02-28": 1,
                "2026-03-01": 6,
                "2026-12-27": 8,
                "2026-12-28": 16,
                "2026-12-31": 32,
                "2027-01-01": 64,
                "2027-01-03": 128,
                "2027-01-04": 256,
            },
        ),  # fmt: skip
        ("week", {"2026-W09": 7, "2026-W52": 8, "2026-W53": 240, "2027-W01": 256}),
        ("month", {"2026-02": 1, "2026-03": 6, "2026-12": 56, "2027-01": 448}),
        ("quarter", {"2026-Q1": 7, "2026-Q4": 56, "2027-Q1": 448}),
        ("year", {"2026": 63, "2027": 448}),
    ],
)
def test_grains_and_time_of_day(write_spec, grain, expected, backend) -> None:
    spec = write_spec({"events": EDGES}, kpi("n", "events", measure="sum(n)"))
    got = compute(spec, grain=grain, backend=backend)
    assert dict((p, v) for p, v in zip(got.period, got.value, strict=True) if v) == expected
    # The time spine: every period from the first row's to the last row's, the others 0.
    days = pd.to_datetime(EDGES["t"])
    freq = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}[grain]
    assert len(got) == len(pd.period_range(days.min(), days.max(), freq=freq))


def test_start_and_end_keep_whole_periods(write_spec, backend) -> None:
    spec = write_spec({"events": EDGES}, kpi("n", "events", measure="sum(n)"))
    got = compute(spec, grain="week", start="2026-W53", end="2026-W53", backend=backend)
    assert got[["period", "value"]].values.tolist() == [["2026-W53", 240.0]]
    assert compute(spec, grain="month", start="2026-12", backend=backend)["period"].tolist() == [
        "2026-12",
        "2027-01",
    ]
    got = compute(spec, grain="day", end="2026-03-01", backend=backend)
    assert got["value"].tolist() == [1.0, 6.0]
    empty = compute(spec, grain="year", start="2030", by="n", backend=backend)
    assert empty.columns.tolist() == [
        "kpi",
        "period",
        "n",
        "complete",
        "value",
        "numerator",
        "denominator",
    ]
    assert empty.empty and empty["value"].dtype == "float64"


def test_start_and_end_errors(write_spec) -> None:
    spec = write_spec({"events": EDGES}, kpi("n", "events", measure="sum(n)"))
    with pytest.raises(ParameterError, match=r"start='2026-Q1' is a quarter, not a month"):
        compute(spec, start="2026-Q1")
    with pytest.raises(ParameterError, match=r"end='2026-01' comes before start='2026-03'"):
        compute(spec, start="2026-03", end="2026-01")
    with pytest.raises(ParameterError, match=r"invalid period '2026-13'"):
        compute(spec, end="2026-13")


def test_rows_without_a_time_are_left_out_with_a_warning(write_spec, backend) -> None:
    frame = pd.DataFrame({"t": ["2026-01-02", None, "2026-01-03"], "n": [1, 10, 100]})
    spec = write_spec({"events": frame}, kpi("n", "events", measure="sum(n)"))
    with pytest.warns(UserWarning, match=r"1 row\(s\) of source 'events' have no 't'"):
        got = compute(spec, grain="week", backend=backend)
    assert got["value"].tolist() == [101.0]


# --- output shape -----------------------------------------------------------------------------


def test_output_columns_dtypes_order_and_index(write_spec, backend) -> None:
    spec = write_spec(
        {"orders": orders()},
        kpi("zeta", measure="count()")  # spec order, not alphabetical
        + kpi("alpha", numerator="sum(amount)", denominator="count()"),
    )
    got = compute(spec, by=["refunded", "channel"], kpis=["alpha", "zeta"], backend=backend)
    assert got.columns.tolist() == [
        "kpi", "period", "refunded", "channel", "complete", "value", "numerator", "denominator",
    ]  # fmt: skip
    assert got["kpi"].unique().tolist() == ["zeta", "alpha"]
    assert got.dtypes[["value", "numerator", "denominator"]].tolist() == ["float64"] * 3
    assert pd.api.types.is_string_dtype(got["period"]) and pd.api.types.is_string_dtype(got["kpi"])
    assert got.loc[got.kpi == "zeta", ["numerator", "denominator"]].isna().all().all()
    assert isinstance(got.index, pd.RangeIndex) and got.index.tolist() == list(range(len(got)))
    keys = got.assign(k=got.kpi.map({"zeta": 0, "alpha": 1}))
    assert keys.equals(keys.sort_values(["k", "period", "refunded", "channel"], na_position="last"))
    on_pandas = compute(spec, by=["refunded", "channel"], kpis=["alpha", "zeta"])
    pd.testing.assert_frame_equal(got, on_pandas)  # the same dtypes, segments included


# --- data= and the caller's data --------------------------------------------------------------


def test_data_replaces_the_file_and_is_never_modified(write_spec) -> None:
    spec = write_spec({"orders": orders()}, kpi("revenue", measure="sum(amount)"))
    csv = spec.sources["orders"].path
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    mine = pd.DataFrame(
        {
            "t": ["2026-05-01 10:00", "2026-05-31 23:00", "2026-06-01"],  # text, parsed
            "channel": ["a", None, "a"],
            "amount": [1.5, 2.0, 4.0],
        },
        index=[10, 3, 7],
    )
    before = mine.copy(deep=True)
    got = compute(spec, by="channel", data={"orders": mine})
    assert got[["period", "value"]].values.tolist() == [["2026-05", 1.5], ["2026-05", 2.0],
                                                       ["2026-06", 4.0],
                                                       ["2026-06", 0.0]]  # fmt: skip
    # (the time spine: June without a row for the missing channel is 0)
    pd.testing.assert_frame_equal(mine, before)
    assert hashlib.sha256(csv.read_bytes()).hexdigest() == digest


def test_data_with_time_zones_and_date_objects(write_spec) -> None:
    spec = write_spec({"orders": orders()}, kpi("revenue", measure="sum(amount)"))
    local = pd.DataFrame(
        {
            "t": pd.to_datetime(["2026-01-31 23:30", "2026-02-01 00:30"]).tz_localize(
                "America/New_York"
            ),  # 04:30 and 05:30 UTC on Feb 1: the local day counts
            "amount": [1.0, 2.0],
        }
    )
    before = local.copy(deep=True)
    got = compute(spec, data={"orders": local})
    assert got[["period", "value"]].values.tolist() == [["2026-01", 1.0], ["2026-02", 2.0]]
    pd.testing.assert_frame_equal(local, before)
    dates = pd.DataFrame({"t": [dt.date(2026, 3, 31), dt.date(2026, 4, 1)], "amount": [1.0, 2.0]})
    got = compute(spec, grain="quarter", data={"orders": dates})
    assert got["period"].tolist() == ["2026-Q1", "2026-Q2"]


def test_data_with_time_zones_in_a_polars_frame(write_spec) -> None:
    import polars as pl

    spec = write_spec({"orders": orders()}, kpi("revenue", measure="sum(amount)"))
    local = pl.DataFrame(
        {
            "t": [dt.datetime(2026, 1, 31, 23, 30), dt.datetime(2026, 2, 1, 0, 30)],
            "amount": [1.0, 2.0],
        }
    ).with_columns(pl.col("t").dt.replace_time_zone("America/New_York"))
    got = compute(spec, data={"orders": local})
    assert got[["period", "value"]].values.tolist() == [["2026-01", 1.0], ["2026-02", 2.0]]
    assert local["t"].dtype == pl.Datetime("us", "America/New_York")  # unchanged


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_data_accepts_each_backends_own_frame(write_spec, grain, backend, native) -> None:
    # Not a check of the numbers (the tests above do that against SQL): the same narwhals code
    # must give the same table on a Polars LazyFrame, a DuckDB relation or a Spark DataFrame as
    # on pandas, whether kpikit read it or the caller built it.
    frame = orders()
    spec = write_spec(
        {"orders": frame},
        kpi("revenue", measure="sum(amount)", filter="not refunded")
        + kpi("buyers", measure="count_distinct(customer)", filter="channel != 'b'")
        + kpi("aov", numerator="sum(amount)", denominator="count()"),
    )
    on_pandas = compute(spec, grain=grain, by="channel")
    for mine in (native(frame), read_source(spec.sources["orders"], backend)):
        got = compute(spec, grain=grain, by="channel", data={"orders": mine})
        pd.testing.assert_frame_equal(
            got, on_pandas, check_exact=False, rtol=1e-11
        )  # aggregates carry 12 significant digits


def test_spec_can_be_a_path(write_spec, backend) -> None:
    spec = write_spec({"events": EDGES}, kpi("n", "events", measure="sum(n)"))
    got = compute(str(spec.path), grain="year", backend=backend)
    assert got["value"].tolist() == [63.0, 448.0]
    assert compute(spec.path, grain="year", backend=backend).equals(got)


# --- reading sources --------------------------------------------------------------------------


def test_read_source_keeps_missing_cells_missing_and_text_as_text(write_spec, backend) -> None:
    frame = pd.DataFrame(
        {
            "t": ["2026-01-01 08:00", "2026-01-02"],  # a timestamp and a date in one column
            "region": ["NA", None],
            "amount": [None, 2.5],
            "paid": ["true", "false"],
            "refunded": [True, None],
        }
    )
    spec = write_spec({"orders": frame}, kpi("revenue", measure="sum(amount)"))
    source = spec.sources["orders"]
    got = to_pandas(prepare(source, read_source(source, backend)))
    assert got["region"].iloc[0] == "NA"  # North America, not a missing value
    assert pd.isna(got["region"].iloc[1]) and pd.isna(got["amount"].iloc[0])
    assert got["t"].dtype.kind == "M"
    assert got["t"].tolist() == [pd.Timestamp("2026-01-01 08:00"), pd.Timestamp("2026-01-02")]
    assert got["paid"].tolist() == [True, False]
    assert got["refunded"].iloc[0] == True and pd.isna(got["refunded"].iloc[1])  # noqa: E712
    by_region = compute(spec, by="region", backend=backend)
    assert by_region["region"].iloc[0] == "NA" and pd.isna(by_region["region"].iloc[1])
    assert by_region["value"].tolist() == [0.0, 2.5]  # a sum of only missing values is 0


def test_parquet_source_with_a_date_column(write_spec, tmp_path, backend) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "day": pa.array([dt.date(2026, 3, 31), dt.date(2026, 4, 1), None], pa.date32()),
            "amount": [1.0, 2.0, 4.0],
        }
    )
    pq.write_table(table, tmp_path / "sales.parquet")
    spec = write_spec(
        {},
        kpi("revenue", "sales", measure="sum(amount)"),
        sources_yaml=f"sales: {{path: {tmp_path / 'sales.parquet'}, time: day}}",
    )
    read = nw.from_native(read_source(spec.sources["sales"], backend))
    assert read.collect_schema()["day"] in (nw.Date, nw.Datetime)
    with pytest.warns(UserWarning, match=r"1 row\(s\) of source 'sales' have no 'day'"):
        got = compute(spec, grain="quarter", backend=backend)
    assert got[["period", "value"]].values.tolist() == [["2026-Q1", 1.0], ["2026-Q2", 2.0]]


def test_read_source_errors(write_spec, backend) -> None:
    spec = write_spec({"orders": orders()}, kpi("revenue", measure="sum(amount)"))
    source = spec.sources["orders"]
    with pytest.raises(
        DataError, match=r"file not found for source 'orders'.*relative to the spec"
    ):
        read_source(source._replace(path=source.path.with_name("gone.csv")), backend)
    with pytest.raises(
        DataError, match=r"column 'when' not found in source 'orders' \(needed by its"
    ):
        read_source(source._replace(time="when"), backend)
    with pytest.raises(DataError, match=r"column 'amont' not found.*did you mean 'amount'\?"):
        check_columns(orders(), ["t", "amont"], "orders", "KPI 'revenue'")
    check_columns(orders(), ["t", "amount"], "orders", "KPI 'revenue'")


# --- errors -----------------------------------------------------------------------------------


@pytest.fixture
def two_sources(write_spec):
    web = pd.DataFrame({"day": ["2026-01-01"], "visits": [3], "device": ["mobile"]})
    return write_spec(
        {"orders": orders(), "web": web},
        kpi("revenue", measure="sum(amount)") + kpi("visits", "web", measure="sum(visits)"),
    )


def test_unknown_grain_kpi_or_source(two_sources) -> None:
    with pytest.raises(ParameterError, match=r"unknown grain 'monthly'.*did you mean 'month'\?"):
        compute(two_sources, grain="monthly")
    with pytest.raises(KpikitError, match=r"no KPI 'revnue'.*did you mean 'revenue'\?"):
        compute(two_sources, kpis=["revnue"])
    with pytest.raises(ParameterError, match=r"unknown source 'ordres'.*did you mean 'orders'\?"):
        compute(two_sources, data={"ordres": orders()})
    with pytest.raises(ParameterError, match=r"spec must be a Spec or a path.*found dict"):
        compute({"kpis": {}})  # type: ignore[arg-type]


def test_grouping_by_a_column_a_source_lacks(two_sources) -> None:
    with pytest.raises(
        DataError,
        match=r"cannot group KPI\(s\) visits by 'channel': source 'web' has no such column.*"
        r"Pick KPIs from sources that have 'channel' \(kpis=\[\.\.\.\] or --kpi\)",
    ):
        compute(two_sources, by="channel", kpis=["revenue", "visits"])  # named: an error
    assert set(compute(two_sources, by="channel", kpis="revenue")["kpi"]) == {"revenue"}
    with pytest.warns(
        KpikitWarning, match=r"^left out visits: its source has no column 'channel'$"
    ):
        assert set(compute(two_sources, by="channel")["kpi"]) == {"revenue"}
    with pytest.raises(DataError, match=r"by 'chanel'.*did you mean 'channel'\? Or pick KPIs"):
        compute(two_sources, by="chanel", kpis=["revenue"])
    with pytest.raises(ParameterError, match=r"cannot group by 'value'.*rename that column"):
        compute(two_sources, by="value")
    with pytest.raises(ParameterError, match=r"by= lists a column twice"):
        compute(two_sources, by=["channel", "channel"])


def test_kpis_whose_source_lacks_the_segment_are_left_out_with_one_warning(
    write_spec, backend
) -> None:
    web = pd.DataFrame({"day": ["2026-01-01"], "visits": [3], "device": ["mobile"]})
    mail = pd.DataFrame({"day": ["2026-01-01"], "opens": [5], "sends": [9]})
    spec = write_spec(
        {"orders": orders(), "web": web, "mail": mail},
        kpi("revenue", measure="sum(amount)")
        + kpi("visits", "web", measure="sum(visits)")
        + kpi("open_rate", "mail", numerator="sum(opens)", denominator="sum(sends)")
        + kpi("orders", measure="count()"),
    )
    with pytest.warns(KpikitWarning) as caught:
        got = compute(spec, by="channel", backend=backend)
    assert [str(w.message) for w in caught] == [
        "left out visits, open_rate: their sources have no column 'channel'"
    ]
    assert got["kpi"].unique().tolist() == ["revenue", "orders"]
    want = compute(spec, by="channel", kpis=["revenue", "orders"], backend=backend)
    pd.testing.assert_frame_equal(got, want)
    with pytest.warns(KpikitWarning, match=r"^left out revenue, open_rate, orders: their sources"):
        assert compute(spec, by="device", grain="year")["kpi"].tolist() == ["visits"]
    with pytest.raises(DataError, match=r"cannot group KPI\(s\) open_rate by 'channel'"):
        compute(spec, by="channel", kpis=["revenue", "open_rate"], backend=backend)  # named
    with pytest.raises(DataError, match=r"cannot group KPI\(s\) revenue, orders by 'region'"):
        compute(spec, by="region", backend=backend)  # no source has it: an error as before


def test_missing_or_misspelled_columns_in_data(two_sources) -> None:
    frame = orders().rename(columns={"amount": "amnt"})
    with pytest.raises(
        DataError,
        match=r"column 'amount' not found in source 'orders' \(needed by KPI 'revenue'\).*"
        r"did you mean 'amnt'\?",
    ):
        compute(two_sources, kpis=["revenue"], data={"orders": frame})
    with pytest.raises(DataError, match=r"cannot group KPI\(s\) revenue by 'device'.*device"):
        compute(two_sources, by="device", kpis=["revenue"])
    with pytest.raises(DataError, match=r"column 't' not found in source 'orders' \(needed by its"):
        compute(two_sources, kpis=["revenue"], data={"orders": orders().drop(columns="t")})


def test_wrong_types_in_measures_filters_and_time(write_spec, tmp_path, backend) -> None:
    frame = orders()
    spec = write_spec(
        {"orders": frame},
        kpi("text_sum", measure="sum(channel)")
        + kpi("text_vs_number", measure="count()", filter="channel == 5")
        + kpi("bool_vs_text", measure="count()", filter="refunded == 'false'"),
    )
    with pytest.raises(DataError, match=r"KPI 'text_sum' takes sum\(\) of column 'channel'"):
        compute(spec, kpis=["text_sum"], backend=backend)
    with pytest.raises(
        DataError, match=r"filter of KPI 'text_vs_number' \(source 'orders'\) compar"
    ):
        compute(spec, kpis=["text_vs_number"], backend=backend)
    with pytest.raises(DataError, match=r"column 'refunded' with text 'false'.*refunded == false"):
        compute(spec, kpis=["bool_vs_text"], backend=backend)
    bad = pd.DataFrame({"t": ["2026-01-05", "31/02/2026", None], "amount": [1.0, 2.0, 3.0]})
    spec = write_spec({"orders": bad}, kpi("revenue", measure="sum(amount)"))
    with pytest.raises(
        DataError, match=r"time column 't' of orders\.csv \(source 'orders'\).*'31/02/2026'"
    ):
        compute(spec, backend=backend)
    numbers = pd.DataFrame({"t": [20260105], "amount": [1.0]})
    with pytest.raises(DataError, match=r"found a column of numbers.*convert the numbers to dates"):
        compute(spec, data={"orders": numbers})


# --- the sample data --------------------------------------------------------------------------


def test_sample_orders_revenue_matches_duckdb(write_spec, backend) -> None:
    path = REPO / "data" / "orders.csv"
    spec = write_spec(
        {},
        kpi("revenue", measure="sum(revenue)", filter="refunded == false"),
        sources_yaml=f"orders: {{path: {path}, time: order_date}}",
    )
    got = compute(spec, grain="month", backend=backend)
    want = sql(
        "SELECT strftime(order_date, '%Y-%m') AS period, sum(revenue) AS value "
        f"FROM read_csv('{path}') WHERE refunded = false GROUP BY ALL ORDER BY period"
    )
    assert got["period"].tolist() == want["period"].tolist()
    np.testing.assert_allclose(got["value"], want["value"], rtol=1e-9)


def test_last_complete_period(write_spec, backend) -> None:
    assert last_complete_period(REPO / "data" / "kpis.yml", "month", backend=backend) == "2026-11"
    spec = write_spec(
        {
            "orders": pd.DataFrame({"t": ["2026-03-01", "2026-04-30 18:00"], "n": [1, 2]}),
            "web": pd.DataFrame({"day": ["2026-03-01", "2026-04-29"], "n": [1, 2]}),
        },
        kpi("a", measure="sum(n)") + kpi("b", "web", measure="sum(n)"),
    )
    assert last_complete_period(spec, "month", backend=backend) == "2026-03"  # web stops early
    assert last_complete_period(spec, "day", backend=backend) == "2026-04-29"
    assert last_complete_period(spec, "quarter", backend=backend) == "2026-Q1"
    early = pd.DataFrame({"day": ["2026-03-01", "2026-03-31"], "n": [1, 2]})
    assert last_complete_period(spec, data={"web": early}) == "2026-03"
    with pytest.raises(ParameterError, match=r"unknown grain 'mnth'.*did you mean 'month'"):
        last_complete_period(spec, "mnth")
