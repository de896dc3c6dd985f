"""kpikit.forecast: the forecast's distribution and the chance of reaching a target.

The calibration tests simulate series whose future is known (seeded numpy: random walks with
drift, straight lines with noise, seasonal series with noise), ask for the probability of
reaching a target, and compare it with what the simulated future actually did. The t CDF is
checked against printed t tables; the hand-checked cases work out the answer from the line that
generated the series.
"""

from __future__ import annotations

import doctest
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpikit import forecast as forecast_module
from kpikit.errors import ParameterError
from kpikit.forecast import forecast, probability_to_hit, t_cdf
from kpikit.stats import MIN_HISTORY

# ---------------------------------------------------------------------------------------------
# Student's t CDF


# Two-sided critical values from a printed t table (e.g. NIST/SEMATECH e-Handbook of Statistical
# Methods, section 1.3.6.7.2, "Critical values of the Student's t distribution"), three decimals.
T_TABLE = [
    # (df, upper-tail probability, critical value)
    (1, 0.025, 12.706),
    (2, 0.10, 1.886),
    (3, 0.005, 5.841),
    (8, 0.025, 2.306),
    (10, 0.05, 1.812),
    (30, 0.025, 2.042),
    (100, 0.05, 1.660),
]


@pytest.mark.parametrize(("df", "tail", "critical"), T_TABLE)
def test_t_cdf_matches_the_printed_t_table(df: int, tail: float, critical: float) -> None:
    # the table's value is rounded to three decimals: allow the CDF's change over ±0.0005
    slack = 0.0006 * 0.4  # the t density is below 0.4 everywhere
    assert t_cdf(critical, df) == pytest.approx(1 - tail, abs=slack)
    assert t_cdf(-critical, df) == pytest.approx(tail, abs=slack)


def test_t_cdf_of_one_df_is_the_cauchy_cdf_and_at_zero_is_a_half() -> None:
    for t in (-3.0, -0.5, 0.7, 10.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)
    assert [t_cdf(0.0, df) for df in (1, 2, 7, 40)] == [0.5, 0.5, 0.5, 0.5]
    assert t_cdf(math.inf, 5) == 1.0
    assert math.isnan(t_cdf(math.nan, 5))


def test_t_cdf_rejects_a_fractional_df() -> None:
    with pytest.raises(ParameterError, match=r"df must be a whole number >= 1: .*found 2\.5"):
        t_cdf(1.0, 2.5)


# ---------------------------------------------------------------------------------------------
# hand-checked cases

RNG_LINE = np.random.default_rng(20261130)
# y = 200 + 4 t with noise of sd 0.5: the line's extension is known exactly.
LINE = 200 + 4 * np.arange(24) + RNG_LINE.normal(0, 0.5, 24)


def on_line(horizon: int) -> float:
    return 200 + 4 * (23 + horizon)


def test_a_target_on_the_lines_extension_is_a_coin_toss() -> None:
    for horizon in (1, 3, 6):
        f = forecast(LINE, horizon=horizon)
        # the point forecast is within a couple of noise sds of the line (sd 0.5)
        assert abs(f.mean - on_line(horizon)) < 1.5
        p = probability_to_hit(LINE, target=on_line(horizon), horizon=horizon)
        assert 0.2 < p < 0.8


def test_a_target_far_off_the_line_is_certain_either_way() -> None:
    # 10 points above the line at horizon 3 is 20 noise sds: out of reach; 10 below: sure.
    assert probability_to_hit(LINE, target=on_line(3) + 10, horizon=3) < 0.01
    assert probability_to_hit(LINE, target=on_line(3) - 10, horizon=3) > 0.99
    assert probability_to_hit(LINE, target=on_line(3) + 10, horizon=3, direction="down") > 0.99
    assert probability_to_hit(LINE, target=on_line(3) - 10, horizon=3, direction="down") < 0.01


