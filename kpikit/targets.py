"""Targets and status: how a KPI's value for a period stands against its target.

:func:`assess` reads the KPI's :class:`~kpikit.spec.Target` (a level with an optional pacing path,
per-period values, a change against an earlier period, or a range) and the KPI's recent values,
and returns an :class:`Assessment`: the target that applies to the period, where the pacing path
expects the KPI to be by now, the progress made, the run rate still needed, and a status from
:data:`STATUSES` with one plain sentence saying why. The rules are in docs/kpi-spec.md, "Targets
and status". Pure arithmetic on floats: no data is read here.

Example:
    >>> import datetime as dt
    >>> from pathlib import Path
    >>> from kpikit.spec import Kpi, Spec, Target
    >>> kpi = Kpi("revenue", "Revenue", "orders", "currency", "up",
    ...           target=Target(1200.0, dt.date(2026, 12, 31), start="2026-06"))
    >>> spec = Spec(Path("kpis.yml"), 1, {}, {}, {"revenue": kpi})
    >>> a = assess(kpi, {"2026-06": 500.0, "2026-10": 910.0}, "2026-10", spec=spec)
    >>> a.expected, a.status, a.periods_left
    (900.0, 'on_track', 2)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpikit import periods
from kpikit.errors import ParameterError

if TYPE_CHECKING:
    from kpikit.spec import Kpi, Spec, Target

__all__ = ["STATUSES", "Assessment", "assess"]

#: Every status a KPI can have for a period, best first; ``insufficient_data`` is set by the
#: review when a rate rests on too few observations, or here when the value is unknown.
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_target", "insufficient_data")

_NAN = float("nan")
_VS = {"previous": "the previous period", "year_ago": "the same period a year ago"}


@dataclass(frozen=True)
class Assessment:
    """How a KPI's value for one period stands against its target.

    Attributes:
        period: the period judged.
        value: the KPI's value for it (NaN when unknown).
        target: the target for this period: the level, the per-period value, or the relative
            target resolved against its reference period (NaN for a range or no target).
        target_low, target_high: a range target's bounds (NaN otherwise).
        expected: where the pacing path says the KPI should be by now; the target itself when
            there is no baseline (NaN for a range or no target).
        baseline: the value of the ``from:`` period the path starts from (NaN when none).
        progress: the share of the way from the baseline to the target (1.0 = reached); without
            a baseline value / target (``up``) or target / value (``down``); NaN on zero or for
            a range.
        required_run_rate: the change per period still needed to reach a level target by its
            end: (target - value) / periods_left; NaN when no period is left or there is no end.
        periods_left: periods from this one to the one containing the end date (0 for the end
            period, a per-period or relative target); None when the target has no end date.
        status: one of :data:`STATUSES`.
        reason: one short sentence a non-analyst can read: why this status.
    """

    period: str
    value: float
    target: float = _NAN
    target_low: float = _NAN
    target_high: float = _NAN
    expected: float = _NAN
    baseline: float = _NAN
    progress: float = _NAN
    required_run_rate: float = _NAN
    periods_left: int | None = None
    status: str = "no_target"
    reason: str = ""


def _text(value: float, unit: str) -> str:
    """A number for a reason sentence, e.g. ``1,300,000``, ``4.8`` or ``2.5%``.

    Written here because the analysis layer does not import :mod:`kpikit.fmt` (presentation),
    and a sentence needs no currency signs or padding.
    """
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _steps(first: str, last: str) -> int:
    """Periods from ``first`` to ``last`` (negative when ``last`` comes first); same grain."""
    if first == last:
        return 0
    try:
        return len(periods.period_range(first, last)) - 1
    except ParameterError:  # last before first
        return 1 - len(periods.period_range(last, first))


def _year_ago(label: str) -> str | None:
    from kpikit._compare import Comparison

    return Comparison("year_ago", None).earlier(label)


def _get(history: Mapping[str, float], label: str | None) -> float:
    if label is None:
        return _NAN
    value = history.get(label, _NAN)
    return float(value) if value is not None else _NAN


def _nan(value: float) -> bool:
    return math.isnan(value)


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom != 0 and not (_nan(top) or _nan(bottom)) else _NAN


def _pace(
    target: Target, history: Mapping[str, float], period: str, end: str, spec: Spec
) -> tuple[float, float, str]:
    """``(expected, baseline, note)`` of a level target's pacing path at ``period``."""
    assert target.value is not None and target.start is not None
    grain = periods.grain_of(period)
    first = periods.parse_period(target.start, spec.calendar)[1]
    start = periods.label(first, grain, spec.calendar)
    baseline = _get(history, start)
    if _nan(baseline):
        return (
            target.value,
            _NAN,
            f" The baseline {target.start} has no value, so the target itself is the bar.",
        )
    total, done = _steps(start, end), _steps(start, period)
    done = min(max(done, 0), total)
    share, note = (done / total if total else 1.0), ""
    if target.shape == "seasonal":
        last = [_get(history, _year_ago(p)) for p in (start, period, end)]
        moved = last[2] - last[0]
        if any(_nan(v) for v in last) or moved == 0:
            note = (
                " Last year's values for these periods are missing or flat, so the path is linear."
            )
        else:
            # Last year's share of the way, kept within the path: a month that overshot last year
            # (or went backwards) must not put the bar beyond the target or behind the baseline.
            share = min(max((last[1] - last[0]) / moved, 0.0), 1.0)
    return baseline + (target.value - baseline) * share, baseline, note


