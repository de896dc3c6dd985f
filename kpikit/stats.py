"""Statistics for noise-aware KPI review: rate intervals, change tests and control limits.

Three questions an analyst asks at every check-in, each answered by one small, vectorised
function that takes scalars, numpy arrays or pandas Series (a Series keeps its index):

- *How sure is this rate?* :func:`wilson_interval`, the Wilson score interval of a proportion.
- *Is the change against last period more than noise?* :func:`two_proportion_z_test` (pooled,
  two-sided) and :func:`significant`.
- *Is this month's count unusual for this KPI?* :func:`control_limits` and
  :func:`outside_limits`, an individuals / moving-range (XmR) chart from the KPI's own history.

The normal quantile and CDF come from the standard library's :class:`statistics.NormalDist`
(no scipy or statsmodels, and no hand-written approximations). ``NormalDist`` works on one number
at a time, so p-values are computed element by element: about a microsecond each, which is
nothing for a scorecard. The methods, their formulas and why they were chosen are in
``docs/statistics.md``. Missing inputs and empty denominators give NaN, never 0 or infinity.

Example:
    >>> from kpikit.stats import wilson_interval, two_proportion_z_test
    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    >>> test = two_proportion_z_test(5, 83, 12, 99)
    >>> round(test.z, 4), round(test.p_value, 4)
    (-1.4078, 0.1592)
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, NamedTuple

from kpikit.errors import ParameterError

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    #: What the functions here return: a float for scalar input, else an array or a Series.
    Numbers: TypeAlias = float | npt.NDArray[np.float64] | pd.Series
    Flags: TypeAlias = bool | npt.NDArray[np.bool_] | pd.Series

__all__ = [
    "MIN_HISTORY",
    "XMR_LIMIT_FACTOR",
    "ControlLimits",
    "Interval",
    "ZTest",
    "control_limits",
    "outside_limits",
    "significant",
    "two_proportion_z_test",
    "wilson_interval",
]

#: Fewer non-missing points than this and :func:`control_limits` gives NaN limits (no flags).
MIN_HISTORY = 6

#: Wheeler's scaling constant for XmR limits: 3 / d2, with d2 = 1.128 for moving ranges of two
#: points, so centre ± 2.66 × mean moving range estimates centre ± 3 sigma.
XMR_LIMIT_FACTOR = 2.66

_STANDARD_NORMAL = NormalDist()


class Interval(NamedTuple):
    """A confidence interval: ``low`` and ``high``, each shaped like the input."""

    low: Numbers
    high: Numbers


class ZTest(NamedTuple):
    """A test statistic ``z`` and its two-sided ``p_value``, each shaped like the input."""

    z: Numbers
    p_value: Numbers


class ControlLimits(NamedTuple):
    """An XmR chart's ``centre`` line and its ``lower`` and ``upper`` natural process limits."""

    centre: float
    lower: float
    upper: float