def test_down_on_the_line_is_a_coin_toss_and_complements_up() -> None:
    target = on_line(2)
    down = probability_to_hit(LINE, target=target, horizon=2, direction="down")
    up = probability_to_hit(LINE, target=target, horizon=2)
    assert 0.2 < down < 0.8
    assert up + down == pytest.approx(1.0, abs=1e-9)  # the distribution is continuous


def test_range_directions_on_the_line() -> None:
    x = on_line(4)
    wide = probability_to_hit(
        LINE, target=None, horizon=4, direction="range", low=x - 10, high=x + 10
    )
    assert wide > 0.98  # ±20 noise sds around the line
    far = probability_to_hit(
        LINE, target=None, horizon=4, direction="range", low=x + 10, high=x + 20
    )
    assert far < 0.01
    # a band with the line at its lower end holds the value about half of the time
    half = probability_to_hit(LINE, target=None, horizon=4, direction="range", low=x, high=x + 10)
    assert 0.2 < half < 0.8
    # an open side: at most x + 10 is nearly sure, at least x + 10 nearly never
    assert probability_to_hit(LINE, target=None, horizon=4, direction="range", high=x + 10) > 0.99
    assert probability_to_hit(LINE, target=None, horizon=4, direction="range", low=x + 10) < 0.01


@pytest.mark.parametrize(
    ("direction", "target", "low", "high", "expected"),
    [
        ("up", 150.0, None, None, 1.0),  # current 150: reached
        ("up", 150.5, None, None, 0.0),
        ("up", 149.0, None, None, 1.0),
        ("down", 150.0, None, None, 1.0),
        ("down", 149.0, None, None, 0.0),
        ("range", None, 140.0, 150.0, 1.0),
        ("range", None, 150.0, 160.0, 1.0),
        ("range", None, 151.0, 160.0, 0.0),
        ("range", None, 100.0, 149.0, 0.0),
    ],
)
def test_horizon_zero_means_the_current_value_is_final(
    direction: str, target: float | None, low: float | None, high: float | None, expected: float
) -> None:
    history = [120.0, 125.0, 131.0, 135.0, 139.0, 146.0, 150.0]
    p = probability_to_hit(
        history, target=target, horizon=0, direction=direction, low=low, high=high
    )
    assert p == expected


def test_uncertainty_grows_with_the_horizon_for_a_random_walk() -> None:
    walk = 100 + np.cumsum(np.random.default_rng(7).normal(0, 3, 30))
    widths = []
    for horizon in (1, 3, 6, 12):
        low, high = forecast(walk, horizon=horizon).interval(0.8)
        widths.append(high - low)
    assert widths == sorted(widths)
    # a random walk's spread grows about like √h: 12 periods ahead at least twice 1 ahead
    assert widths[-1] > 2 * widths[0]


def test_the_quantiles_invert_the_cdf() -> None:
    f = forecast(LINE, horizon=5)
    for q in (0.05, 0.5, 0.9):
        assert f.cdf(f.quantile(q)) == pytest.approx(q, abs=1e-7)
    low, high = f.interval(0.9)
    assert f.cdf(high) - f.cdf(low) == pytest.approx(0.9, abs=1e-7)


def test_seasonality_is_modelled_with_two_seasons_of_history() -> None:
    # 36 months of 1000 + 5 t + 200 sin(2πt/12) with noise of sd 10; forecast 6 months ahead
    t = np.arange(42)
    truth = 1000 + 5 * t + 200 * np.sin(2 * np.pi * t / 12)
    y = truth[:36] + np.random.default_rng(303).normal(0, 10, 36)
    seasonal = forecast(y, horizon=6, season=12)
    plain = forecast(y, horizon=6)
    assert seasonal.season == 12 and plain.season is None
    assert abs(seasonal.mean - truth[41]) < 30  # three noise sds
    # a trend alone cannot tell the season from noise: its forecast is far less sure
    assert plain.scale > 5 * seasonal.scale
    # a target 100 below the seasonal truth is nearly sure with seasonality
    assert probability_to_hit(y, target=truth[41] - 100, horizon=6, season=12) > 0.95


