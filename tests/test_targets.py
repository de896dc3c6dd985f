"""Status against targets: every rule and direction on hand-built histories, numbers worked by hand.

Each expected number is computed in the test from the rule in docs/kpi-spec.md ("Targets and
status"), never copied from kpikit's output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest

from kpikit.spec import Kpi, Review, Spec, Target
from kpikit.targets import STATUSES, Assessment, assess

NAN = float("nan")
END = dt.date(2026, 12, 31)


def make(direction: str = "up", unit: str = "currency", review: Review | None = None, **target):  # type: ignore[no-untyped-def]
    """A KPI with the given target (none when no target field is given)."""
    return Kpi(
        "k", "K", "s", unit, direction, target=Target(**target) if target else None, review=review
    )


def judge(
    kpi: Kpi, history: dict[str, float], period: str, review: Review | None = None
) -> Assessment:
    spec = Spec(Path("kpis.yml"), 1, {}, {}, {kpi.id: kpi}, review=review or Review())
    return assess(kpi, history, period, spec=spec)


# --- a level target without a baseline: the target itself is the bar ---------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [(1000.0, "achieved"), (1100.0, "achieved"), (960.0, "at_risk"), (950.0, "at_risk"),
     (940.0, "off_track")],
)  # fmt: skip
def test_a_level_target_up(value: float, status: str) -> None:
    # target 1000; at_risk while the shortfall is at most 5% of 1000 = 50
    a = judge(make(value=1000.0), {"2026-11": value}, "2026-11")
    assert a.status == status
    assert a.target == 1000.0 and a.expected == 1000.0
    assert a.progress == pytest.approx(value / 1000.0)
    assert a.periods_left is None and math.isnan(a.required_run_rate)
    assert math.isnan(a.target_low) and math.isnan(a.target_high)


@pytest.mark.parametrize(
    ("value", "status"),
    [(0.5, "achieved"), (0.45, "achieved"), (0.52, "at_risk"), (0.525, "at_risk"),
     (0.53, "off_track")],
)  # fmt: skip
def test_a_level_target_down_lower_is_better(value: float, status: str) -> None:
    # target 0.5 for a cost: at or below is met; at_risk up to 0.5 + 0.05 * 0.5 = 0.525
    a = judge(make("down", value=0.5), {"2026-11": value}, "2026-11")
    assert a.status == status
    assert a.progress == pytest.approx(0.5 / value)  # target / value for down


def test_reasons_are_sentences_with_the_numbers() -> None:
    behind = judge(make(value=1000.0, by=END), {"2026-11": 960.0}, "2026-11")
    assert behind.reason == "960 is 4.0% short of the target of 1,000 by 2026-12-31."
    met = judge(make("down", unit="percent", value=0.05), {"2026-11": 0.04}, "2026-11")
    assert met.reason == "4.0% meets the target of 5.0%."
    above = judge(make("down", value=0.5), {"2026-11": 0.53}, "2026-11")
    assert above.reason == "0.53 is 6.0% above the target of 0.5."  # 0.03 / 0.5
    # a percent KPI's gap is in points: 10% - (-15%) = 25 points
    growth = judge(make(unit="percent", value=0.10), {"2026-11": -0.15}, "2026-11")
    assert growth.reason == "-15.0% is 25.0 points short of the target of 10.0%."


# --- pacing: a path from the baseline period's value to the target by the end date --------------


def test_linear_pacing_up() -> None:
    # from 2026-06 (500) to 1200 by 2026-12-31: six months; 2026-10 is 4 months in
    expected = 500 + (1200 - 500) * 4 / 6  # 966.67
    history = {"2026-06": 500.0, "2026-10": 1000.0}
    a = judge(make(value=1200.0, by=END, start="2026-06"), history, "2026-10")
    assert a.expected == pytest.approx(expected)
    assert a.baseline == 500.0 and a.target == 1200.0
    assert a.status == "on_track"
    assert a.progress == pytest.approx((1000 - 500) / (1200 - 500))
    assert a.periods_left == 2  # 2026-11 and 2026-12 after this one
    assert a.required_run_rate == pytest.approx((1200 - 1000) / 2)
    assert "966.67" not in a.reason and "967 expected by now" in a.reason
    for value, status in ((930.0, "at_risk"), (900.0, "off_track"), (1250.0, "achieved")):
        # at_risk: behind by at most 5% of 966.67 = 48.33 (930 is 36.67 behind, 900 66.67)
        got = judge(make(value=1200.0, by=END, start="2026-06"), {**history, "2026-10": value},
                    "2026-10")  # fmt: skip
        assert got.status == status, value
        assert got.expected == pytest.approx(expected)


def test_the_reason_in_the_docs() -> None:
    # docs/kpi-spec.md: from 700,000 in June, October is 4 of 6 months in: expected 1,100,000
    kpi = make(value=1_300_000.0, by=END, start="2026-06")
    a = judge(kpi, {"2026-06": 700_000.0, "2026-10": 1_050_000.0}, "2026-10")
    assert a.expected == pytest.approx(700_000 + 600_000 * 4 / 6)
    assert a.status == "at_risk"  # 50,000 behind; 5% of 1,100,000 is 55,000
    assert a.reason == (
        "1,050,000 is 4.5% behind the 1,100,000 expected by now on the way to the target of "
        "1,300,000 by 2026-12-31."
    )


def test_linear_pacing_down() -> None:
    # a cost from 2.0 in 2026-06 down to 1.4 by 2026-12-31; 2026-09 is 3 of 6 months in
    expected = 2.0 + (1.4 - 2.0) * 3 / 6  # 1.7; at_risk up to 1.7 * 1.05 = 1.785
    for value, status in ((1.65, "on_track"), (1.7, "on_track"), (1.75, "at_risk"),
                          (1.8, "off_track"), (1.4, "achieved"), (1.3, "achieved")):  # fmt: skip
        a = judge(make("down", value=1.4, by=END, start="2026-06"),
                  {"2026-06": 2.0, "2026-09": value}, "2026-09")  # fmt: skip
        assert a.expected == pytest.approx(expected)
        assert a.status == status, value
        assert a.progress == pytest.approx((value - 2.0) / (1.4 - 2.0))
        assert a.required_run_rate == pytest.approx((1.4 - value) / 3)


def test_seasonal_pacing_follows_last_years_shape() -> None:
    # last year: 100 in 2025-06, 160 in 2025-10, 300 in 2025-12: by October 30% of the way
    last_year = {"2025-06": 100.0, "2025-10": 160.0, "2025-12": 300.0}
    share = (160 - 100) / (300 - 100)
    expected = 500 + (1200 - 500) * share  # 710
    kpi = make(value=1200.0, by=END, start="2026-06", shape="seasonal")
    a = judge(kpi, {**last_year, "2026-06": 500.0, "2026-10": 720.0}, "2026-10")
    assert a.expected == pytest.approx(expected)
    assert a.status == "on_track"
    behind = judge(kpi, {**last_year, "2026-06": 500.0, "2026-10": 690.0}, "2026-10")
    assert behind.status == "at_risk"  # 20 behind, within 5% of 710 = 35.5


def test_seasonal_pacing_falls_back_to_linear_without_last_year() -> None:
    kpi = make(value=1200.0, by=END, start="2026-06", shape="seasonal")
    history = {"2025-06": 100.0, "2025-10": 160.0, "2026-06": 500.0, "2026-10": 1000.0}
    a = judge(kpi, history, "2026-10")  # 2025-12 is unknown
    assert a.expected == pytest.approx(500 + 700 * 4 / 6)
    assert "linear" in a.reason


def test_an_unknown_baseline_is_said_and_the_target_is_the_bar() -> None:
    kpi = make(value=1200.0, by=END, start="2026-06")
    a = judge(kpi, {"2026-06": NAN, "2026-10": 1000.0}, "2026-10")
    assert a.expected == 1200.0 and math.isnan(a.baseline)
    assert a.progress == pytest.approx(1000 / 1200)
    assert a.status == "off_track"  # 200 short of 1200, more than 5% (60)
    assert "baseline 2026-06 has no value" in a.reason


def test_pacing_at_a_coarser_grain_uses_the_baseline_periods_quarter() -> None:
    # from 2026-02 (in 2026-Q1, 100) to 200 by 2026-12-31 (2026-Q4): three quarters
    kpi = make(value=200.0, by=END, start="2026-02")
    a = judge(kpi, {"2026-Q1": 100.0, "2026-Q3": 170.0}, "2026-Q3")
    assert a.expected == pytest.approx(100 + 100 * 2 / 3)
    assert a.status == "on_track" and a.periods_left == 1
    assert a.required_run_rate == pytest.approx(200 - 170)


def test_the_end_period_and_after_it() -> None:
    kpi = make(value=1200.0, by=END, start="2026-06")
    last = judge(kpi, {"2026-06": 500.0, "2026-12": 1150.0}, "2026-12")
    assert last.periods_left == 0 and math.isnan(last.required_run_rate)
    assert last.expected == 1200.0 and last.status == "at_risk"  # 50 <= 60
    after = judge(kpi, {"2027-01": 1300.0}, "2027-01")
    assert after.status == "no_target"
    assert "ended on 2026-12-31" in after.reason


# --- per-period, relative and range targets ------------------------------------------------------


def test_per_period_targets() -> None:
    kpi = make(per_period={"2026-10": 1100.0, "2026-11": 1300.0})
    a = judge(kpi, {"2026-11": 1250.0}, "2026-11")
    assert a.target == 1300.0 and a.periods_left == 0
    assert a.status == "at_risk"  # 50 short, within 5% of 1300 = 65
    assert a.progress == pytest.approx(1250 / 1300)
    assert judge(kpi, {"2026-10": 1100.0}, "2026-10").status == "achieved"
    none = judge(kpi, {"2026-12": 1400.0}, "2026-12")
    assert none.status == "no_target" and math.isnan(none.target)
    assert "2026-10, 2026-11" in none.reason


@pytest.mark.parametrize(
    ("value", "status"), [(1200.0, "achieved"), (1150.0, "at_risk"), (1100.0, "off_track")]
)
def test_a_relative_target_against_a_year_ago(value: float, status: str) -> None:
    # 20% above 2025-11's 1000 = 1200; at_risk within 5% of 1200 = 60
    kpi = make(change=0.2, vs="year_ago")
    a = judge(kpi, {"2025-11": 1000.0, "2026-10": 5000.0, "2026-11": value}, "2026-11")
    assert a.target == pytest.approx(1000 * 1.2)
    assert a.status == status


def test_a_relative_target_down_against_the_previous_period() -> None:
    # 10% below October's 2.0 = 1.8; lower is better; at_risk up to 1.8 * 1.05 = 1.89
    kpi = make("down", change=-0.1, vs="previous")
    history = {"2025-11": 9.0, "2026-10": 2.0}
    for value, status in ((1.7, "achieved"), (1.85, "at_risk"), (1.95, "off_track")):
        a = judge(kpi, {**history, "2026-11": value}, "2026-11")
        assert a.target == pytest.approx(2.0 * 0.9)
        assert a.status == status, value


def test_a_relative_target_without_its_reference_is_no_target() -> None:
    a = judge(make(change=0.2, vs="year_ago"), {"2026-11": 1000.0}, "2026-11")
    assert a.status == "no_target"
    assert "2025-11 has no value" in a.reason


@pytest.mark.parametrize(
    ("value", "status"),
    [(4.5, "achieved"), (4.6, "achieved"), (4.8, "achieved"), (4.81, "at_risk"),
     (4.815, "at_risk"), (4.85, "off_track"), (4.49, "at_risk"), (4.4, "off_track")],
)  # fmt: skip
def test_a_range_target(value: float, status: str) -> None:
    # inside [4.5, 4.8] is achieved; outside by at most 5% of the width 0.3 = 0.015 is at_risk
    a = judge(make("range", unit="score", min=4.5, max=4.8), {"2026-11": value}, "2026-11")
    assert a.status == status
    assert (a.target_low, a.target_high) == (4.5, 4.8)
    assert math.isnan(a.target) and math.isnan(a.expected)


# --- what is not judged ---------------------------------------------------------------------------


def test_no_target_and_no_value() -> None:
    assert judge(make(), {"2026-11": 5.0}, "2026-11").status == "no_target"
    a = judge(make(value=1000.0), {"2026-11": NAN}, "2026-11")
    assert a.status == "insufficient_data" and a.target == 1000.0
    assert judge(make(value=1000.0), {}, "2026-11").status == "insufficient_data"
    band = judge(make("range", min=1.0, max=2.0), {}, "2026-11")
    assert band.status == "insufficient_data" and band.target_low == 1.0


def test_a_zero_denominator_in_progress_is_empty_not_infinite() -> None:
    a = judge(make("down", value=0.5), {"2026-11": 0.0}, "2026-11")
    assert a.status == "achieved" and math.isnan(a.progress)
    b = judge(make(value=0.0), {"2026-11": 0.0}, "2026-11")
    assert b.status == "achieved" and math.isnan(b.progress)


def test_the_tolerance_comes_from_the_spec_and_the_kpis_review() -> None:
    # 940 is 60 short of 1000: off_track at 5%, at_risk at 10%
    kpi = make(value=1000.0)
    assert judge(kpi, {"2026-11": 940.0}, "2026-11").status == "off_track"
    loose = Review(tolerance=0.1, given=frozenset({"tolerance"}))
    assert judge(kpi, {"2026-11": 940.0}, "2026-11", review=loose).status == "at_risk"
    own = make(value=1000.0, review=Review(tolerance=0.1, given=frozenset({"tolerance"})))
    assert judge(own, {"2026-11": 940.0}, "2026-11").status == "at_risk"
    strict = Review(tolerance=0.0, given=frozenset({"tolerance"}))
    assert judge(own, {"2026-11": 940.0}, "2026-11", review=strict).status == "at_risk"


def test_assessments_are_frozen_and_statuses_are_known() -> None:
    a = judge(make(value=1.0), {"2026-11": 1.0}, "2026-11")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = "off_track"  # type: ignore[misc]
    assert STATUSES == (
        "achieved", "on_track", "at_risk", "off_track", "no_target", "insufficient_data"
    )  # fmt: skip
    assert a.status in STATUSES and a.period == "2026-11" and a.value == 1.0