def wilson_interval(successes: Any, trials: Any, level: float = 0.95) -> Interval:
    """The Wilson score interval of a proportion ``successes / trials``.

    With p = x/n and z the normal quantile for ``level`` (1.96 at 95%)::

        centre = (x + z²/2) / (n + z²)
        half   = z·√n / (n + z²) · √(p(1 − p) + z²/(4n))
        low, high = centre − half, centre + half

    Unlike the textbook p ± z·√(p(1 − p)/n) (Wald) interval, it never leaves [0, 1], never has
    zero width at 0 or n successes, and its coverage stays near the nominal level for small n
    (Newcombe 1998). It is statsmodels' ``proportion_confint(method="wilson")``. The quantile
    comes from :class:`statistics.NormalDist`.

    Args:
        successes: the numerator's count (conversions, opens, answers of 9–10 ...).
        trials: the denominator's count (clicks, delivered emails, answers ...).
        level: the confidence level, strictly between 0 and 1.

    Returns:
        ``Interval(low, high)``: floats for scalar input, else float arrays, or Series with the
        input's index. Zero or missing trials, or missing successes, give NaN.

    Raises:
        ParameterError: successes outside 0..trials, negative trials, or ``level`` outside (0, 1).

    Example:
        >>> low, high = wilson_interval(0, 20)
        >>> low, round(high, 4)
        (0.0, 0.1611)
    """
    import numpy as np

    z = _quantile(level)
    (x, n), wrap = _counts(("successes", successes), ("trials", trials))
    _check_counts("successes", x, "trials", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        defined = n > 0
        p = np.where(defined, x / np.where(defined, n, 1.0), np.nan)
        z2 = z * z
        centre = (x + z2 / 2) / (n + z2)
        half = z * np.sqrt(n) / (n + z2) * np.sqrt(p * (1 - p) + z2 / (4 * n))
        low = np.where(defined, centre - half, np.nan)
        high = np.where(defined, centre + half, np.nan)
    # The limits at 0 and n successes are exactly 0 and 1; rounding can leave ±1e-17 instead.
    low = np.where(defined & (x == 0), 0.0, low)
    high = np.where(defined & (x == n), 1.0, high)
    return Interval(wrap(low, "ci_low"), wrap(high, "ci_high"))


def two_proportion_z_test(x1: Any, n1: Any, x2: Any, n2: Any) -> ZTest:
    """The pooled, two-sided z-test that two proportions ``x1/n1`` and ``x2/n2`` are equal.

    With p1 = x1/n1, p2 = x2/n2 and the pooled proportion p = (x1 + x2)/(n1 + n2)::

        z = (p1 − p2) / √(p(1 − p)(1/n1 + 1/n2))
        p_value = 2·Φ(−|z|)

    This is statsmodels' ``proportions_ztest`` for two samples and equals the chi-square test of
    the 2×2 table without continuity correction (z² = χ²). Pooling uses the null hypothesis (one
    common rate) for the standard error, as a test should. Φ is :class:`statistics.NormalDist`'s
    CDF; p-values below about 1e-16 come out as 0.

    ``z`` and ``p_value`` are NaN, and the test says nothing, when it is undefined: a denominator
    is 0 or missing, a count is missing, or the pooled proportion is 0 or 1 (no successes, or no
    failures, in either period: both rates are equal and there is no variance to test against).

    Args:
        x1: successes in the first sample (say, this month's conversions).
        n1: trials in the first sample (this month's clicks).
        x2: successes in the second sample (last month's conversions).
        n2: trials in the second sample (last month's clicks).

    Returns:
        ``ZTest(z, p_value)``: floats for scalar input, else float arrays, or Series with the
        input's index. ``z`` is positive when the first proportion is the larger.

    Raises:
        ParameterError: a count of successes outside 0..its trials, or negative trials.

    Example:
        >>> test = two_proportion_z_test(27, 100, 19, 100)
        >>> round(test.z, 2), round(test.p_value, 3)
        (1.34, 0.179)
    """
    import numpy as np

    (a, m, b, n), wrap = _counts(("x1", x1), ("n1", n1), ("x2", x2), ("n2", n2))
    _check_counts("x1", a, "n1", m)
    _check_counts("x2", b, "n2", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (a + b) / (m + n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / n))
        defined = (m > 0) & (n > 0) & (pooled > 0) & (pooled < 1)
        z = np.where(defined, (a / m - b / n) / np.where(defined, se, 1.0), np.nan)
    p_value = np.array([_two_sided_p(value) for value in z.ravel()], dtype="float64")
    return ZTest(wrap(z, "z"), wrap(p_value.reshape(z.shape), "p_value"))


def significant(p_value: Any, alpha: float = 0.05) -> Flags:
    """True where ``p_value < alpha``: the change is unlikely to be noise alone.

    A missing p-value (an undefined test, see :func:`two_proportion_z_test`) is never
    significant: there is no evidence of a real change.

    Args:
        p_value: p-values, as a float, an array or a Series.
        alpha: the significance level, strictly between 0 and 1 (0.05 by default).

    Returns:
        A bool for scalar input, else a bool array, or a bool Series with the input's index.

    Raises:
        ParameterError: ``alpha`` outside (0, 1).

    Example:
        >>> significant(0.03), significant(0.03, alpha=0.01), significant(float("nan"))
        (True, False, False)
    """
    import numpy as np

    _check_level("alpha", alpha, hint="0.05 tests at the 5% level")
    (p,), wrap = _counts(("p_value", p_value))
    with np.errstate(invalid="ignore"):
        flags = np.asarray(p < alpha)
    return wrap(flags, "significant")


def control_limits(history: Any, *, floor: float | None = 0.0) -> ControlLimits:
    """Natural process limits for a count KPI from its own history (an XmR chart).

    With x₁ … x_k the history and the moving ranges MRᵢ = |xᵢ − xᵢ₋₁|::

        centre = mean(x)
        lower, upper = centre ∓ 2.66 × mean(MR)

    2.66 is Wheeler's constant, 3/d2 with d2 = 1.128 (the bias constant for ranges of two), so
    the limits sit about three sigma from the centre (D. J. Wheeler, *Understanding Variation*,
    1993). The lower limit is floored at ``floor`` (0 for counts, which cannot go negative).

    Why XmR rather than a c-chart (Poisson limits, centre ± 3√centre): business counts (orders,
    sign-ups, page views) are over-dispersed, their month-to-month variance far above their mean,
    so Poisson limits are too narrow and flag ordinary months. The XmR chart takes the spread
    from the KPI's own history instead of assuming it.

    Missing points are left out of the mean; a moving range next to a missing point is missing.
    Fewer than :data:`MIN_HISTORY` non-missing points (or no moving range) give NaN limits.

    Args:
        history: the KPI's values for past periods, oldest first (a list, an array or a
            Series); leave the period being judged out, so it cannot widen its own limits.
        floor: the lowest the lower limit may go; None for KPIs that can be negative.

    Returns:
        ``ControlLimits(centre, lower, upper)`` as floats.

    Raises:
        ParameterError: ``history`` is not one-dimensional numbers.

    Example:
        >>> centre, lower, upper = control_limits([10, 12, 11, 14, 13, 12])
        >>> centre, round(lower, 3), round(upper, 3)
        (12.0, 7.744, 16.256)
    """
    import numpy as np

    (x,), _ = _counts(("history", history))
    if x.ndim != 1:
        raise ParameterError(
            "history must be one series of values",
            expected="a list, a 1-D array or a Series, oldest period first",
            found=f"an array of shape {x.shape}",
            hint="pass one KPI's history at a time",
        )
    nan = float("nan")
    moving_ranges = np.abs(np.diff(x))
    known_ranges = moving_ranges[~np.isnan(moving_ranges)]
    known = x[~np.isnan(x)]
    if known.size < MIN_HISTORY or known_ranges.size == 0:
        return ControlLimits(nan, nan, nan)
    centre = float(known.mean())
    spread = XMR_LIMIT_FACTOR * float(known_ranges.mean())
    lower = centre - spread
    if floor is not None:
        lower = max(lower, float(floor))
    return ControlLimits(centre, lower, centre + spread)


def outside_limits(values: Any, history: Any, *, floor: float | None = 0.0) -> Flags:
    """True where a value lies outside the XmR control limits of ``history``.

    The limits are :func:`control_limits`'s. Too little history (NaN limits) or a missing value
    is never flagged.

    Args:
        values: the values to judge (this period's count, or several periods').
        history: the KPI's earlier values, oldest first, without ``values``.
        floor: passed to :func:`control_limits`.

    Returns:
        A bool for scalar input, else a bool array, or a bool Series with the input's index.

    Example:
        >>> outside_limits(25, [10, 12, 11, 14, 13, 12])
        True
        >>> outside_limits(25, [10, 12, 11])  # too little history: no verdict
        False
    """
    import numpy as np

    limits = control_limits(history, floor=floor)
    (v,), wrap = _counts(("values", values))
    with np.errstate(invalid="ignore"):
        flags = np.asarray((v < limits.lower) | (v > limits.upper))
    return wrap(flags, "outside_limits")


# --------------------------------------------------------------------------------------------
# helpers


def _quantile(level: float) -> float:
    _check_level("level", level, hint="0.95 gives a 95% interval")
    return _STANDARD_NORMAL.inv_cdf(0.5 + level / 2)


def _check_level(name: str, value: Any, *, hint: str) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1
    if not ok:
        raise ParameterError(
            f"{name} must be a probability",
            expected="a number strictly between 0 and 1",
            found=repr(value),
            hint=hint,
        )


def _two_sided_p(z: float) -> float:
    if math.isnan(z):
        return math.nan
    return 2.0 * _STANDARD_NORMAL.cdf(-abs(z))


def _counts(*named: tuple[str, Any]) -> tuple[list[Any], Any]:
    """Float arrays (broadcast together) for named inputs, and a function that shapes outputs.

    The output takes the shape of the input: a Python scalar for all-scalar input, a Series with
    the index of the Series among the inputs, else an array. Missing values (None, NaN, pd.NA)
    become NaN.
    """
    import numpy as np
    import pandas as pd

    arrays = []
    index = None
    index_of = ""
    scalar = True
    for name, value in named:
        if isinstance(value, pd.Series):
            if index is None:
                index, index_of = value.index, name
            elif not value.index.equals(index):
                raise ParameterError(
                    f"{name} and {index_of} have different indexes",
                    expected="Series with the same index, row for row",
                    found=f"{len(value)} and {len(index)} rows that do not line up",
                    hint="align them first, e.g. with DataFrame columns or .reindex()",
                )
        scalar = scalar and np.ndim(value) == 0
        arrays.append(_to_float(name, value))
    try:
        arrays = list(np.broadcast_arrays(*arrays))
    except ValueError:
        names = [name for name, _ in named]
        shapes = ", ".join(f"{n} {np.shape(a)}" for n, a in zip(names, arrays, strict=True))
        raise ParameterError(
            "inputs of different lengths",
            expected="scalars, or arrays of one length",
            found=shapes,
            hint="pass one value per period or segment in each argument",
        ) from None

    def wrap(result: Any, label: str) -> Any:
        if index is not None:
            return pd.Series(result, index=index, name=label)
        if scalar:
            return result.item()
        return result

    return arrays, wrap


def _to_float(name: str, value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA:
        return np.array(np.nan)
    try:
        if isinstance(value, pd.Series):
            array = value.to_numpy(dtype="float64", na_value=np.nan)
        else:
            array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be numbers",
            expected="a number, an array or a Series of numbers",
            found=_preview(value),
            hint="convert text columns with pd.to_numeric() first",
        ) from None
    if np.isinf(array).any():
        raise ParameterError(
            f"{name} must be finite",
            expected="finite numbers (NaN for a missing value)",
            found="infinity",
            hint="a rate divided by a zero denominator gives infinity; pass the counts instead",
        )
    return array


def _check_counts(x_name: str, x: Any, n_name: str, n: Any) -> None:
    import numpy as np

    with np.errstate(invalid="ignore"):
        negative_n = n < 0
        bad = (x < 0) | (x > n)
    if negative_n.any():
        at = _position(negative_n)
        raise ParameterError(
            f"{n_name} must not be negative",
            expected=f"{n_name} >= 0",
            found=f"{n_name}={_number(n[at])}" + _where(at, n),
            hint=f"{n_name} counts trials (clicks, sessions, answers ...)",
        )
    if bad.any():
        at = _position(bad)
        raise ParameterError(
            f"{x_name} out of range",
            expected=f"0 <= {x_name} <= {n_name}",
            found=f"{x_name}={_number(x[at])} with {n_name}={_number(n[at])}" + _where(at, x),
            hint=f"pass counts, not rates: {x_name} is how many of the {n_name} trials succeeded",
        )


def _position(mask: Any) -> tuple[int, ...]:
    import numpy as np

    return tuple(int(i) for i in np.argwhere(mask)[0])


def _where(at: tuple[int, ...], array: Any) -> str:
    if array.ndim == 0:
        return ""
    return f" at position {at[0] if len(at) == 1 else at}"


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