def test_too_little_history_for_a_season_falls_back_to_the_trend() -> None:
    assert forecast(LINE[:20], horizon=1, season=12).season is None


# ---------------------------------------------------------------------------------------------
# missing values


def test_too_short_a_history_or_a_missing_target_gives_nan() -> None:
    short = [1.0, 2.0, math.nan, 4.0, 5.0, 6.0]  # five known values, MIN_HISTORY is 6
    assert MIN_HISTORY == 6
    assert math.isnan(probability_to_hit(short, target=3, horizon=1))
    assert math.isnan(forecast(short, horizon=1).mean)
    assert math.isnan(probability_to_hit(LINE, target=math.nan, horizon=1))
    assert math.isnan(probability_to_hit(LINE, target=None, horizon=1))
    nan_band = probability_to_hit(LINE, target=None, horizon=1, direction="range", low=math.nan)
    assert math.isnan(nan_band)


def test_missing_periods_are_skipped_without_losing_step() -> None:
    holes = LINE.copy()
    holes[[3, 10, 11, 17]] = np.nan
    f = forecast(holes, horizon=2)
    assert abs(f.mean - on_line(2)) < 1.5  # still on the line's extension, not shifted
    # the current period is missing: horizon 0 is forecast from the last known value
    current_missing = np.append(LINE[:-1], np.nan)
    p = probability_to_hit(current_missing, target=on_line(0), horizon=0)
    assert 0.05 < p < 0.95


def test_the_history_is_not_changed() -> None:
    values = [1.0, 3.0, math.nan, 4.0, 6.0, 7.0, 9.0, 10.0]
    series = pd.Series(values, index=list("abcdefgh"))
    kept_list, kept_series = list(values), series.copy()
    probability_to_hit(values, target=12, horizon=2)
    forecast(series, horizon=3)
    assert values[:2] == kept_list[:2] and values[3:] == kept_list[3:]
    pd.testing.assert_series_equal(series, kept_series)


# ---------------------------------------------------------------------------------------------
# calibration on simulated series


def simulate(
    rng: np.random.Generator, kind: str
) -> tuple[np.ndarray, float, float, int, int | None]:
    """One series: (history, future value, the future's true median, horizon, season)."""
    horizon = int(rng.integers(1, 13))
    if kind == "walk":  # a random walk with drift, steps of sd 2
        n = int(rng.integers(12, 37))
        drift = rng.uniform(-1, 1)
        steps = drift + rng.normal(0, 2, n + horizon)
        y = 100 + np.cumsum(steps)
        return y[:n], float(y[-1]), float(y[n - 1] + drift * horizon), horizon, None
    t = np.arange(48)
    if kind == "line":  # a straight line with noise of sd 3
        n = int(rng.integers(12, 37))
        mean = 100 + rng.uniform(-2, 2) * t
        season = None
    else:  # a trend and a yearly cycle of amplitude 5 to 15, noise of sd 3
        n = int(rng.integers(24, 37))
        cycle = rng.uniform(5, 15) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        mean = 100 + rng.uniform(-1, 1) * t + cycle
        season = 12
    y = mean + rng.normal(0, 3, 48)
    at = n - 1 + horizon
    return y[:n], float(y[at]), float(mean[at]), horizon, season


KINDS = ("walk", "line", "seasonal")


@pytest.mark.parametrize("kind", KINDS)
def test_a_target_at_the_true_median_gives_about_one_half(kind: str) -> None:
    rng = np.random.default_rng(101)
    chances = []
    for _ in range(300):
        history, _, median, horizon, season = simulate(rng, kind)
        chances.append(probability_to_hit(history, target=median, horizon=horizon, season=season))
    assert 0.45 <= float(np.mean(chances)) <= 0.55


def test_a_target_at_the_forecasts_median_is_reached_about_half_of_the_time() -> None:
    rng = np.random.default_rng(202)
    hits = []
    for i in range(900):
        history, future, _, horizon, season = simulate(rng, KINDS[i % 3])
        median = forecast(history, horizon=horizon, season=season).quantile(0.5)
        hits.append(future >= median)
    assert 0.45 <= float(np.mean(hits)) <= 0.55