def _gap(gap: float, expected: float, unit: str) -> str:
    """How far behind, in words: ``2.5 points``, ``4.0%`` or the gap itself.

    Percentage points for a percent KPI; else a share of the expected value, or the gap in the
    KPI's unit when the expected value is not positive (a share of it would mislead).
    """
    if unit == "percent":
        return f"{gap * 100:.1f} points"
    if expected > 0:
        return f"{gap / expected * 100:.1f}%"
    return _text(gap, unit)


def _at_least(a: float, b: float) -> bool:
    """``a >= b``, with ``a`` equal to ``b`` up to float rounding (0.525 - 0.5 is 0.025)."""
    return a >= b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _judge(
    value: float, goal: float, expected: float, sign: int, tolerance: float
) -> tuple[str, float]:
    """``(status, shortfall)`` of a value against a goal and the path's expected value."""
    if _at_least(sign * value, sign * goal):
        return "achieved", 0.0
    if _at_least(sign * value, sign * expected):
        return "on_track", 0.0
    gap = sign * (expected - value)
    return ("at_risk" if _at_least(tolerance * abs(expected), gap) else "off_track"), gap


def _range(kpi: Kpi, target: Target, value: float, period: str, tolerance: float) -> Assessment:
    low = target.min if target.min is not None else -math.inf
    high = target.max if target.max is not None else math.inf
    bounds = f"{_text(low, kpi.unit)} to {_text(high, kpi.unit)}"
    base = Assessment(period, value, target_low=low, target_high=high)
    if low <= value <= high:
        why = f"{_text(value, kpi.unit)} is inside {bounds}."
        return dataclasses.replace(base, status="achieved", reason=why)
    side, gap = ("below", low - value) if value < low else ("above", value - high)
    width = high - low if math.isfinite(high - low) else 0.0
    status = "at_risk" if _at_least(tolerance * width, gap) else "off_track"
    return dataclasses.replace(
        base,
        status=status,
        reason=f"{_text(value, kpi.unit)} is {side} the target range {bounds}"
        + (", within the tolerance." if status == "at_risk" else "."),
    )


