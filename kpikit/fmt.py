"""Number formatting for people: one set of formatters for tables, plots, widgets and the CLI.

KPI values are stored as plain numbers (percentages as fractions, durations in seconds); these
functions turn them into display text. Empty values (None, NaN, ``pd.NA``) show as an en dash, and
negative numbers use a true minus sign (U+2212), as matplotlib does on its axes.

Example:
    >>> format_value(1234567.0, "currency")
    '1,234,567'
    >>> format_value(1234567.0, "currency", compact=True)
    '1.23M'
    >>> format_value(0.0512, "percent")
    '5.1%'
    >>> format_change(-0.031)
    '−3.1%'
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from kpikit.errors import ParameterError, did_you_mean
from kpikit.spec import UNITS, Target

__all__ = [
    "EMPTY",
    "MINUS",
    "MISSING_SEGMENT",
    "STATUS_COLORS",
    "STATUS_INK",
    "STATUS_LABELS",
    "format_change",
    "format_kpi_change",
    "format_probability",
    "format_status",
    "format_segment",
    "format_target",
    "format_value",
    "is_empty",
]

#: Shown for an empty value: no data, a zero denominator, or no previous period to compare with.
EMPTY = "–"
#: The minus sign used for negative numbers (U+2212, not a hyphen).
MINUS = "−"
#: Shown for a segment whose value is missing in the data.
MISSING_SEGMENT = "(missing)"

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def is_empty(value: Any) -> bool:
    """True for None, NaN and pandas' NA and NaT (checked without importing pandas).

    Example:
        >>> is_empty(float("nan")), is_empty(None), is_empty(0.0)
        (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the only float that differs from itself
    except TypeError:  # pd.NA: `NA != NA` is NA, whose bool() raises
        return True


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ParameterError(f"cannot format {what}", expected="a number", found=repr(value))
    return float(value)


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def _compact(magnitude: float) -> str:
    """Three significant digits at most, with a K/M/B/T suffix: 1234567 -> '1.23M'."""
    for scale, suffix in _SUFFIXES:
        if magnitude >= scale * 0.9995:  # 999,600 rounds to 1.00M, not 1000K
            return _three_digits(magnitude / scale) + suffix
    return _three_digits(magnitude)


def _three_digits(number: float) -> str:
    """Three significant digits without trailing zeros: 1.5 -> '1.5', 123.4 -> '123'."""
    digits = 2 if number < 10 else 1 if number < 100 else 0
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _duration(seconds: float) -> str:
    """Seconds as the two largest units: '42s', '3m 05s', '2h 05m', '3d 04h'."""
    total = round(seconds)
    if total < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s".replace(".0s", "s")
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_value(value: Any, unit: str, *, compact: bool = False) -> str:
    """A KPI value as display text, according to the KPI's ``unit``.

    Args:
        value: the number; None, NaN and ``pd.NA`` show as ``–``.
        unit: one of ``count``, ``currency``, ``percent`` (stored as a fraction; shown with
            one decimal, two below 1%), ``ratio``, ``score`` or ``duration`` (in seconds).
        compact: abbreviate large counts and amounts with K, M, B or T (for axes and tiles).

    Raises:
        ParameterError: for an unknown unit or a value that is not a number.

    Example:
        >>> format_value(1234567, "currency")
        '1,234,567'
        >>> format_value(54.2, "currency")
        '54.20'
        >>> format_value(1234567, "currency", compact=True)
        '1.23M'
        >>> format_value(12345, "count")
        '12,345'
        >>> format_value(12345, "count", compact=True)
        '12.3K'
        >>> format_value(0.0512, "percent")
        '5.1%'
        >>> format_value(0.0045, "percent")
        '0.45%'
        >>> format_value(4.1234, "ratio")
        '4.12'
        >>> format_value(4.26, "score")
        '4.3'
        >>> format_value(185, "duration")
        '3m 05s'
        >>> format_value(-2500, "currency")
        '−2,500'
        >>> format_value(float("nan"), "count")
        '–'
    """
    if unit not in UNITS:
        raise ParameterError(
            "unknown unit",
            expected="one of " + ", ".join(UNITS),
            found=repr(unit),
            hint=did_you_mean(str(unit), UNITS),
        )
    if is_empty(value):
        return EMPTY
    number = _number(value, "a KPI value")
    if math.isinf(number):
        return _signed("∞", number < 0)
    negative = number < 0 and round(abs(number), 6) > 0
    magnitude = abs(number)
    if unit == "percent":
        digits = 2 if 0 < magnitude < 0.00995 else 1  # 0.45%, not 0.5%, for small rates
        text = f"{magnitude * 100:.{digits}f}%"
    elif unit == "ratio":
        text = f"{magnitude:.2f}"
    elif unit == "score":
        text = f"{magnitude:.1f}"
    elif unit == "duration":
        text = _duration(magnitude)
    elif compact:
        text = _compact(magnitude)
    elif unit == "currency":
        text = f"{magnitude:,.2f}" if magnitude < 1000 else f"{magnitude:,.0f}"
    else:  # count
        text = (
            f"{magnitude:,.0f}"
            if magnitude >= 100 or magnitude == round(magnitude)
            else f"{magnitude:.1f}"
        )
    if negative and text.strip("0.,%") == "":
        negative = False  # never show "−0.0"
    return _signed(text, negative)


def format_change(change_pct: Any) -> str:
    """A relative change as signed percent text: ``+4.2%``, ``−3.1%``, or ``–`` when empty.

    Example:
        >>> format_change(0.042)
        '+4.2%'
        >>> format_change(-0.031)
        '−3.1%'
        >>> format_change(0.0)
        '0.0%'
        >>> format_change(None)
        '–'
    """
    return _signed_percent(change_pct, "%")


def format_kpi_change(unit: str, change: Any, change_pct: Any) -> str:
    """A KPI's change as people read it: percentage points for a percent KPI, else relative.

    A rate that moves from 4.0% to 5.0% rose by one point (``+1.0 pts``), not by 25%; and a
    relative change of a value that was zero or negative means nothing, so it stays empty.

    Example:
        >>> format_kpi_change("percent", 0.01, 0.25)
        '+1.0 pts'
        >>> format_kpi_change("currency", 120.0, 0.042)
        '+4.2%'
        >>> format_kpi_change("percent", -0.026, None)
        '−2.6 pts'
    """
    if unit != "percent":
        return format_change(change_pct)
    return _signed_percent(change, " pts")


def _signed_percent(fraction: Any, suffix: str) -> str:
    """A fraction as signed hundredths with one decimal: ``+4.2%``, ``−2.6 pts``; 0 unsigned."""
    if is_empty(fraction):
        return EMPTY
    number = _number(fraction, "a change")
    text = f"{abs(number) * 100:.1f}{suffix}"
    if text.startswith("0.0") and text[3:] == suffix:
        return text
    return ("+" if number > 0 else MINUS) + text


def format_segment(value: Any) -> str:
    """A segment value (a channel, a region, true/false) as a label; missing shows ``(missing)``.

    Example:
        >>> format_segment("north")
        'north'
        >>> format_segment(None)
        '(missing)'
        >>> format_segment(float("nan"))
        '(missing)'
    """
    if is_empty(value):
        return MISSING_SEGMENT
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return "true" if value else "false"  # the spelling of the spec's filters
    return str(value)


def format_target(target: Any, unit: str, by: Any = None) -> str:
    """A target with its time frame: ``1,500,000 by 2026-12-31``; ``–`` when there is none.

    ``target`` is a number (with ``by``, its end date) or a spec :class:`~kpikit.spec.Target`,
    shown in the words of its form: a level with its pacing baseline, per-period values, a change
    against an earlier period, or a range.

    Example:
        >>> format_target(0.05, "percent", "2026-12-31")
        '5.0% by 2026-12-31'
        >>> format_target(4.0, "ratio")
        '4.00'
        >>> format_target(float("nan"), "count")
        '–'
        >>> format_target(Target(change=0.2, vs="year_ago"), "currency")
        '+20% vs year ago'
        >>> format_target(Target(min=4.5, max=4.8), "score")
        '4.5 to 4.8'
        >>> format_target(Target(per_period={"2026-10": 1.1e6, "2026-11": 1.3e6}), "currency")
        'per month: 1.1M (2026-10), 1.3M (2026-11)'
    """
    if isinstance(target, Target):
        return _describe(target, unit)
    if is_empty(target):
        return EMPTY
    text = format_value(target, unit)
    if not is_empty(by):
        text += f" by {by.isoformat() if hasattr(by, 'isoformat') else by}"
    return text


#: Per-period targets shown in full up to this many periods; more end with "and N more".
_PER_PERIOD_SHOWN = 4


def _describe(target: Target, unit: str) -> str:
    """A spec target in words (see :func:`format_target`)."""
    by = f" by {target.by.isoformat()}" if target.by is not None else ""
    kind = target.kind
    if kind == "per_period":
        from kpikit.periods import grain_of

        grains = {grain_of(label) for label in target.per_period}
        head = f"per {grains.pop()}" if len(grains) == 1 else "per period"
        items = [
            f"{format_value(v, unit, compact=abs(v) >= 1e4)} ({label})"
            for label, v in list(target.per_period.items())[:_PER_PERIOD_SHOWN]
        ]
        more = len(target.per_period) - _PER_PERIOD_SHOWN
        return f"{head}: " + ", ".join(items) + (f" and {more} more" if more > 0 else "")
    if kind == "relative":
        assert target.change is not None
        vs = "year ago" if target.vs == "year_ago" else "previous period"
        change = _signed_percent(target.change, "%").replace(".0%", "%")
        return f"{change} vs {vs}" + (f" until {target.by.isoformat()}" if target.by else "")
    if kind == "range":
        return f"{format_value(target.min, unit)} to {format_value(target.max, unit)}" + (
            f" until {target.by.isoformat()}" if target.by else ""
        )
    text = format_value(target.value, unit) + by
    if target.start is not None:
        shape = ", seasonal" if target.shape == "seasonal" else ""
        text += f" (from {target.start}{shape})"
    return text


# ------------------------------------------------------------------------------------- statuses

#: How each review status reads, in the order of the scorecard's legend.
STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_target": "No target",
    "insufficient_data": "Too little data",
}
#: One colour per status for tables and figures, from the Okabe-Ito palette (distinguishable with
#: the common kinds of colour blindness); every status is also written out, never colour alone.
STATUS_COLORS = {
    "achieved": "#009E73",
    "on_track": "#0072B2",
    "at_risk": "#E69F00",
    "off_track": "#D55E00",
    "no_target": "#BBBBBB",
    "insufficient_data": "#DDDDDD",
}
#: The text colour that reads on each status colour (contrast ratio 4.5 or more).
STATUS_INK = {
    "achieved": "#000000",
    "on_track": "#FFFFFF",
    "at_risk": "#000000",
    "off_track": "#000000",
    "no_target": "#000000",
    "insufficient_data": "#000000",
}


def format_status(status: Any) -> str:
    """A review status as people read it: ``On track``; ``–`` when empty.

    Example:
        >>> format_status("at_risk")
        'At risk'
        >>> format_status(None)
        '–'
    """
    if is_empty(status):
        return EMPTY
    return STATUS_LABELS.get(str(status), str(status).replace("_", " "))


def format_probability(probability: Any) -> str:
    """A probability as a whole percent, with ``<1%`` and ``>99%`` at the ends.

    A forecast's 0.3% and 99.8% are not certainties; whole percents say as much as the method
    knows.

    Example:
        >>> format_probability(0.724), format_probability(0.003), format_probability(1.0)
        ('72%', '<1%', '100%')
        >>> format_probability(float("nan"))
        '–'
    """
    if is_empty(probability):
        return EMPTY
    number = _number(probability, "a probability")
    if number in (0.0, 1.0):
        return f"{number:.0%}"
    if number < 0.01:
        return "<1%"
    if number > 0.99:
        return ">99%"
    return f"{number:.0%}"
