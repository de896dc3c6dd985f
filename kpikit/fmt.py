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
from typing import TYPE_CHECKING, Any

from kpikit.errors import ParameterError, did_you_mean
from kpikit.spec import KPI_TYPES, UNITS

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi, Spec

__all__ = [
    "EMPTY",
    "MINUS",
    "MISSING_SEGMENT",
    "NO_OBJECTIVE",
    "SCORECARD_TABLE_COLUMNS",
    "format_change",
    "format_segment",
    "format_target",
    "format_value",
    "is_empty",
    "kpi_table",
    "objective_groups",
    "objective_table",
    "scorecard_table",
    "types_table",
]

#: Shown for an empty value: no data, a zero denominator, or no previous period to compare with.
EMPTY = "–"
#: The minus sign used for negative numbers (U+2212, not a hyphen).
MINUS = "−"
#: Shown for a segment whose value is missing in the data.
MISSING_SEGMENT = "(missing)"
#: The columns of :func:`scorecard_table`, in order.
SCORECARD_TABLE_COLUMNS = ("Objective", "KPI", "Value", "Previous", "Change", "Target")
#: Objective shown for KPIs that serve no objective.
NO_OBJECTIVE = "(no objective)"

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
    if is_empty(change_pct):
        return EMPTY
    number = _number(change_pct, "a change")
    text = f"{abs(number) * 100:.1f}%"
    if text == "0.0%":
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

    Example:
        >>> format_target(0.05, "percent", "2026-12-31")
        '5.0% by 2026-12-31'
        >>> format_target(4.0, "ratio")
        '4.00'
        >>> format_target(float("nan"), "count")
        '–'
    """
    if is_empty(target):
        return EMPTY
    text = format_value(target, unit)
    if not is_empty(by):
        text += f" by {by.isoformat() if hasattr(by, 'isoformat') else by}"
    return text


def scorecard_table(scorecard: pd.DataFrame) -> pd.DataFrame:
    """A scorecard as display text, grouped by objective: for the report template and the CLI.

    Args:
        scorecard: the frame :func:`kpikit.scorecard` returns (one row per KPI, in spec order).

    Returns:
        A new frame of strings with the columns Objective, KPI, Value, Previous, Change and
        Target. Objectives keep the order in which they first appear (spec order); KPIs that serve
        no objective come last, under ``(no objective)``. The objective's title is written on
        the first row of its group only. The input is not changed.

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({
        ...     "kpi": ["revenue", "nps", "roas"], "name": ["Revenue", "NPS", "ROAS"],
        ...     "objective": ["grow", None, "grow"],
        ...     "objective_title": ["Grow sales", None, "Grow sales"],
        ...     "unit": ["currency", "score", "ratio"],
        ...     "value": [1234567.0, 41.0, 4.2], "previous": [1200000.0, 40.0, 4.5],
        ...     "change_pct": [0.0288, 0.025, -0.0667],
        ...     "target": [1.5e6, float("nan"), 4.0], "target_by": ["2026-12-31", None, None]})
        >>> print(scorecard_table(card).to_string(index=False))
             Objective     KPI     Value  Previous Change                  Target
            Grow sales Revenue 1,234,567 1,200,000  +2.9% 1,500,000 by 2026-12-31
                          ROAS      4.20      4.50  −6.7%                    4.00
        (no objective)     NPS      41.0      40.0  +2.5%                       –
    """
    import pandas as pd

    rows = [
        {
            "Objective": "" if i else title,
            "KPI": str(record["name"]),
            "Value": format_value(record["value"], record["unit"]),
            "Previous": format_value(record["previous"], record["unit"]),
            "Change": format_change(record["change_pct"]),
            "Target": format_target(record.get("target"), record["unit"], record.get("target_by")),
        }
        for _, title, records in objective_groups(scorecard)
        for i, record in enumerate(records)
    ]
    return pd.DataFrame(rows, columns=list(SCORECARD_TABLE_COLUMNS), dtype="str")


def objective_groups(
    scorecard: pd.DataFrame,
) -> list[tuple[str | None, str, list[dict[str, Any]]]]:
    """A scorecard's rows grouped by objective: ``(objective id, title, rows)``.

    Objectives keep the order in which they first appear (spec order); KPIs that serve no
    objective come last, with id None and the title ``(no objective)``.

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({"kpi": ["a", "b", "c"], "name": ["A", "B", "C"],
        ...     "objective": ["o2", None, "o2"], "objective_title": ["Two", None, "Two"],
        ...     "unit": ["count"] * 3, "value": [1.0] * 3, "previous": [1.0] * 3,
        ...     "change_pct": [0.0] * 3})
        >>> [(oid, title, [r["kpi"] for r in rows]) for oid, title, rows in objective_groups(card)]
        [('o2', 'Two', ['a', 'c']), (None, '(no objective)', ['b'])]
    """
    missing = [c for c in ("name", "unit", "value", "previous", "change_pct") if c not in scorecard]
    if missing:
        raise ParameterError(
            "not a scorecard frame",
            expected="the columns of kpikit.scorecard()",
            found="no column " + ", ".join(repr(c) for c in missing),
            hint="pass the frame returned by kpikit.scorecard(spec, period=...)",
        )
    groups: dict[str | None, tuple[str, list[dict[str, Any]]]] = {}
    for raw in scorecard.to_dict("records"):
        record = {str(name): value for name, value in raw.items()}
        objective, title = record.get("objective"), record.get("objective_title")
        key = None if is_empty(objective) else str(objective)
        label = NO_OBJECTIVE if key is None else key if is_empty(title) else str(title)
        groups.setdefault(key, (label, []))[1].append(record)
    order = [k for k in groups if k is not None] + ([None] if None in groups else [])
    return [(k, groups[k][0], groups[k][1]) for k in order]


def _direction(kpi: Kpi) -> str:
    return "up (higher is better)" if kpi.direction == "up" else "down (lower is better)"


def objective_table(spec: Spec) -> pd.DataFrame:
    """A spec's objectives as display text: title, owner, description and the KPIs serving each.

    Example:
        >>> objective_table(kpikit.load_spec("data/kpis.yml")).columns.tolist()  # doctest: +SKIP
        ['Objective', 'Owner', 'Description', 'KPIs']
    """
    import pandas as pd

    rows = [
        {
            "Objective": objective.title,
            "Owner": objective.owner or EMPTY,
            "Description": objective.description or EMPTY,
            "KPIs": ", ".join(k.name for k in spec.kpis_for(objective.id)) or EMPTY,
        }
        for objective in spec.objectives.values()
    ]
    return pd.DataFrame(rows, columns=["Objective", "Owner", "Description", "KPIs"], dtype="str")


def kpi_table(spec: Spec, *, objective: str | None = None) -> pd.DataFrame:
    """A spec's KPIs as display text, in spec order; only one objective's when ``objective``.

    Columns: KPI (name), Id, Definition (the formula), Unit, Direction, Target (with its date),
    Cadence and Types.

    Raises:
        ParameterError: ``objective`` is not an objective id of the spec.
    """
    import pandas as pd

    if objective is not None and objective not in spec.objectives:
        raise ParameterError(
            f"no objective {objective!r} in {spec.path.name}",
            expected="one of " + ", ".join(spec.objectives),
            found=repr(objective),
            hint=did_you_mean(str(objective), spec.objectives),
        )
    kpis = spec.kpis_for(objective) if objective is not None else list(spec.kpis.values())
    columns = ["KPI", "Id", "Definition", "Unit", "Direction", "Target", "Cadence", "Types"]
    rows = [
        {
            "KPI": kpi.name,
            "Id": kpi.id,
            "Definition": kpi.definition,
            "Unit": kpi.unit,
            "Direction": _direction(kpi),
            "Target": format_target(kpi.target.value, kpi.unit, kpi.target.by)
            if kpi.target
            else EMPTY,
            "Cadence": kpi.cadence or EMPTY,
            "Types": ", ".join(kpi.types) or EMPTY,
        }
        for kpi in kpis
    ]
    return pd.DataFrame(rows, columns=columns, dtype="str")


def types_table(spec: Spec) -> pd.DataFrame:
    """The twelve KPI types (descriptors), each with the spec's KPIs that carry it.

    A KPI usually carries several types; a type no KPI carries shows ``–``.
    """
    import pandas as pd

    rows = [
        {
            "Type": kind,
            "KPIs": ", ".join(k.name for k in spec.kpis.values() if kind in k.types) or EMPTY,
        }
        for kind in KPI_TYPES
    ]
    return pd.DataFrame(rows, columns=["Type", "KPIs"], dtype="str")