def assess(kpi: Kpi, history: Mapping[str, float], period: str, *, spec: Spec) -> Assessment:
    """Judge a KPI's value for ``period`` against its target.

    Args:
        kpi: the KPI (its ``target`` and ``direction`` are read).
        history: the KPI's values by period label at the period's grain: the period itself and
            up to 24 earlier periods, NaN (or absent) where unknown.
        period: the period to judge, e.g. ``2026-11``.
        spec: the spec, for the calendar and the review settings (:meth:`Spec.review_for`).

    Returns:
        An :class:`Assessment`. The status is ``insufficient_data`` only when the value is
        unknown (the review also sets it when a rate's denominator is too small).

    Example:
        >>> from pathlib import Path
        >>> from kpikit.spec import Kpi, Spec, Target
        >>> kpi = Kpi("cpc", "Cost per click", "ads", "currency", "down", target=Target(0.5))
        >>> spec = Spec(Path("kpis.yml"), 1, {}, {}, {"cpc": kpi})
        >>> a = assess(kpi, {"2026-11": 0.52}, "2026-11", spec=spec)
        >>> a.status, round(a.progress, 4)
        ('at_risk', 0.9615)
    """
    value = _get(history, period)
    tolerance = spec.review_for(kpi).tolerance
    target = kpi.target
    if target is None:
        return Assessment(period, value, reason="No target is set for this KPI.")
    grain = periods.grain_of(period)
    first_day = periods.parse_period(period, spec.calendar)[1]
    if target.by is not None and first_day > target.by:
        return Assessment(
            period, value,
            reason=f"The target's time frame ended on {target.by.isoformat()}, before {period}.",
        )  # fmt: skip
    end = periods.label(target.by, grain, spec.calendar) if target.by is not None else None
    left = _steps(period, end) if end is not None else None
    unknown = f"No value for {period}, so it cannot be judged."
    if target.kind == "range":
        if _nan(value):
            return Assessment(
                period, value, target_low=_NAN if target.min is None else target.min,
                target_high=_NAN if target.max is None else target.max, periods_left=left,
                status="insufficient_data", reason=unknown,
            )  # fmt: skip
        judged = _range(kpi, target, value, period, tolerance)
        return dataclasses.replace(judged, periods_left=left)
    sign = -1 if kpi.direction == "down" else 1
    expected, baseline, note = _NAN, _NAN, ""
    if target.kind == "per_period":
        if period not in target.per_period:
            listed = ", ".join(target.per_period)
            return Assessment(
                period, value, reason=f"No target is set for {period}; targets cover {listed}."
            )
        goal, left, bar = target.per_period[period], 0, "the target for " + period
    elif target.kind == "relative":
        assert target.change is not None and target.vs is not None
        ref_label = periods.previous(period) if target.vs == "previous" else _year_ago(period)
        reference = _get(history, ref_label)
        how = f"{abs(target.change) * 100:g}% {'above' if target.change >= 0 else 'below'}"
        if _nan(reference) or reference <= 0:
            found = "no value" if _nan(reference) else f"a value of {_text(reference, kpi.unit)}"
            return Assessment(
                period, value,
                reason=f"The target is {how} {_VS[target.vs]}, but {ref_label or 'it'} has "
                f"{found}, so there is nothing to aim from.",
            )  # fmt: skip
        goal, left = reference * (1 + target.change), 0
        bar = f"the target ({how} {ref_label}'s {_text(reference, kpi.unit)})"
    else:
        assert target.value is not None
        goal = target.value
        bar = f"the target of {_text(goal, kpi.unit)}" + (
            f" by {target.by.isoformat()}" if target.by is not None else ""
        )
        if target.start is not None and end is not None:
            expected, baseline, note = _pace(target, history, period, end, spec)
    if _nan(expected):
        expected = goal
    if _nan(baseline):
        progress = _ratio(value, goal) if sign > 0 else _ratio(goal, value)
    else:
        progress = _ratio(value - baseline, goal - baseline)
    rate = (goal - value) / left if target.kind == "level" and left and left > 0 else _NAN
    result = Assessment(
        period, value, target=goal, expected=expected, baseline=baseline, progress=progress,
        required_run_rate=rate, periods_left=left,
    )  # fmt: skip
    if _nan(value):
        return dataclasses.replace(result, status="insufficient_data", reason=unknown)
    status, gap = _judge(value, goal, expected, sign, tolerance)
    shown = _text(value, kpi.unit)
    paced = expected != goal
    if status == "achieved":
        why = f"{shown} meets {bar}."
    elif status == "on_track":
        why = (
            f"{shown} is at or ahead of the {_text(expected, kpi.unit)} expected by now on "
            f"the way to {bar}."
        )
    else:
        how_far = _gap(gap, expected, kpi.unit)
        if paced:
            why = (
                f"{shown} is {how_far} behind the {_text(expected, kpi.unit)} expected by now "
                f"on the way to {bar}."
            )
        else:
            why = f"{shown} is {how_far} {'short of' if sign > 0 else 'above'} {bar}."
    return dataclasses.replace(result, status=status, reason=why + note)
