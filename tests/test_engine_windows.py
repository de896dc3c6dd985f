"""KPI windows (``window:``) against hand-written pandas rolling and cumulative computations.

Every test that computes runs on every backend. The expected numbers are computed here from the
rows with pandas: monthly sums reindexed to the full calendar, then rolled or accumulated, or the
rows of each window gathered by date.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpikit._load import lint_spec, load_spec
from kpikit.engine import compute
from kpikit.errors import KpikitWarning, ParameterError, SpecError

REPO = Path(__file__).resolve().parents[1]


def kpi(kid: str, source: str = "o", **fields: object) -> str:
    body = {"name": kid, "source": source, "unit": "count", "direction": "up", **fields}
    return f"{kid}:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in body.items())


def monthly(frame: pd.DataFrame, time: str, columns: list[str], by: str | None = None):
    """Monthly sums of ``columns`` (per ``by``), reindexed to every month from first to last."""
    month = pd.to_datetime(frame[time]).dt.to_period("M")
    keys = [month.rename("month")] + ([frame[by]] if by else [])
    sums = frame.groupby(keys)[columns].sum()
    months = pd.period_range(month.min(), month.max(), freq="M")
    if by is None:
        return sums.reindex(months, fill_value=0), set(month.unique())
    full = pd.MultiIndex.from_product([months, sorted(frame[by].unique())], names=sums.index.names)
    return sums.reindex(full, fill_value=0), set(month.unique())


# --- the sample data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_spec(tmp_path_factory) -> Path:
    """The sample sources, with windowed KPIs over them."""
    kpis = [
        kpi("roas_3m", "campaigns", numerator="sum(attributed_sales)", denominator="sum(spend)",
            window={"periods": 3}),
        kpi("spend_ytd", "campaigns", measure="sum(spend)", window={"to_date": "year"}),
        kpi("clicks_all", "campaigns", measure="sum(clicks)", window="all"),
        kpi("revenue_qtd", "orders", measure="sum(revenue)", filter="refunded == false",
            window={"to_date": "quarter"}),
        kpi("customers_3m", "orders", measure="count_distinct(customer_id)",
            window={"periods": 3}),
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("sample") / "kpis.yml"
    path.write_text(
        "version: 1\nsources:\n"
        f"  campaigns: {{path: {REPO / 'data/campaigns.csv'}, time: date}}\n"
        f"  orders: {{path: {REPO / 'data/orders.csv'}, time: order_date}}\n"
        "kpis:\n" + "".join(textwrap.indent(k, "  ") for k in kpis),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def campaigns() -> pd.DataFrame:
    return pd.read_csv(REPO / "data/campaigns.csv")


@pytest.fixture(scope="module")
def sample_orders() -> pd.DataFrame:
    return pd.read_csv(REPO / "data/orders.csv")


def test_sample_trailing_ratio_is_a_ratio_of_three_month_sums(
    sample_spec, campaigns, backend
) -> None:
    sums, _ = monthly(campaigns, "date", ["attributed_sales", "spend"], by="channel")
    rolled = sums.groupby(level="channel").rolling(3, min_periods=1).sum().droplevel(0)
    want = (rolled["attributed_sales"] / rolled["spend"]).rename("want").reset_index()
    want["period"] = want["month"].astype(str)
    got = compute(sample_spec, kpis=["roas_3m"], by="channel", backend=backend)
    both = got.merge(want, on=["period", "channel"], validate="1:1")
    assert len(both) == len(got) == len(want)
    np.testing.assert_allclose(both["value"], both["want"], rtol=1e-10)
    # never the mean of the three monthly ratios
    monthly_ratio = sums["attributed_sales"] / sums["spend"]
    mean_of_ratios = monthly_ratio.groupby(level="channel").rolling(3, min_periods=1).mean()
    assert not np.allclose(both["value"], mean_of_ratios.droplevel(0).to_numpy(), rtol=1e-6)


def test_sample_year_to_date_and_running_total(sample_spec, campaigns, backend) -> None:
    sums, _ = monthly(campaigns, "date", ["spend", "clicks"])
    ytd = sums["spend"].groupby(sums.index.year).cumsum()
    running = sums["clicks"].cumsum()
    got = compute(sample_spec, kpis=["spend_ytd", "clicks_all"], backend=backend)
    got = got.set_index(["kpi", "period"])["value"]
    for month in sums.index:
        assert got[("spend_ytd", str(month))] == pytest.approx(ytd[month], rel=1e-11)
        assert got[("clicks_all", str(month))] == pytest.approx(running[month], rel=1e-11)


def test_year_to_date_follows_a_fiscal_calendar(sample_spec, campaigns, backend) -> None:
    from kpikit.spec import Calendar

    spec = load_spec(sample_spec)._replace(calendar=Calendar(fiscal_year_start=4))
    sums, _ = monthly(campaigns, "date", ["spend"])
    ytd = sums["spend"].groupby(sums.index.asfreq("Y-MAR")).cumsum()  # years ending in March
    got = compute(spec, kpis=["spend_ytd"], backend=backend).set_index("period")["value"]
    assert len(got) == len(sums)
    for month in sums.index:
        assert got[str(month)] == pytest.approx(ytd[month], rel=1e-11)


def test_sample_quarter_to_date_with_a_filter_and_distinct_customers(
    sample_spec, sample_orders, backend
) -> None:
    kept = sample_orders[~sample_orders.refunded]
    sums, _ = monthly(kept, "order_date", ["revenue"])
    qtd = sums["revenue"].groupby(sums.index.asfreq("Q")).cumsum()
    got = compute(
        sample_spec, kpis=["revenue_qtd", "customers_3m"], start="2025-01", backend=backend
    )
    got = got.set_index(["kpi", "period"])["value"]
    month = pd.to_datetime(sample_orders.order_date).dt.to_period("M")
    for m in pd.period_range("2025-01", month.max(), freq="M"):
        assert got[("revenue_qtd", str(m))] == pytest.approx(qtd[m], rel=1e-11)
        in_window = sample_orders[(month >= m - 2) & (month <= m)]
        assert got[("customers_3m", str(m))] == in_window.customer_id.nunique()
    assert min(p for _, p in got.index) == "2025-01"  # start= still cuts the table


# --- small frames -----------------------------------------------------------------------------

# January, February, April and May: March has no rows at all.
SMALL = pd.DataFrame(
    {
        "t": ["2026-01-05", "2026-01-20", "2026-02-03", "2026-04-10", "2026-04-11", "2026-05-31"],
        "ch": ["a", "b", "a", "a", "b", "b"],
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
        "n": [1, 0, 4, 2, 0, 3],
        "c": ["u", "v", "u", "w", "u", "v"],
    }
)


def by_window(frame: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """The rows from the first day of month ``first`` to the last day of month ``last``."""
    month = pd.to_datetime(frame["t"]).dt.to_period("M")
    return frame[(month >= pd.Period(first, "M")) & (month <= pd.Period(last, "M"))]


def test_trailing_window_across_a_missing_month(write_spec, backend) -> None:
    yaml = "".join(
        kpi(k, window={"periods": 3}, **fields)
        for k, fields in {
            "sum3": {"measure": "sum(x)"},
            "mean3": {"measure": "mean(x)"},
            "min3": {"measure": "min(x)"},
            "max3": {"measure": "max(n)"},
            "rate3": {"numerator": "sum(x)", "denominator": "sum(n)"},
            "distinct3": {"measure": "count_distinct(c)"},
            "median3": {"measure": "median(x)"},
        }.items()
    )
    spec = write_spec({"o": SMALL}, yaml)
    got = compute(spec, backend=backend).set_index(["kpi", "period"])
    # March has no rows, but the time spine gives it a row, whose window is January to March;
    # April's window is February to April by the calendar.
    assert sorted(set(got.index.get_level_values("period"))) == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    for period, first in [("2026-01", "2025-11"), ("2026-02", "2025-12"), ("2026-03", "2026-01"),
                          ("2026-04", "2026-02"), ("2026-05", "2026-03")]:  # fmt: skip
        rows = by_window(SMALL, first, period)
        want = {
            "sum3": rows.x.sum(),
            "mean3": rows.x.mean(),
            "min3": rows.x.min(),
            "max3": rows.n.max(),
            "rate3": rows.x.sum() / rows.n.sum(),
            "distinct3": rows.c.nunique(),
            "median3": rows.x.median(),
        }
        for kid, value in want.items():
            assert got.loc[(kid, period), "value"] == pytest.approx(value), (kid, period)
    assert got.loc[("rate3", "2026-04"), ["numerator", "denominator"]].tolist() == [12.0, 6.0]


def test_windows_per_segment_include_segments_quiet_in_the_last_period(write_spec, backend) -> None:
    spec = write_spec(
        {"o": SMALL},
        kpi("sum2", measure="sum(x)", window={"periods": 2})
        + kpi("d2", measure="count_distinct(c)", window={"periods": 2}),
    )
    got = compute(spec, by="ch", backend=backend).set_index(["kpi", "period", "ch"])["value"]
    for (kid, period, ch), value in got.items():
        first = str(pd.Period(period, "M") - 1)
        rows = by_window(SMALL, first, period)
        rows = rows[rows.ch == ch]
        # the time spine gives every segment every period; an empty window sums to 0
        want = rows.x.sum() if kid == "sum2" else rows.c.nunique()
        assert value == pytest.approx(want), (kid, period, ch)
    assert got[("sum2", "2026-02", "b")] == 2.0  # b has no February rows: January's 2.0
    assert ("sum2", "2026-04", "b") in got and ("sum2", "2026-05", "a") in got


def test_running_total_and_month_to_date_at_grain_day(write_spec, backend) -> None:
    spec = write_spec(
        {"o": SMALL},
        kpi("all_n", measure="sum(n)", window="all")
        + kpi("mtd_n", measure="sum(n)", window={"to_date": "month"})
        + kpi("wtd_n", measure="count()", window={"to_date": "week"}),
    )
    got = compute(spec, grain="day", backend=backend).set_index(["kpi", "period"])["value"]
    days = pd.to_datetime(SMALL.t)
    for stamp in days:
        label = stamp.strftime("%Y-%m-%d")
        assert got[("all_n", label)] == SMALL.n[days <= stamp].sum()
        same_month = (days.dt.to_period("M") == stamp.to_period("M")) & (days <= stamp)
        assert got[("mtd_n", label)] == SMALL.n[same_month].sum()
        same_week = (days.dt.to_period("W-SUN") == stamp.to_period("W-SUN")) & (days <= stamp)
        assert got[("wtd_n", label)] == same_week.sum()


def test_formula_over_windowed_inputs(write_spec, backend) -> None:
    spec = write_spec(
        {"o": SMALL},
        kpi("x3", measure="sum(x)", window={"periods": 3})
        + kpi("n3", measure="sum(n)", window={"periods": 3})
        + kpi("xn", measure="sum(x)")
        + "share:\n  name: share\n  formula: xn / x3\n  unit: ratio\n  direction: up\n"
        + "rate:\n  name: rate\n  formula: x3 / n3\n  unit: ratio\n  direction: up\n",
    )
    got = compute(spec, kpis=["share", "rate"], backend=backend).set_index(["kpi", "period"])
    rows = by_window(SMALL, "2026-03", "2026-05")
    assert got.loc[("rate", "2026-05"), "value"] == pytest.approx(rows.x.sum() / rows.n.sum())
    may = by_window(SMALL, "2026-05", "2026-05")
    assert got.loc[("share", "2026-05"), "value"] == pytest.approx(may.x.sum() / rows.x.sum())


def test_complete_means_the_data_covers_every_day_of_the_window(write_spec, backend) -> None:
    # Data from 2026-01-05 to 2026-05-31: January is partial, May whole.
    spec = write_spec(
        {"o": SMALL},
        kpi("s2", measure="sum(x)", window={"periods": 2})
        + kpi("ytd", measure="sum(x)", window={"to_date": "year"})
        + kpi("run", measure="sum(x)", window="all")
        + kpi("plain", measure="sum(x)"),
    )
    got = compute(spec, backend=backend).set_index(["kpi", "period"])["complete"]
    want = {
        # January to May: March has no rows, but the time spine gives it a row
        "s2": [False, False, True, True, True],  # February's window starts in partial January
        "ytd": [False, False, False, False, False],  # every year-to-date window starts on 1 Jan
        "run": [True, True, True, True, True],  # from the first data, to the period's last day
        "plain": [False, True, True, True, True],
    }
    for kid, flags in want.items():
        assert got[kid].tolist() == flags, kid


def test_start_reaches_back_for_the_window_and_comparisons_see_window_values(
    write_spec, backend
) -> None:
    spec = write_spec({"o": SMALL}, kpi("s3", measure="sum(x)", window={"periods": 3}))
    got = compute(spec, start="2026-04", compare="previous", backend=backend)
    assert got["period"].tolist() == ["2026-04", "2026-05"]
    april = by_window(SMALL, "2026-02", "2026-04").x.sum()
    may = by_window(SMALL, "2026-03", "2026-05").x.sum()
    assert got["value"].tolist() == [april, may]
    assert got["previous_value"].iloc[1] == april


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grain", "unit"), [("quarter", "month"), ("week", "month"), ("month", "month"),
                        ("year", "year"), ("week", "quarter")]
)  # fmt: skip
def test_to_date_unit_must_be_made_of_whole_periods(write_spec, grain, unit) -> None:
    spec = write_spec({"o": SMALL}, kpi("k", measure="sum(x)", window={"to_date": unit}))
    with pytest.raises(ParameterError, match=rf"KPI 'k' has window \{{to_date: {unit}\}}.*grain"):
        compute(spec, grain=grain)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("3", r"window: expected \{periods: N\}.*found 3.*Hint: write window: \{periods: 3\}"),
        ("{periods: 0}", r"expected a whole number of periods, 1 or more, found 0"),
        ("{periods: 2.5}", r"whole number of periods.*found 2.5"),
        ("{to_date: yaer}", r"expected to_date: week\|month\|quarter\|year.*did you mean 'year'"),
        ("{period: 3}", r"unknown key 'period' in window.*did you mean 'periods'"),
        ("{periods: 3, to_date: year}", r"found a mapping with periods, to_date"),
        ("al", r"found 'al'.*did you mean 'all'"),
    ],
)
def test_lint_reports_bad_windows_with_line_and_hint(write_spec, window, message) -> None:
    spec = write_spec({"o": SMALL}, kpi("k", measure="sum(x)"))
    text = spec.path.read_text() + f"    window: {window}\n"
    bad = spec.path.parent / "bad.yml"
    bad.write_text(text)
    problems = [p for p in lint_spec(bad) if p.severity == "error"]
    assert len(problems) == 1 and problems[0].kpi == "k" and problems[0].field == "window"
    assert problems[0].line == len(text.splitlines())
    with pytest.raises(SpecError, match=message):
        compute(bad)


def test_lint_checks_the_window_against_the_cadence_and_formulas(write_spec) -> None:
    spec = write_spec({"o": SMALL}, kpi("k", measure="sum(x)"))
    text = spec.path.read_text() + (
        "    cadence: quarterly\n    window: {to_date: month}\n"
        "  f:\n    name: f\n    formula: k * 2\n    unit: count\n    direction: up\n"
        "    window: all\n"
    )
    bad = spec.path.parent / "bad.yml"
    bad.write_text(text)
    messages = [str(p) for p in lint_spec(bad) if p.severity == "error"]
    assert len(messages) == 2
    assert "a quarterly KPI cannot have window {to_date: month}" in messages[0]
    assert "longer than a quarter" in messages[0] and "use to_date: year" in messages[0]
    assert "a formula KPI takes no 'window'" in messages[1]


def test_windowed_kpis_of_a_source_without_the_segment_are_left_out(write_spec, backend) -> None:
    other = pd.DataFrame({"t": ["2026-01-03", "2026-02-03"], "v": [1, 2]})
    spec = write_spec(
        {"o": SMALL, "w": other},
        kpi("s2", measure="sum(x)", window={"periods": 2})
        + kpi("v2", "w", measure="sum(v)", window={"periods": 2})
        + kpi("m2", "w", measure="median(v)", window={"periods": 2}),
    )
    with pytest.warns(KpikitWarning, match="left out v2, m2"):
        got = compute(spec, by="ch", backend=backend)
    assert set(got["kpi"]) == {"s2"}
    # a: 1.0 in January, 3.0 in February, 4.0 in April; March has no rows (0 in the time spine)
    assert got.loc[got.ch == "a", "value"].tolist() == [
        1.0, 1.0 + 3.0, 3.0 + 0.0, 0.0 + 4.0, 4.0 + 0.0,
    ]  # fmt: skip


def test_a_partial_period_is_compared_with_the_same_days_of_the_earlier_window(
    write_spec, backend
) -> None:
    days = pd.date_range("2026-01-01", "2026-05-15", freq="D")  # May is partial
    frame = pd.DataFrame({"t": days.strftime("%Y-%m-%d"), "x": range(len(days))})
    spec = write_spec(
        {"o": frame},
        kpi("s2", measure="sum(x)", window={"periods": 2})
        + kpi("d2", measure="count_distinct(x)", window={"periods": 2}),
    )
    got = compute(spec, start="2026-05", compare="previous", backend=backend).set_index("kpi")
    assert got["previous_to_date"].all() and not got["complete"].any()
    earlier = (days >= "2026-03-01") & (days <= "2026-04-15")  # April's window, to the 15th
    assert got.loc["s2", "previous_value"] == frame.x[earlier].sum()
    assert got.loc["d2", "previous_value"] == earlier.sum()
    now = days >= "2026-04-01"
    assert got.loc["s2", "value"] == frame.x[now].sum()
