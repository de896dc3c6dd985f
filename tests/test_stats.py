"""kpikit.stats: Wilson intervals, the pooled two-proportion z-test and XmR control limits.

Every number is checked against a published value (the source is in a comment beside it) or
against a computation written out here by a different route (a chi-square table, a hand-worked
control chart), never against kpikit itself.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpikit.errors import ParameterError
from kpikit.stats import (
    MIN_HISTORY,
    XMR_LIMIT_FACTOR,
    control_limits,
    outside_limits,
    significant,
    two_proportion_z_test,
    wilson_interval,
)

# ---------------------------------------------------------------------------------------------
# Wilson score interval

# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (score interval without
# continuity correction), 95% intervals printed to four decimals. (The paper itself could not be
# read from here; the same four rows, credited to Table I, appear in two independent public test
# suites of Wilson-interval code, and the formula reproduces them to the last digit.)
NEWCOMBE_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("successes", "trials", "low", "high"), NEWCOMBE_TABLE_I)
def test_wilson_interval_matches_newcombe_1998_table_i(
    successes: int, trials: int, low: float, high: float
) -> None:
    got = wilson_interval(successes, trials)
    assert (round(got.low, 4), round(got.high, 4)) == (low, high)
    assert isinstance(got.low, float) and isinstance(got.high, float)


def test_wilson_interval_is_vectorised_over_arrays() -> None:
    x = np.array([row[0] for row in NEWCOMBE_TABLE_I])
    n = np.array([row[1] for row in NEWCOMBE_TABLE_I])
    low, high = wilson_interval(x, n)
    assert isinstance(low, np.ndarray) and low.dtype == np.float64 and low.shape == (4,)
    assert np.round(low, 4).tolist() == [row[2] for row in NEWCOMBE_TABLE_I]
    assert np.round(high, 4).tolist() == [row[3] for row in NEWCOMBE_TABLE_I]


def test_wilson_interval_at_another_level_follows_the_textbook_formula() -> None:
    # 90% for 81/263, written out from Wilson (1927) in the form
    # (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.6448536...
    x, n = 81, 263
    p = x / n
    z = 1.6448536269514722  # the 95th percentile of the standard normal
    denominator = 1 + z**2 / n
    centre = p + z**2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = wilson_interval(x, n, level=0.90)
    assert low == pytest.approx((centre - half) / denominator, rel=1e-12)
    assert high == pytest.approx((centre + half) / denominator, rel=1e-12)


def test_wilson_interval_keeps_a_series_index_and_leaves_the_input_alone() -> None:
    successes = pd.Series([81, 15, 0], index=["email", "search", "social"], name="conversions")
    trials = pd.Series([263, 148, 20], index=["email", "search", "social"], name="clicks")
    before = successes.copy()
    low, high = wilson_interval(successes, trials)
    assert list(low.index) == ["email", "search", "social"]
    assert (low.name, high.name) == ("ci_low", "ci_high")
    assert low.round(4).tolist() == [0.2553, 0.0624, 0.0]
    assert high.round(4).tolist() == [0.3662, 0.1605, 0.1611]
    pd.testing.assert_series_equal(successes, before)


def test_wilson_interval_broadcasts_a_scalar_against_a_series() -> None:
    low, high = wilson_interval(pd.Series([0, 81], index=[10, 20]), 263)
    assert list(low.index) == [10, 20]
    assert low.iloc[0] == 0.0
    assert round(low.iloc[1], 4) == 0.2553  # 81/263: Newcombe's Table I again


def test_wilson_interval_of_zero_trials_is_nan_never_zero_or_infinity() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    low, high = wilson_interval(np.array([0, 5]), np.array([0, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert 0 < low[1] < 0.5 < high[1] < 1


@pytest.mark.parametrize("missing", [float("nan"), None, pd.NA])
def test_wilson_interval_of_a_missing_count_is_nan(missing: object) -> None:
    assert all(math.isnan(v) for v in wilson_interval(missing, 10))
    assert all(math.isnan(v) for v in wilson_interval(3, missing))


def test_wilson_interval_reads_nullable_integer_columns() -> None:
    successes = pd.Series([81, pd.NA], dtype="Int64")
    trials = pd.Series([263, 100], dtype="Int64")
    low, high = wilson_interval(successes, trials)
    assert round(low[0], 4) == 0.2553 and math.isnan(low[1]) and math.isnan(high[1])


def test_wilson_interval_at_zero_and_all_successes_reaches_exactly_zero_and_one() -> None:
    # Newcombe 1998 Table I: 0/20 -> 0 to 0.1611. By the mirror image, 20/20 -> 0.8389 to 1.
    low, high = wilson_interval(np.array([0, 20]), 20)
    assert low[0] == 0.0 and round(high[0], 4) == 0.1611
    assert high[1] == 1.0 and round(low[1], 4) == 0.8389


@given(
    trials=st.integers(min_value=1, max_value=10**9),
    share=st.floats(min_value=0, max_value=1),
    level=st.floats(min_value=0.5, max_value=0.999),
)
@settings(max_examples=300, deadline=None)
def test_wilson_interval_lies_in_0_1_and_contains_the_observed_rate(
    trials: int, share: float, level: float
) -> None:
    successes = round(share * trials)
    low, high = wilson_interval(successes, trials, level=level)
    rate = successes / trials
    assert 0.0 <= low <= rate <= high <= 1.0


@pytest.mark.parametrize(
    ("successes", "trials", "message"),
    [
        (
            12,
            10,
            r"successes out of range: expected 0 <= successes <= trials, found successes=12 "
            r"with trials=10\. Hint: pass counts, not rates: successes is how many of the "
            r"trials trials succeeded",
        ),
        (-1, 10, r"successes out of range: .* found successes=-1 with trials=10"),
        (
            [1, 2, 30],
            [10, 20, 20],
            r"found successes=30 with trials=20 at position 2\. Hint: pass counts, not rates",
        ),
        (0.5, -3, r"trials must not be negative: expected trials >= 0, found trials=-3\. Hint:"),
        (
            "many",
            10,
            r"successes must be numbers: expected a number, an array or a Series of numbers, "
            r"found 'many'\. Hint: convert text columns with pd.to_numeric\(\) first",
        ),
        (float("inf"), 10, r"successes must be finite: .* found infinity\. Hint:"),
    ],
)
def test_wilson_interval_rejects_impossible_counts(
    successes: object, trials: object, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        wilson_interval(successes, trials)


@pytest.mark.parametrize("level", [95, 0, 1, 1.5, -0.1, True, "0.95", None])
def test_wilson_interval_rejects_a_level_outside_0_1(level: object) -> None:
    with pytest.raises(
        ParameterError,
        match=r"level must be a probability: expected a number strictly between 0 and 1, "
        r"found .*\. Hint: 0\.95 gives a 95% interval",
    ):
        wilson_interval(1, 10, level=level)  # type: ignore[arg-type]


def test_series_with_different_indexes_are_refused_not_silently_misaligned() -> None:
    with pytest.raises(
        ParameterError,
        match=r"trials and successes have different indexes: expected Series with the same "
        r"index, row for row, .* Hint: align them first",
    ):
        wilson_interval(pd.Series([1, 2], index=["a", "b"]), pd.Series([5, 5], index=["b", "a"]))


def test_arrays_of_different_lengths_are_refused() -> None:
    with pytest.raises(
        ParameterError,
        match=r"inputs of different lengths: expected scalars, or arrays of one length, "
        r"found successes \(3,\), trials \(2,\)",
    ):
        wilson_interval([1, 2, 3], [10, 10])


# ---------------------------------------------------------------------------------------------
# Two-proportion z-test


def test_z_test_matches_statsmodels_documented_example() -> None:
    # statsmodels, statsmodels/stats/proportion.py, proportions_ztest docstring example
    # (count = [5, 12], nobs = [83, 99], printed p-value 0.159) and its test suite,
    # statsmodels/stats/tests/test_proportion.py::TestProportion::test_default_values (GH 2969):
    # stat -1.4078304151258787, p-value 0.15918129181156992.
    test = two_proportion_z_test(5, 83, 12, 99)
    assert test.z == pytest.approx(-1.4078304151258787, abs=1e-12)
    assert test.p_value == pytest.approx(0.15918129181156992, abs=1e-12)
    assert round(test.p_value, 3) == 0.159


def test_z_test_matches_statsmodels_pairwise_values_vectorised() -> None:
    # statsmodels/stats/tests/test_proportion.py, TestProportion: successes [73, 90, 114, 75]
    # out of [86, 93, 136, 82]; res_ppt_pvals_raw are the p-values of every pair from
    # proportions_chisquare_allpairs (chi-square without continuity correction, which equals
    # the pooled two-sided z-test), pairs in the order (0,1), (0,2), (0,3), (1,2), (1,3), (2,3).
    published = [
        0.00533824886503131,
        0.8327574849753566,
        0.1880573726722516,
        0.002026764254350234,
        0.1309487516334318,
        0.1076118730631731,
    ]
    successes = np.array([73, 90, 114, 75])
    trials = np.array([86, 93, 136, 82])
    first = np.array([0, 0, 0, 1, 1, 2])
    second = np.array([1, 2, 3, 2, 3, 3])
    test = two_proportion_z_test(successes[first], trials[first], successes[second], trials[second])
    assert isinstance(test.p_value, np.ndarray) and test.p_value.shape == (6,)
    np.testing.assert_allclose(test.p_value, published, rtol=1e-9)


def test_z_test_equals_the_chi_square_of_the_two_by_two_table_worked_by_hand() -> None:
    # No textbook page could be read from here, so the expected value is worked out in full by
    # another route: Pearson's chi-square of the 2x2 table (no continuity correction) equals z²,
    # and for one degree of freedom P(chi² > c) = erfc(sqrt(c / 2)).
    # 27 of 100 improved this month, 19 of 100 last month.
    table = [[27, 100 - 27], [19, 100 - 19]]
    rows = [sum(r) for r in table]  # 100, 100
    columns = [table[0][j] + table[1][j] for j in range(2)]  # 46, 154
    total = sum(rows)  # 200
    chi_square = 0.0
    for i in range(2):
        for j in range(2):
            expected = rows[i] * columns[j] / total  # 23, 77, 23, 77
            chi_square += (table[i][j] - expected) ** 2 / expected
    # (4²/23 + 4²/77) · 2 = 1.806888...
    assert chi_square == pytest.approx(1.8068887634105, rel=1e-12)
    test = two_proportion_z_test(27, 100, 19, 100)
    assert test.z == pytest.approx(math.sqrt(chi_square), rel=1e-12)  # first rate larger: z > 0
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(chi_square / 2)), rel=1e-12)
    assert round(test.p_value, 3) == 0.179


def test_z_test_is_symmetric_in_sign() -> None:
    # Swapping the samples flips z and keeps p: checked against the published value above.
    test = two_proportion_z_test(12, 99, 5, 83)
    assert test.z == pytest.approx(1.4078304151258787, abs=1e-12)
    assert test.p_value == pytest.approx(0.15918129181156992, abs=1e-12)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "why"),
    [
        (0, 0, 5, 100, "first denominator is 0"),
        (5, 100, 0, 0, "second denominator is 0"),
        (0, 50, 0, 80, "pooled proportion 0: no successes in either sample"),
        (50, 50, 80, 80, "pooled proportion 1: no failures in either sample"),
        (float("nan"), 50, 3, 80, "a missing count"),
        (3, None, 3, 80, "a missing denominator"),
    ],
)
def test_z_test_is_nan_where_it_is_undefined(
    x1: object, n1: object, x2: object, n2: object, why: str
) -> None:
    test = two_proportion_z_test(x1, n1, x2, n2)
    assert math.isnan(test.z) and math.isnan(test.p_value), why


def test_z_test_keeps_a_series_index() -> None:
    index = pd.Index(["2026-10", "2026-11", "2026-12"], name="period")
    test = two_proportion_z_test(
        pd.Series([5, 27, 0], index=index),
        pd.Series([83, 100, 0], index=index),
        pd.Series([12, 19, 4], index=index),
        pd.Series([99, 100, 40], index=index),
    )
    assert (test.z.name, test.p_value.name) == ("z", "p_value")
    assert test.p_value.index.equals(index)
    assert test.p_value.iloc[0] == pytest.approx(0.15918129181156992, abs=1e-12)  # statsmodels
    assert math.isnan(test.p_value.iloc[2])  # zero trials this period


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (9, 8, 1, 10),
            r"x1 out of range: expected 0 <= x1 <= n1, found x1=9 with n1=8\. Hint: pass "
            r"counts, not rates: x1 is how many of the n1 trials succeeded",
        ),
        ((1, 8, 0.3, -10), r"n2 must not be negative: expected n2 >= 0, found n2=-10"),
        ((1, 8, 11, 10), r"x2 out of range: expected 0 <= x2 <= n2, found x2=11 with n2=10"),
    ],
)
def test_z_test_names_the_wrong_argument(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        two_proportion_z_test(*args)


def test_significant_flags_p_values_below_alpha() -> None:
    assert significant(0.049) is True
    assert significant(0.05) is False  # p < alpha, not <=
    assert significant(0.03, alpha=0.01) is False
    assert significant(float("nan")) is False  # an undefined test is no evidence of change
    flags = significant(pd.Series([0.001, 0.2, np.nan], index=["a", "b", "c"]), alpha=0.1)
    assert flags.tolist() == [True, False, False]
    assert flags.dtype == bool and list(flags.index) == ["a", "b", "c"]
    assert significant(np.array([0.01, 0.5])).tolist() == [True, False]


@pytest.mark.parametrize("alpha", [5, 0, 1, None])
def test_significant_rejects_an_alpha_outside_0_1(alpha: object) -> None:
    with pytest.raises(
        ParameterError,
        match=r"alpha must be a probability: expected a number strictly between 0 and 1, "
        r"found .*\. Hint: 0\.05 tests at the 5% level",
    ):
        significant(0.01, alpha=alpha)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# XmR control limits


def test_wheelers_constant_is_three_over_d2() -> None:
    # d2 = 1.128 for subgroups (moving ranges) of two: 3 / 1.128 = 2.6596, published as 2.66.
    assert XMR_LIMIT_FACTOR == round(3 / 1.128, 2) == 2.66
    assert MIN_HISTORY == 6


def test_control_limits_of_a_hand_worked_series() -> None:
    # Monthly sign-ups 20, 24, 18, 26, 22, 22.
    #   centre = 132 / 6 = 22
    #   moving ranges |24-20|, |18-24|, |26-18|, |22-26|, |22-22| = 4, 6, 8, 4, 0; mean 22/5 = 4.4
    #   limits = 22 ± 2.66 × 4.4 = 22 ± 11.704 -> 10.296 and 33.704
    centre, lower, upper = control_limits([20, 24, 18, 26, 22, 22])
    assert centre == pytest.approx(22.0)
    assert lower == pytest.approx(10.296)
    assert upper == pytest.approx(33.704)


def test_outside_limits_flags_values_beyond_the_hand_worked_limits() -> None:
    history = pd.Series([20, 24, 18, 26, 22, 22])  # limits 10.296 and 33.704, worked above
    flags = outside_limits(np.array([34, 33, 11, 10, np.nan]), history)
    assert flags.tolist() == [True, False, False, True, False]
    assert outside_limits(34, history) is True
    months = pd.Series([34, 22], index=pd.Index(["2026-11", "2026-12"], name="period"))
    flagged = outside_limits(months, history)
    assert flagged.index.equals(months.index) and flagged.tolist() == [True, False]


def test_the_lower_limit_of_a_count_is_floored_at_zero() -> None:
    # 1, 5, 0, 6, 2, 4: centre 18/6 = 3; moving ranges 4, 5, 6, 4, 2, mean 21/5 = 4.2;
    # 3 ± 2.66 × 4.2 = 3 ± 11.172 -> -8.172 (floored at 0) and 14.172.
    history = [1, 5, 0, 6, 2, 4]
    centre, lower, upper = control_limits(history)
    assert (centre, lower) == (pytest.approx(3.0), 0.0)
    assert upper == pytest.approx(14.172)
    assert control_limits(history, floor=None).lower == pytest.approx(-8.172)
    assert outside_limits(0, history) is False  # a zero count is never below a floor of 0


def test_control_limits_skip_missing_months_and_the_ranges_beside_them() -> None:
    # 20, 24, (missing), 18, 26, 22, 22: six known points, centre 132/6 = 22;
    # moving ranges 4, -, -, 8, 4, 0 -> mean 16/4 = 4; limits 22 ± 2.66 × 4 = 22 ± 10.64.
    centre, lower, upper = control_limits([20, 24, np.nan, 18, 26, 22, 22])
    assert centre == pytest.approx(22.0)
    assert (lower, upper) == (pytest.approx(11.36), pytest.approx(32.64))


def test_too_little_history_gives_nan_limits_and_no_flag() -> None:
    five = [20, 24, 18, 26, 22]
    assert len(five) == MIN_HISTORY - 1
    assert all(math.isnan(v) for v in control_limits(five))
    assert outside_limits(1000, five) is False
    # Six values but no two in a row: no moving range to measure the spread.
    gappy = [20, np.nan, 24, np.nan, 18, np.nan, 26, np.nan, 22, np.nan, 22]
    assert all(math.isnan(v) for v in control_limits(gappy))
    assert all(math.isnan(v) for v in control_limits([]))


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (
            [[1, 2], [3, 4]],
            r"history must be one series of values: expected a list, a 1-D array or a Series, "
            r"oldest period first, found an array of shape \(2, 2\)\. Hint: pass one KPI's",
        ),
        (["a", "b"], r"history must be numbers: .* Hint: convert text columns"),
    ],
)
def test_control_limits_reject_history_that_is_not_one_series(
    history: object, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        control_limits(history)


# ---------------------------------------------------------------------------------------------
# Layering


def test_import_kpikit_does_not_import_stats_or_numpy() -> None:
    code = "import sys, kpikit; print('kpikit.stats' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
