"""compute(compare=...): each row beside an earlier period, checked against pandas, on every backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpikit import compute
from kpikit.cli import main
from kpikit.errors import ParameterError

REPO = Path(__file__).resolve().parents[1]

DAYS = pd.date_range("2025-01-01", "2026-03-15", freq="D")  # March 2026 is partial


def _orders() -> pd.DataFrame:
    rows = []
    for channel, scale in (("web", 1.0), ("app", 0.5)):
        for i, day in enumerate(DAYS):
            if channel == "app" and day.strftime("%Y-%m") == "2025-08":
                continue  # a calendar month without data for one segment
            rows.append(
                {
                    "day": day.strftime("%Y-%m-%d"),
                    "channel": channel,
                    "revenue": round(scale * (100 + (i * 37) % 91), 2),
                    "cost": round(scale * (40 + (i * 13) % 29), 2),
                }
            )
    return pd.DataFrame(rows)


ORDERS = _orders()
KPIS = """
revenue: {name: Revenue, source: orders, measure: sum(revenue), unit: currency, direction: up}
cost: {name: Cost, source: orders, measure: sum(cost), unit: currency, direction: down}
margin: {name: Margin, formula: (revenue - cost) / revenue, unit: percent, direction: up}
"""


@pytest.fixture
def spec(write_spec):  # type: ignore[no-untyped-def]
    return write_spec({"orders": ORDERS}, KPIS)


def monthly(frame: pd.DataFrame, column: str) -> pd.Series:
    """Independently: sums per (month, channel)."""
    month = pd.to_datetime(frame["day"]).dt.strftime("%Y-%m")
    return frame.groupby([month, frame["channel"]])[column].sum()


def earlier_month(month: str, n: int) -> str:
    return str(pd.Period(month, "M") - n)


def rows_of(table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    return table[table["kpi"] == kpi].set_index(["period", "channel"])


def test_values_changes_and_better_match_pandas(spec, backend) -> None:
    table = compute(
        spec, grain="month", by="channel", compare=["previous", "year_ago", "lag:3"],
        start="2025-06", end="2026-02", backend=backend,
    )  # fmt: skip
    for kpi, direction in (("revenue", 1), ("cost", -1)):
        got, sums = rows_of(table, kpi), monthly(ORDERS, kpi)
        for name, n in (("previous", 1), ("year_ago", 12), ("lag3", 3)):
            keys = [(earlier_month(p, n), c) for p, c in got.index]
            expected = sums.reindex(keys)
            # The time spine: a month inside the data's span without rows is a sum of 0; before
            # the data's first month it stays empty.
            inside = np.array([m >= DAYS.min().strftime("%Y-%m") for m, _ in keys])
            expected = expected.where(~(expected.isna() & inside), 0.0).to_numpy()
            np.testing.assert_allclose(
                got[f"{name}_value"], expected, rtol=1e-11
            )  # aggregates carry 12 significant digits
            change = got["value"].to_numpy() - expected
            np.testing.assert_allclose(got[f"{name}_change"], change, rtol=1e-9, atol=1e-9)
            positive = np.where(expected > 0, expected, np.nan)  # relative to 0: empty
            np.testing.assert_allclose(got[f"{name}_change_pct"], change / positive, rtol=1e-9)
            better = pd.Series(direction * change > 0, dtype="boolean").mask(np.isnan(change))
            assert got[f"{name}_better"].tolist() == better.tolist()
            assert not got[f"{name}_to_date"].any()
    # app has no rows in 2025-08: September's previous value is 0 (the time spine), never July's
    # carried on, and its relative change is empty
    app = rows_of(table, "revenue").loc[("2025-09", "app")]
    assert app["previous_value"] == 0 and np.isnan(app["previous_change_pct"])
    assert app["lag3_value"] == pytest.approx(monthly(ORDERS, "revenue")[("2025-06", "app")])
    # before the data: empty, with no change and no verdict
    first = rows_of(table, "revenue").loc[("2025-06", "web")]
    assert np.isnan(first["year_ago_value"]) and np.isnan(first["year_ago_change_pct"])
    assert first["year_ago_better"] is pd.NA


def test_comparisons_reach_back_before_start(spec, backend) -> None:
    table = compute(spec, kpis=["revenue"], start="2026-01", end="2026-01", compare="lag:12",
                    backend=backend)  # fmt: skip
    assert table["period"].unique().tolist() == ["2026-01"]
    assert table["lag12_value"].iloc[0] == pytest.approx(ORDERS.loc[
        ORDERS["day"].str.startswith("2025-01"), "revenue"
    ].sum())  # fmt: skip


def test_a_partial_month_is_compared_with_the_same_days(spec, backend) -> None:
    table = compute(spec, by="channel", start="2026-03", compare=["previous", "year_ago", "lag:3"],
                    backend=backend)  # fmt: skip
    days = pd.to_datetime(ORDERS["day"])

    def between(first: str, last: str, column: str) -> pd.Series:
        keep = (days >= first) & (days <= last)
        return ORDERS[keep].groupby("channel")[column].sum()

    for kpi in ("revenue", "cost"):
        got = table[table["kpi"] == kpi].set_index("channel")
        assert not got["complete"].any()
        for name, first, last in (
            ("previous", "2026-02-01", "2026-02-15"),
            ("year_ago", "2025-03-01", "2025-03-15"),
            ("lag3", "2025-12-01", "2025-12-15"),
        ):
            expected = between(first, last, kpi).reindex(got.index)
            np.testing.assert_allclose(
                got[f"{name}_value"], expected, rtol=1e-11
            )  # aggregates carry 12 significant digits
            assert got[f"{name}_to_date"].all()
    margin = table[table["kpi"] == "margin"].set_index("channel")["previous_value"]
    rev, cost = (
        between("2026-02-01", "2026-02-15", "revenue"),
        between("2026-02-01", "2026-02-15", "cost"),
    )
    np.testing.assert_allclose(
        margin, ((rev - cost) / rev).reindex(margin.index), rtol=1e-11
    )  # aggregates carry 12 significant digits


def test_a_whole_period_is_not_compared_with_a_partial_one(write_spec, backend) -> None:
    orders = ORDERS[ORDERS["day"] >= "2025-01-10"]  # January 2025 is partial
    spec = write_spec({"orders": orders}, KPIS)
    table = compute(spec, kpis=["revenue"], start="2025-02", end="2025-02", compare="previous",
                    backend=backend)  # fmt: skip
    assert table["complete"].all() and table["previous_value"].isna().all()


def test_year_ago_at_week_and_day_grains(spec) -> None:
    week = compute(spec, kpis=["revenue"], grain="week", start="2026-W10", end="2026-W10",
                   compare="year_ago")  # fmt: skip
    days = pd.to_datetime(ORDERS["day"])
    iso = days.dt.isocalendar()
    same = ORDERS[(iso["year"] == 2025).to_numpy() & (iso["week"] == 10).to_numpy()]
    assert week["year_ago_value"].iloc[0] == pytest.approx(same["revenue"].sum())
    day = compute(spec, kpis=["revenue"], grain="day", start="2026-03-01", end="2026-03-01",
                  compare="year_ago")  # fmt: skip
    assert day["year_ago_value"].iloc[0] == pytest.approx(
        ORDERS.loc[ORDERS["day"] == "2025-03-01", "revenue"].sum()
    )


def test_unknown_or_repeated_comparisons(spec) -> None:
    with pytest.raises(ParameterError, match=r"expected previous, year_ago or lag:N.*'previous'"):
        compute(spec, compare=["prevous"])
    with pytest.raises(ParameterError, match="expected previous, year_ago or lag:N"):
        compute(spec, compare="lag:0")
    with pytest.raises(ParameterError, match="given twice"):
        compute(spec, compare="previous,previous")


ARGS = ["compute", "data/kpis.yml", "--grain", "quarter", "--by", "channel"]
ARGS += ["--compare", "previous,year_ago"]


@pytest.mark.filterwarnings("ignore::kpikit.errors.KpikitWarning")  # KPIs without a channel
def test_cli_prints_the_same_bytes_on_duckdb_pandas_and_spark(spark, capsys) -> None:
    def run(backend: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "kpikit", *ARGS, "--backend", backend],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    duckdb_out = run("duckdb")
    assert "previous_change_pct" in duckdb_out.splitlines()[0]
    assert duckdb_out == run("pandas")
    args = [*ARGS, "--backend", "spark"]
    args[1] = str(REPO / "data" / "kpis.yml")
    assert main(args) == 0
    assert capsys.readouterr().out == duckdb_out
