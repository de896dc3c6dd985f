"""Formula KPIs in the engine: computed from other KPIs after they are aggregated, on every backend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpikit import compute
from kpikit.errors import KpikitWarning

ORDERS = pd.DataFrame(
    {
        "day": [
            "2025-11-03", "2025-11-20", "2025-12-01", "2026-01-05", "2026-01-06",
            "2026-02-10", "2026-04-01", "2026-04-02", "2026-04-03",
        ],
        "channel": ["web", "app", "web", "web", None, "app", "web", "app", "web"],
        "revenue": [100.0, 50.0, 80.0, 40.0, 10.0, 0.0, 30.0, 60.0, 10.0],
        "cost": [60.0, 20.0, 50.0, 30.0, 5.0, 0.0, 10.0, 30.0, 10.0],
    }
)  # fmt: skip
SESSIONS = pd.DataFrame(
    {
        "day": ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01", "2026-04-01"],
        "channel": ["web", "web", "web", "app", "web"],
        "sessions": [1000, 800, 0, 500, 400],
    }
)
KPIS = """
revenue: {name: Revenue, source: orders, measure: sum(revenue), unit: currency, direction: up}
cost: {name: Cost, source: orders, measure: sum(cost), unit: currency, direction: down}
orders: {name: Orders, source: orders, measure: count(), unit: count, direction: up}
sessions: {name: Sessions, source: web, measure: sum(sessions), unit: count, direction: up}
margin: {name: Margin, formula: (revenue - cost) / revenue, unit: percent, direction: up}
conversion: {name: Conversion, formula: orders / sessions, unit: percent, direction: up}
growth: {name: Growth, formula: "revenue / lag(revenue, 1) - 1", unit: percent, direction: up}
margin_points: {name: Margin in points, formula: 100 * margin, unit: score, direction: up}
"""
SOURCES = """
orders: {path: orders.csv, time: day}
web: {path: web.csv, time: day}
"""


@pytest.fixture
def spec(write_spec):  # type: ignore[no-untyped-def]
    return write_spec({"orders": ORDERS, "web": SESSIONS}, KPIS, SOURCES)


def monthly(frame: pd.DataFrame, column: str) -> pd.Series:
    """Sums per month, 0 in a month of the data's span without rows (the time spine)."""
    days = pd.to_datetime(frame["day"])
    span = pd.period_range(days.min(), days.max(), freq="M").strftime("%Y-%m")
    return frame.groupby(days.dt.strftime("%Y-%m"))[column].sum().reindex(span, fill_value=0)


def values(table: pd.DataFrame, kpi: str) -> pd.Series:
    rows = table[table["kpi"] == kpi]
    return pd.Series(rows["value"].to_numpy(), index=rows["period"].to_numpy(), dtype="float64")


def test_a_formula_is_computed_from_the_aggregated_inputs(spec, backend) -> None:  # type: ignore[no-untyped-def]
    table = compute(spec, kpis=["margin", "margin_points"], backend=backend)
    revenue, cost = monthly(ORDERS, "revenue"), monthly(ORDERS, "cost")
    expected = ((revenue - cost) / revenue.where(revenue != 0)).astype("float64")
    pd.testing.assert_series_equal(values(table, "margin"), expected, check_names=False)
    assert np.isnan(values(table, "margin")["2026-02"])  # revenue 0: empty, never inf
    pd.testing.assert_series_equal(
        values(table, "margin_points"), 100 * expected, check_names=False
    )
    assert list(table["kpi"].unique()) == ["margin", "margin_points"]  # inputs are not shown
    assert table["numerator"].isna().all() and table["denominator"].isna().all()


def test_a_formula_across_sources_at_quarter_grain_is_a_ratio_of_sums(spec, backend) -> None:  # type: ignore[no-untyped-def]
    table = compute(spec, grain="quarter", kpis=["conversion"], backend=backend)
    quarters = {"2025-Q4": ("2025-10-01", "2026-01-01"), "2026-Q1": ("2026-01-01", "2026-04-01")}
    for label, (first, last) in quarters.items():
        in_orders = ORDERS[(ORDERS["day"] >= first) & (ORDERS["day"] < last)]
        in_web = SESSIONS[(SESSIONS["day"] >= first) & (SESSIONS["day"] < last)]
        assert values(table, "conversion")[label] == pytest.approx(
            len(in_orders) / in_web["sessions"].sum()
        )


