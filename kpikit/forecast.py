"""Forecast a KPI a few periods ahead, and the chance that it reaches its target.

:func:`forecast` fits Holt's linear trend method (simple exponential smoothing with a trend; in
state-space terms the local linear trend model ETS(A,A,N)) to a KPI's history, optionally after
taking out additive seasonal indices, and returns the value's predictive distribution at a given
horizon: a Student t around the point forecast whose width grows with the horizon.
:func:`probability_to_hit` reads from it the chance that the KPI is at or past its target (or
inside its band) in the target's period.

Written here rather than taken from statsmodels (``ExponentialSmoothing``) because statsmodels
and scipy are not kpikit dependencies; the method, why it was chosen and its calibration on
simulated series are in ``docs/forecast.md``. Pure numpy and the standard library.

Example:
    >>> from kpikit.forecast import forecast, probability_to_hit
    >>> history = [100, 104, 107, 113, 115, 121, 124, 128, 131, 137, 139, 144]
    >>> f = forecast(history, horizon=3)
    >>> round(f.mean)
    156
    >>> round(probability_to_hit(history, target=155, horizon=3), 2)
    0.82
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpikit.errors import ParameterError
from kpikit.stats import MIN_HISTORY

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

__all__ = ["FORECAST_DIRECTIONS", "Forecast", "forecast", "probability_to_hit", "t_cdf"]

#: The directions :func:`probability_to_hit` understands: at or above the target, at or below
#: it, or inside ``[low, high]``.
FORECAST_DIRECTIONS = ("up", "down", "range")

# The smoothing parameters are chosen from a grid by the smallest sum of squared one-step errors
# (a grid, not an optimiser: it is exact to reproduce, has no convergence failures on 12 points,
# and the whole grid runs as one vectorised recursion).
_ALPHAS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
_BETA_SHARES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)  # beta = share * alpha
#: Parameters estimated besides the seasonal indices: alpha, beta, the initial level and trend.
_HOLT_PARAMETERS = 4
_INITIAL_POINTS = 6  # the first level and trend come from a straight line through these


@dataclass(frozen=True)
class Forecast:
    """The predictive distribution of a KPI's value ``horizon`` periods after its last period.

    The distribution is a mixture: with probability ``weights[k]`` the value is
    ``means[k] + scales[k] * T``, T a Student t variable of ``df`` degrees of freedom (one
    component per smoothing parameter pair that fits the history). ``scale`` is 0 when the value
    is already known (horizon 0 and the last period observed). The numbers are NaN when the
    history is too short to forecast (fewer than :data:`kpikit.stats.MIN_HISTORY` known values).

    Attributes:
        horizon: periods after the last period of the history (0 = the last period itself).
        mean: the point forecast (the mixture's mean).
        scale: the mixture's spread as a t scale: its standard deviation is
            ``scale * sqrt(df / (df - 2))`` when df > 2.
        df: the t distributions' degrees of freedom (known values minus parameters fitted).
        alpha: the level's smoothing parameter, weighted mean over the mixture (1 = each new
            value resets the level, as in a random walk).
        beta: the trend's smoothing parameter, weighted mean (0 = a fixed trend).
        season: the season length modelled, or None when no seasonality was fitted.
        weights: the mixture's weights (they sum to 1).
        means: each component's point forecast.
        scales: each component's t scale.

    Example:
        >>> f = forecast([10, 11, 12, 13, 14, 15, 16, 17], horizon=2)
        >>> round(f.mean, 6), f.scale < 1e-6
        (19.0, True)
    """

    horizon: int
    mean: float
    scale: float
    df: float
    alpha: float
    beta: float
    season: int | None
    weights: tuple[float, ...] = ()
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()

    def cdf(self, x: float) -> float:
        """P(value <= x); a step at ``mean`` when the value is known.

        Example:
            >>> forecast([3, 5, 4, 6, 5, 7, 6, 8], horizon=1).cdf(1e9)
            1.0
        """
        import numpy as np

        if math.isnan(self.mean) or math.isnan(x):
            return math.nan
        if self.scale == 0:
            return 1.0 if x >= self.mean else 0.0
        means, scales = np.asarray(self.means), np.asarray(self.scales)
        step = np.where(x >= means, np.inf, -np.inf)  # a component with no spread is a step
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(scales > 0, (x - means) / np.where(scales > 0, scales, 1.0), step)
        return _clip(float(np.sum(np.asarray(self.weights) * _t_cdf(t, int(self.df)))))

    def quantile(self, q: float) -> float:
        """The value below which the KPI falls with probability ``q`` (0 < q < 1).

        Found by bisection on :meth:`cdf`, to about 1e-9 of the spread.

        Example:
            >>> f = forecast([3, 5, 4, 6, 5, 7, 6, 8], horizon=1)
            >>> round(f.cdf(f.quantile(0.9)), 6)
            0.9
        """
        if not (isinstance(q, int | float) and 0 < q < 1):
            raise ParameterError(
                "q must be a probability",
                expected="a number strictly between 0 and 1",
                found=repr(q),
                hint="0.5 gives the median, 0.9 the value exceeded one time in ten",
            )
        if math.isnan(self.mean) or self.scale == 0:
            return self.mean
        step = self.scale
        low, high = self.mean - step, self.mean + step
        while self.cdf(low) > q:
            low -= step
            step *= 2
        step = self.scale
        while self.cdf(high) < q:
            high += step
            step *= 2
        while high - low > 1e-9 * self.scale:
            middle = (low + high) / 2
            if self.cdf(middle) < q:
                low = middle
            else:
                high = middle
        return (low + high) / 2

    def interval(self, level: float = 0.8) -> tuple[float, float]:
        """The central prediction interval holding the value with probability ``level``.

        Example:
            >>> low, high = forecast([3, 5, 4, 6, 5, 7, 6, 8], horizon=1).interval(0.8)
            >>> low < 8.5 < high
            True
        """
        if not (isinstance(level, int | float) and 0 < level < 1):
            raise ParameterError(
                "level must be a probability",
                expected="a number strictly between 0 and 1",
                found=repr(level),
                hint="0.8 gives an 80% prediction interval",
            )
        return self.quantile((1 - level) / 2), self.quantile((1 + level) / 2)


def forecast(
    history: Sequence[float] | Any, *, horizon: int, season: int | None = None
) -> Forecast:
    """The predictive distribution of a KPI ``horizon`` periods after the last one in ``history``.

    Holt's linear trend method with additive errors (ETS(A,A,N), a local linear trend): each
    period the level and the trend are corrected by shares ``alpha`` and ``beta`` of the
    one-step error. A random walk fits best with alpha near 1 (the last value matters most, and
    uncertainty grows fast with the horizon); a noisy straight line with alpha near 0 (the line
    matters, uncertainty stays flat). With σ² the one-step error variance (SSE / df), the h-step
    forecast error variance is σ²·(1 + Σⱼ₌₁ʰ⁻¹ (α + β·j)²) (Hyndman et al. 2008, table 6.1),
    plus h² times the variance of the estimated trend; the value is Student t with df = known
    values − parameters around the point forecast, to allow for σ² being estimated.

    Rather than keep only the best (alpha, beta), every pair of a fixed grid is kept, weighted
    by its profile likelihood SSE^(−n/2): on 12 to 36 points the best pair is often far from
    the truth, and the mixture carries that doubt into the distribution (without it, random
    walks came out overconfident in the calibration runs of ``docs/forecast.md``).

    With ``season`` (12 for months) and at least two full seasons of history, additive seasonal
    indices (one level per position of the season, fitted by least squares together with a
    straight line, centred on 0) are taken out first and added back to the forecast.

    Missing values (NaN) are skipped: the level moves on by the trend and is not corrected, so
    the periods stay in step. Leading missing values are dropped. When the last periods are
    missing the forecast starts from the last known one, ``horizon`` plus that many periods back.

    Args:
        history: the KPI's values by period, oldest first; the last is the current period.
        horizon: periods from the current period to the one forecast (0 = the current one).
        season: the number of periods in a seasonal cycle (12 for months, 4 for quarters), or
            None for no seasonality.

    Returns:
        A :class:`Forecast`; all NaN when fewer than :data:`kpikit.stats.MIN_HISTORY` values
        are known.

    Raises:
        ParameterError: ``history`` is not a sequence of numbers, ``horizon`` is not a whole
            number >= 0, or ``season`` is not a whole number >= 2.

    Example:
        >>> f = forecast([5, 7, 6, 8, 7, 9, 8, 10, 9, 11], horizon=2)
        >>> round(f.mean, 1), round(f.cdf(f.mean), 2)
        (11.9, 0.5)
    """
    import numpy as np

    y = _history(history)
    _check_whole("horizon", horizon, 0, hint="0 is the current period, 1 the next one")
    if season is not None:
        _check_whole("season", season, 2, hint="12 for monthly KPIs, 4 for quarterly ones")
    nan = math.nan
    known = ~np.isnan(y)
    if known.sum() < MIN_HISTORY:
        return Forecast(horizon, nan, nan, nan, nan, nan, None, (), (), ())
    y = y[int(np.argmax(known)) :]  # drop leading gaps
    known = ~np.isnan(y)
    trailing = len(y) - 1 - int(np.flatnonzero(known)[-1])
    steps = horizon + trailing  # from the last known value
    if steps == 0:
        return Forecast(
            horizon, float(y[-1]), 0.0, nan, nan, nan, None, (1.0,), (float(y[-1]),), (0.0,)
        )

    indices, used_season = _seasonal_indices(y, known, season)
    adjusted = y - indices[np.arange(len(y)) % len(indices)]
    n_known = int(known.sum())
    parameters = _HOLT_PARAMETERS + (used_season - 1 if used_season else 0)
    alphas, betas, level, trend, sse = _fit_holt(adjusted)
    df = max(n_known - parameters, 1)
    # Each (alpha, beta) of the grid is weighted by its profile likelihood, SSE^(-n/2), rather
    # than the best one taken alone: on 12 to 36 points the best pair is often far from the
    # truth (a random walk fitted with alpha = 0.3), and the mixture carries that doubt.
    log_weight = -0.5 * n_known * np.log(np.maximum(sse, 1e-300))
    weight = np.exp(log_weight - log_weight.max())
    keep = weight > 1e-6 * weight.sum()
    alphas, betas, level, trend, sse = (a[keep] for a in (alphas, betas, level, trend, sse))
    weight = weight[keep] / weight[keep].sum()
    sigma2 = sse / df
    j = np.arange(1, steps)[:, None]
    # The error of the estimated trend grows with the square of the horizon. Its variance is
    # taken as the sum of its two limits: the mean of the differences of a random walk with
    # drift (alpha = 1: sigma² / (n - 1), scaled by alpha²) and the slope of a straight line
    # fitted to noise (alpha near 0: sigma² / sum((t - mean t)²) = 12 sigma² / (n³ - n)).
    trend_variance = sigma2 * (alphas**2 / (n_known - 1) + 12.0 / (n_known**3 - n_known))
    variance = sigma2 * (1.0 + np.sum((alphas + betas * j) ** 2, axis=0))
    variance += steps**2 * trend_variance
    position = (len(y) - 1 + horizon) % len(indices)  # the target period, past trailing gaps
    # the recursion has already carried the level through trailing gaps: `horizon` steps remain
    means = level + horizon * trend + float(indices[position])
    # As in a regression's prediction interval: (value - mean) / (s * sqrt(1 + ...)) is t with
    # df degrees of freedom when sigma² is estimated by SSE / df.
    scales = np.sqrt(variance)
    mean = float(np.sum(weight * means))
    t_variance = df / (df - 2) if df > 2 else 3.0  # a t with df <= 2 has no variance
    spread = float(np.sum(weight * (scales**2 * t_variance + (means - mean) ** 2)))
    return Forecast(
        horizon,
        mean,
        math.sqrt(spread / t_variance),
        float(df),
        float(np.sum(weight * alphas)),
        float(np.sum(weight * betas)),
        used_season or None,
        tuple(float(w) for w in weight),
        tuple(float(m) for m in means),
        tuple(float(v) for v in scales),
    )


def probability_to_hit(
    history: Sequence[float] | Any,
    *,
    target: float | None,
    horizon: int,
    direction: str = "up",
    low: float | None = None,
    high: float | None = None,
    season: int | None = None,
) -> float:
    """The chance that a KPI reaches its target in the period ``horizon`` periods from now.

    P(value >= target) for ``direction="up"``, P(value <= target) for ``"down"``, and
    P(low <= value <= high) for ``"range"`` (``target`` is then ignored and may be None; a
    missing ``low`` or ``high`` leaves that side open), under :func:`forecast`'s predictive
    distribution. With horizon 0 the current value is final: the answer is 1.0 or 0.0 (unless
    the current value is missing, when it is forecast from the last known one).

    Args:
        history: the KPI's values by period, oldest first; the last is the current period.
        target: the value to reach (None or NaN gives NaN, except for ranges).
        horizon: periods from the current period to the target's period (0 = the current one).
        direction: ``"up"``, ``"down"`` or ``"range"``, as the KPI's ``direction``.
        low: the band's lower end, for ranges.
        high: the band's upper end, for ranges.
        season: passed to :func:`forecast` (12 for monthly KPIs with a yearly pattern).

    Returns:
        A probability in [0, 1], or NaN when fewer than :data:`kpikit.stats.MIN_HISTORY`
        values are known or the target is missing.

    Raises:
        ParameterError: a bad ``direction``, ``horizon`` or ``season``; non-numeric history or
            target; ``low`` greater than ``high``; a range with neither ``low`` nor ``high``.

    Example:
        >>> history = [100, 104, 107, 113, 115, 121, 124, 128, 131, 137, 139, 144]
        >>> probability_to_hit(history, target=140, horizon=0)
        1.0
        >>> round(probability_to_hit(history, target=158, horizon=3, direction="down"), 2)
        0.88
    """
    if direction not in FORECAST_DIRECTIONS:
        from kpikit.errors import did_you_mean

        raise ParameterError(
            "unknown direction",
            expected="one of " + ", ".join(FORECAST_DIRECTIONS),
            found=repr(direction),
            hint=did_you_mean(str(direction), FORECAST_DIRECTIONS)
            or "up: higher is better; down: lower is better; range: inside [low, high]",
        )
    if direction == "range":
        bounds = [_number(name, value) for name, value in (("low", low), ("high", high))]
        lo, hi = (math.nan if b is None else b for b in bounds)
        if bounds[0] is None and bounds[1] is None:
            raise ParameterError(
                "a range needs low or high",
                expected="low=, high= or both",
                found="neither",
                hint="pass the target band, e.g. low=0.02, high=0.05",
            )
        if lo > hi:
            raise ParameterError(
                "low is above high",
                expected="low <= high",
                found=f"low={lo!r}, high={hi!r}",
                hint="swap them",
            )
        lo = -math.inf if bounds[0] is None else lo
        hi = math.inf if bounds[1] is None else hi
        f = forecast(history, horizon=horizon, season=season)
        if math.isnan(lo) or math.isnan(hi) or math.isnan(f.mean):
            return math.nan
        below_low = 0.0 if lo == -math.inf else _strictly_below(f, lo)
        return _clip(f.cdf(hi) - below_low)
    value = _number("target", target)
    f = forecast(history, horizon=horizon, season=season)
    if value is None or math.isnan(value) or math.isnan(f.mean):
        return math.nan
    if direction == "up":
        return _clip(1.0 - _strictly_below(f, value))
    return _clip(f.cdf(value))


def t_cdf(t: float, df: float) -> float:
    """The CDF of Student's t distribution with ``df`` degrees of freedom (a whole number).

    The closed forms for whole degrees of freedom (Abramowitz and Stegun 1964, 26.7.3 and
    26.7.4), written here because scipy is not a dependency. With θ = atan(t/√df), the
    probability A = P(|T| <= |t|) is a finite sum of powers of cos θ.

    Example:
        >>> round(t_cdf(2.306, 8), 3)  # the 97.5% point of t with 8 df is 2.306
        0.975
    """
    if not (isinstance(df, int | float) and int(df) == df and df >= 1):
        raise ParameterError(
            "df must be a whole number >= 1", expected="1, 2, 3 ...", found=repr(df)
        )
    return float(_t_cdf(t, int(df)))


def _t_cdf(t: Any, nu: int) -> Any:
    """:func:`t_cdf` for an array of ``t`` (NaN stays NaN; ±inf gives 1 or 0)."""
    import numpy as np

    t = np.asarray(t, dtype="float64")
    theta = np.arctan(np.abs(t) / math.sqrt(nu))
    c2 = np.cos(theta) ** 2
    s = np.sin(theta)
    if nu % 2 == 1:
        total, term = np.zeros_like(t), np.cos(theta)
        for k in range(1, (nu - 1) // 2 + 1):
            total = total + term
            term = term * c2 * (2 * k) / (2 * k + 1)
        a = 2 / math.pi * (theta + s * total)
    else:
        total, term = np.zeros_like(t), np.ones_like(t)
        for k in range(1, nu // 2 + 1):
            total = total + term
            term = term * c2 * (2 * k - 1) / (2 * k)
        a = s * total
    return np.where(t >= 0, 0.5 + 0.5 * a, 0.5 - 0.5 * a)


# --------------------------------------------------------------------------------------------
# helpers


def _fit_holt(y: Floats) -> tuple[Floats, Floats, Floats, Floats, Floats]:
    """Holt's method for every (alpha, beta) of the grid: their final level and trend, and SSE.

    Returns arrays ``(alphas, betas, level, trend, sse)``, one element per grid pair. The
    recursion runs once over all pairs at the same time, so fitting costs about len(y) small
    array steps.
    """
    import numpy as np

    alphas = np.array([a for a in _ALPHAS for _ in _BETA_SHARES])
    betas = np.array([a * b for a in _ALPHAS for b in _BETA_SHARES])
    known = np.flatnonzero(~np.isnan(y))
    first = known[:_INITIAL_POINTS]
    slope, intercept = np.polyfit(first.astype("float64"), y[first], 1)
    level = np.full(alphas.shape, float(intercept) - float(slope))  # the state before y[0]
    trend = np.full(alphas.shape, float(slope))
    sse = np.zeros(alphas.shape)
    for value in y:
        predicted = level + trend
        if math.isnan(value):
            level = predicted
            continue
        error = value - predicted
        sse += error * error
        level = predicted + alphas * error
        trend = trend + betas * error
    return alphas, betas, level, trend, sse


def _seasonal_indices(y: Floats, known: Any, season: int | None) -> tuple[Floats, int]:
    """Additive seasonal indices (centred on 0) and the season used; ``[0.0]`` and 0 for none."""
    import numpy as np

    none = np.zeros(1)
    if season is None or len(y) < 2 * season:
        return none, 0
    if int(known.sum()) - _HOLT_PARAMETERS - (season - 1) < 2:
        return none, 0
    t = np.flatnonzero(known)
    positions = t % season
    counts = np.bincount(positions, minlength=season)
    if (counts < 2).any():  # each position needs two seasons' values
        return none, 0
    # One least-squares fit of a straight line and one level per position of the season: fitting
    # the line first would let the season tilt it (a sine over whole cycles is not orthogonal
    # to t) and leave a saw-tooth in the indices.
    design = np.column_stack([t.astype("float64"), np.eye(season)[positions]])
    coefficients = np.linalg.lstsq(design, y[t], rcond=None)[0]
    indices = coefficients[1:]
    return indices - indices.mean(), season


def _strictly_below(f: Forecast, x: float) -> float:
    """P(value < x): the CDF, except that a known value equal to x is not below it."""
    if f.scale == 0:
        return 1.0 if f.mean < x else 0.0
    return f.cdf(x)


def _clip(p: float) -> float:
    return min(1.0, max(0.0, p))


def _history(history: Any) -> Floats:
    import numpy as np
    import pandas as pd

    if isinstance(history, str | bytes) or history is None:
        raise ParameterError(
            "history must be numbers",
            expected="a list, array or Series of the KPI's values, oldest first",
            found=_preview(history),
            hint="pass the KPI's values by period, e.g. [120.0, 131.5, ...]",
        )
    try:
        if isinstance(history, pd.Series):
            y = history.to_numpy(dtype="float64", na_value=np.nan)
        else:
            y = np.array(
                [np.nan if v is None or v is pd.NA else v for v in history], dtype="float64"
            )
    except (TypeError, ValueError):
        raise ParameterError(
            "history must be numbers",
            expected="a list, array or Series of numbers (NaN for a missing period)",
            found=_preview(history),
            hint="convert text with pd.to_numeric() first",
        ) from None
    if y.ndim != 1:
        raise ParameterError(
            "history must be one series of values",
            expected="a list, a 1-D array or a Series, oldest period first",
            found=f"an array of shape {y.shape}",
            hint="pass one KPI's history at a time",
        )
    if np.isinf(y).any():
        raise ParameterError(
            "history must be finite",
            expected="finite numbers (NaN for a missing period)",
            found="infinity",
            hint="a ratio with a zero denominator is NaN, not infinity",
        )
    return y


def _check_whole(name: str, value: Any, least: int, *, hint: str) -> None:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or value < least:
        raise ParameterError(
            f"{name} must be a whole number >= {least}",
            expected=f"an int >= {least}",
            found=repr(value),
            hint=hint,
        )


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            import numpy as np

            if isinstance(value, np.number):
                return float(value)
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        raise ParameterError(
            f"{name} must be a number",
            expected="a number (or None)",
            found=_preview(value),
            hint="pass the target value itself, e.g. 1300000",
        )
    return float(value)


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
