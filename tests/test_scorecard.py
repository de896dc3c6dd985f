"""The scorecard: value, previous period, change judged by direction, and target."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpikit import scorecard
from kpikit.errors import ParameterError
from kpikit.scorecard import SCORECARD_COLUMNS
from kpikit.spec import Objective

ORDERS = pd.DataFrame(
    {
        "day": ["2026-09-03", "2026-10-01", "2026-10-20", "2026-11-02", "2026-11-15", "2026-11-30"],
        "revenue": [50.0, 100.0, 60.0, 90.0, 30.0, 20.0],
        "clicks": [1, 4, 6, 3, 0, 1],
        "spend": [2.0, 10.0, 10.0, 8.0, 0.0, 4.0],
    }
)
KPIS = """
revenue:
  name: Revenue
  source: orders
  measure: sum(revenue)
  unit: currency
  direction: up
  target: {value: 150, by: 2026-12-31}
cpc:
  name: Cost per click
  source: orders
  numerator: sum(spend)
  denominator: sum(clicks)
  unit: currency
  direction: down
"""
SOURCES = "orders: {path: orders.csv, time: day}"


@pytest.fixture
def spec(write_spec):  # type: ignore[no-untyped-def]
    spec = write_spec({"orders": ORDERS}, KPIS, SOURCES)
    kpis = dict(spec.kpis, revenue=spec.kpis["revenue"]._replace(objective="grow"))
    return spec._replace(objectives={"grow": Objective("grow", "Grow sales")}, kpis=kpis)


def test_scorecard_compares_with_the_previous_period_and_the_target(spec) -> None:  # type: ignore[no-untyped-def]
    card = scorecard(spec, period="2026-11")
    assert tuple(card.columns) == SCORECARD_COLUMNS
    assert list(card["kpi"]) == ["revenue", "cpc"]
    days = pd.to_datetime(ORDERS["day"])
    nov = ORDERS[days.dt.month == 11]
    octo = ORDERS[days.dt.month == 10]
    revenue = card.iloc[0]
    assert revenue["value"] == pytest.approx(nov["revenue"].sum())
    assert revenue["previous"] == pytest.approx(octo["revenue"].sum())
    assert revenue["change"] == pytest.approx(nov["revenue"].sum() - octo["revenue"].sum())
    assert revenue["change_pct"] == pytest.approx(140 / 160 - 1)
    assert not revenue["better"]  # revenue fell and up is good
    assert revenue["target"] == 150 and revenue["target_by"] == "2026-12-31"
    assert revenue["objective_title"] == "Grow sales"
    cpc = card.iloc[1]
    assert cpc["value"] == pytest.approx(nov["spend"].sum() / nov["clicks"].sum())  # 12 / 4
    assert cpc["previous"] == pytest.approx(octo["spend"].sum() / octo["clicks"].sum())  # 20 / 10
    assert not cpc["better"]  # cost per click rose from 2.0 to 3.0: worse, as lower is better
    assert pd.isna(card.iloc[1]["objective"])


def test_no_change_is_not_judged_and_a_rise_in_an_up_kpi_is_better(spec) -> None:  # type: ignore[no-untyped-def]
    card = scorecard(spec, period="2026-10").set_index("kpi")
    assert card.at["cpc", "value"] == pytest.approx(20.0 / 10)
    assert card.at["cpc", "previous"] == pytest.approx(2.0 / 1)
    assert pd.isna(card.at["cpc", "better"])  # no change: nothing to judge
    assert bool(card.at["revenue", "better"])  # 160 against 50


def test_a_fall_in_a_down_kpi_is_better(write_spec) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {"day": ["2026-01-10", "2026-02-10"], "spend": [10.0, 6.0], "clicks": [5, 6]}
    )
    spec = write_spec(
        {"ads": frame},
        "cpc: {name: CPC, source: ads, numerator: sum(spend), denominator: sum(clicks),"
        " unit: currency, direction: down}",
    )
    card = scorecard(spec, period="2026-02").set_index("kpi")
    assert card.at["cpc", "value"] == pytest.approx(1.0) and card.at[
        "cpc", "previous"
    ] == pytest.approx(2.0)
    assert bool(card.at["cpc", "better"])


def test_missing_previous_period_gives_empty_change(spec) -> None:  # type: ignore[no-untyped-def]
    card = scorecard(spec, period="2026-09").set_index("kpi")
    assert card.at["revenue", "value"] == 50
    assert math.isnan(card.at["revenue", "previous"])
    assert math.isnan(card.at["revenue", "change_pct"])
    assert pd.isna(card.at["revenue", "better"])


def test_scorecard_works_at_other_grains(spec) -> None:  # type: ignore[no-untyped-def]
    card = scorecard(spec, period="2026-Q4").set_index("kpi")
    q4 = ORDERS[pd.to_datetime(ORDERS["day"]) >= "2026-10-01"]
    assert card.at["revenue", "value"] == pytest.approx(q4["revenue"].sum())
    assert card.at["revenue", "previous"] == pytest.approx(50.0)


def test_bad_period_is_a_parameter_error(spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match="2026-13"):
        scorecard(spec, period="2026-13")
