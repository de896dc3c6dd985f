"""Read a KPI's ``window:`` key: ``{periods: N}``, ``{to_date: unit}`` or ``all``.

Spec-layer code (stdlib only): :func:`read_window` turns the YAML value into a
:class:`~kpikit.spec.Window` or says what is wrong; :func:`window_fits` says whether a grain can
carry a ``to_date`` window. The engine's side is :mod:`kpikit._windows`.

Example:
    >>> read_window({"periods": 3})
    Window(periods=3, to_date=None)
    >>> window_fits("to_date: quarter", "month"), window_fits("to_date: month", "quarter")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpikit.errors import did_you_mean
from kpikit.spec import TO_DATE_UNITS, Window

__all__ = ["CADENCE_GRAINS", "WindowProblem", "nesting_units", "read_window", "window_fits"]

#: The grain each review cadence is computed at.
CADENCE_GRAINS = {
    "daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year",
}  # fmt: skip
# The to_date units whose periods are whole numbers of periods of each grain. Weeks do not fit
# in months or quarters; a week's year is its ISO year (the year in its label, 2026-W01).
_NESTS = {
    "day": ("week", "month", "quarter", "year"),
    "week": ("year",),
    "month": ("quarter", "year"),
    "quarter": ("year",),
    "year": (),
}
_FORMS = "{periods: N}, {to_date: week|month|quarter|year} or all"


class WindowProblem(ValueError):
    """The ``window:`` value cannot be read: ``args[0]`` says why, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def read_window(raw: Any) -> Window:
    """The window a ``window:`` value describes; WindowProblem if it describes none.

    Example:
        >>> read_window("all"), read_window({"to_date": "year"}).text
        (Window(periods=None, to_date=None), 'to_date: year')
    """
    if isinstance(raw, str) and raw.strip() == "all":
        return Window()
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        hint = did_you_mean(str(raw), ("all",))
        if isinstance(raw, int):
            hint = f"write window: {{periods: {raw}}} for the trailing {raw} periods"
        raise WindowProblem(f"expected {_FORMS}, found {raw!r}", hint)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        found = "a mapping with " + ", ".join(map(str, raw)) if isinstance(raw, Mapping) else raw
        raise WindowProblem(
            f"expected {_FORMS}, found {found if isinstance(found, str) else repr(found)}",
            "give one of periods or to_date, e.g. window: {periods: 3}",
        )
    key, value = next(iter(raw.items()))
    if key == "periods":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise WindowProblem(
                f"expected a whole number of periods, 1 or more, found {value!r}",
                "e.g. window: {periods: 3} for a trailing three periods",
            )
        return Window(periods=value)
    if key == "to_date":
        if value not in TO_DATE_UNITS:
            raise WindowProblem(
                f"expected to_date: {'|'.join(TO_DATE_UNITS)}, found {value!r}",
                did_you_mean(str(value), TO_DATE_UNITS) or "e.g. window: {to_date: year}",
            )
        return Window(to_date=str(value))
    raise WindowProblem(
        f"unknown key '{key}' in window",
        did_you_mean(str(key), ("periods", "to_date")) or f"write {_FORMS}",
    )


def nesting_units(grain: str) -> tuple[str, ...]:
    """The ``to_date`` units made of whole periods of ``grain`` (coarser, and aligned).

    Example:
        >>> nesting_units("week")
        ('year',)
    """
    return _NESTS[grain]


def window_fits(text: str, grain: str) -> bool:
    """False for a ``to_date`` window whose unit is not made of whole periods of ``grain``."""
    if not text.startswith("to_date: "):
        return True
    return text.removeprefix("to_date: ") in _NESTS[grain]