def test_lag_reads_the_calendar_not_the_previous_row(spec, backend) -> None:  # type: ignore[no-untyped-def]
    table = compute(spec, kpis=["growth"], backend=backend)
    revenue = monthly(ORDERS, "revenue")
    growth = values(table, "growth")
    assert np.isnan(growth["2025-11"])  # nothing earlier
    assert growth["2025-12"] == pytest.approx(revenue["2025-12"] / revenue["2025-11"] - 1)
    assert growth["2026-01"] == pytest.approx(revenue["2026-01"] / revenue["2025-12"] - 1)
    # March has no orders at all, so April's previous month is 0 (the time spine) and April's
    # growth is empty (a division by zero): never February carried on
    assert revenue["2026-03"] == 0 and np.isnan(growth["2026-04"])
    assert np.isnan(growth["2026-02"]) or growth["2026-02"] == pytest.approx(-1.0)


def test_lag_reaches_before_start(spec, backend) -> None:  # type: ignore[no-untyped-def]
    table = compute(spec, kpis=["growth", "revenue"], start="2026-01", backend=backend)
    revenue = monthly(ORDERS, "revenue")
    assert sorted(table["period"].unique()) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert values(table, "growth")["2026-01"] == pytest.approx(
        revenue["2026-01"] / revenue["2025-12"] - 1
    )


def test_formulas_by_segment_use_each_segments_own_inputs(spec, backend) -> None:  # type: ignore[no-untyped-def]
    table = compute(spec, by="channel", kpis=["margin"], backend=backend)
    rows = table.set_index(["period", "channel"])["value"]
    web_nov = ORDERS[(ORDERS["channel"] == "web") & ORDERS["day"].str.startswith("2025-11")]
    assert rows[("2025-11", "web")] == pytest.approx(
        1 - web_nov["cost"].sum() / web_nov["revenue"].sum()
    )
    missing = table[table["channel"].isna() & (table["period"] == "2026-01")]["value"]
    assert missing.tolist() == [pytest.approx(0.5)]  # the order without a channel keeps its row


def test_a_formula_whose_inputs_lack_the_segment_is_left_out_with_a_warning(
    write_spec, backend
) -> None:  # type: ignore[no-untyped-def]
    sessions = SESSIONS.drop(columns="channel")
    spec = write_spec({"orders": ORDERS, "web": sessions}, KPIS, SOURCES)
    with pytest.warns(KpikitWarning) as caught:
        table = compute(spec, by="channel", backend=backend)
    messages = [str(w.message) for w in caught]
    assert any("left out sessions" in m for m in messages)
    assert any("left out conversion: computed from KPIs that were left out" in m for m in messages)
    assert "conversion" not in set(table["kpi"]) and "margin" in set(table["kpi"])


def test_the_sample_specs_formula_kpis_match_pandas_on_the_sample_data() -> None:
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    table = compute(
        data / "kpis.yml",
        kpis=["gross_margin", "revenue_growth_yoy", "conversion_rate"],
        start="2026-10",
        end="2026-11",
    ).set_index(["kpi", "period"])["value"]
    orders = pd.read_csv(data / "orders.csv", parse_dates=["order_date"])
    kept = orders[~orders["refunded"]]
    month = kept["order_date"].dt.strftime("%Y-%m")
    revenue = kept.groupby(month)["revenue"].sum()
    cost = kept.groupby(month)["cost"].sum()
    count = kept.groupby(month).size()
    web = pd.read_csv(data / "web_sessions.csv", parse_dates=["date"])
    sessions = web.groupby(web["date"].dt.strftime("%Y-%m"))["sessions"].sum()
    for period, year_ago in (("2026-10", "2025-10"), ("2026-11", "2025-11")):
        margin = (revenue[period] - cost[period]) / revenue[period]
        assert table[("gross_margin", period)] == pytest.approx(margin)
        growth = revenue[period] / revenue[year_ago] - 1
        assert table[("revenue_growth_yoy", period)] == pytest.approx(growth)
        conversion = count[period] / sessions[period]
        assert table[("conversion_rate", period)] == pytest.approx(conversion)


def test_formulas_over_inputs_without_data_are_empty_and_say_nothing(spec, backend, native) -> None:  # type: ignore[no-untyped-def]
    # After the data ends, nothing is computed and nothing is "left out" (no warning at all:
    # pytest turns warnings into errors).
    assert compute(spec, start="2030-01", end="2030-03", backend=backend).empty
    # No sessions at all: conversion (orders / sessions) is empty in every month of the orders.
    no_sessions = native(SESSIONS.iloc[0:0])
    table = compute(spec, kpis=["conversion"], data={"web": no_sessions}, backend=backend)
    assert table["period"].tolist() == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert table["value"].isna().all()