def test_probabilities_are_reliable() -> None:
    """Over 2,000 series with random targets, each tenth of the predicted probabilities comes
    true about as often as it says: within three binomial standard errors of its mean
    prediction, and within 0.03 on average over the bins (weighted by their sizes)."""
    rng = np.random.default_rng(303)
    predicted, happened = [], []
    for i in range(2000):
        history, future, median, horizon, season = simulate(rng, KINDS[i % 3])
        # targets spread around the truth, by about the forecast's own uncertainty
        spread = max(forecast(history, horizon=horizon, season=season).scale, 1.0)
        target = median + rng.normal(0, 1.5) * spread
        predicted.append(probability_to_hit(history, target=target, horizon=horizon, season=season))
        happened.append(future >= target)
    table = pd.DataFrame({"p": predicted, "hit": happened})
    table["bin"] = np.minimum((table["p"] * 10).astype(int), 9)
    bins = table.groupby("bin").agg(n=("p", "size"), mean_p=("p", "mean"), freq=("hit", "mean"))
    assert bins["n"].min() >= 80, bins
    gap = (bins["freq"] - bins["mean_p"]).abs()
    standard_error = np.sqrt(bins["mean_p"] * (1 - bins["mean_p"]) / bins["n"])
    assert (gap <= 3 * standard_error).all(), bins
    assert float((gap * bins["n"]).sum() / bins["n"].sum()) <= 0.03, bins


# ---------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": -1}, r"horizon must be a whole number >= 0: expected an int >= 0, found -1"),
        ({"horizon": 1.5}, r"horizon must be a whole number >= 0: .*found 1\.5"),
        ({"horizon": True}, r"horizon must be a whole number >= 0: .*found True"),
        ({"horizon": 1, "season": 1}, r"season must be a whole number >= 2: .*found 1\. Hint: 12"),
        ({"horizon": 1, "direction": "upp"}, r"unknown direction: .*found 'upp'\. Hint: did you mean 'up'\?"),
        ({"horizon": 1, "direction": "range", "low": 5, "high": 2}, r"low is above high: expected low <= high, found low=5\.0, high=2\.0"),
        ({"horizon": 1, "direction": "range"}, r"a range needs low or high: .*found neither"),
        ({"horizon": 1, "target": "1000"}, r"target must be a number: .*found '1000'"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"target": 100.0, **kwargs}
    with pytest.raises(ParameterError, match=message):
        probability_to_hit(LINE, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (["12", "x"], r"history must be numbers: .*found \['12', 'x'\]"),
        ("1,2,3", r"history must be numbers: .*found '1,2,3'"),
        ([[1.0, 2.0], [3.0, 4.0]], r"history must be one series of values: .*shape \(2, 2\)"),
        ([1.0, math.inf, 3.0], r"history must be finite: .*found infinity"),
    ],
)
def test_bad_history_is_named(history: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        forecast(history, horizon=1)


def test_the_examples_in_the_docstrings_run() -> None:
    result = doctest.testmod(forecast_module)
    assert result.attempted > 5 and result.failed == 0


def test_the_example_in_docs_forecast_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(__file__).parents[1] / "docs" / "forecast.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    output = re.findall(r"```text\n(.*?)```", text, re.S)[0]
    exec(compile(example, "docs/forecast.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out == output


def test_a_seasonal_forecast_past_a_missing_last_value_lands_on_the_right_season() -> None:
    # A noise-free yearly wave, 36 months, with the last month missing: the next months' values
    # are the wave's own, worked out here.
    wave = [10 + 3 * math.sin(2 * math.pi * t / 12) for t in range(36)]
    wave[35] = float("nan")
    for horizon in (1, 4):
        expected = 10 + 3 * math.sin(2 * math.pi * (35 + horizon) / 12)
        assert forecast(wave, horizon=horizon, season=12).mean == pytest.approx(expected, abs=1e-6)
