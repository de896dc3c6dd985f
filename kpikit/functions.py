"""Python KPIs: functions registered by name, for calculations that are not aggregations.

A spec KPI with ``python: <name>`` (and a ``source:``) is computed by the function registered
under that name. Register one with the :func:`kpi_function` decorator, or ship it in a package
through the entry-point group ``kpikit.kpi_functions`` (loaded only when a spec names a function
that is not registered yet). kpikit's own functions (``customer_retention``, ``customer_churn``,
``employee_turnover``, ``employee_retention``) are in :mod:`kpikit._builtin_functions`.

The function receives one :class:`KpiContext` and returns a pandas DataFrame with the columns
``period``, the segment columns (``ctx.by``), ``value`` and optionally ``numerator`` and
``denominator``: one row per period (of ``ctx.periods``) and segment. See the "Python KPIs"
section of ``docs/kpi-spec.md``.

This module imports only the standard library; the engine side is :mod:`kpikit._python_kpis`.

Example:
    >>> import kpikit
    >>> @kpikit.kpi_function("orders_per_customer", columns=("customer_id",), replace=True)
    ... def orders_per_customer(ctx):
    ...     rows = ctx.rows.assign(period=ctx.label(ctx.rows[ctx.time]))
    ...     counts = rows.groupby(["period", *ctx.by], dropna=False).agg(
    ...         numerator=("customer_id", "size"), denominator=("customer_id", "nunique"))
    ...     return counts.assign(value=counts.numerator / counts.denominator).reset_index()
    >>> "orders_per_customer" in kpikit.functions.function_names()
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpikit.errors import FunctionError, ParameterError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Calendar, Kpi

__all__ = [
    "ENTRY_POINT_GROUP",
    "KpiContext",
    "KpiFunction",
    "find_function",
    "function_names",
    "get_function",
    "kpi_function",
]

#: The entry-point group other packages use to provide KPI functions (name = function name).
ENTRY_POINT_GROUP = "kpikit.kpi_functions"

_REGISTRY: dict[str, KpiFunction] = {}
_BUILTINS_LOADED = False


@dataclass(frozen=True)
class KpiFunction:
    """A registered KPI function: its name, the callable and the canonical columns it reads."""

    name: str
    func: Callable[[KpiContext], pd.DataFrame]
    columns: tuple[str, ...] = ()
    description: str = ""
    dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class KpiContext:
    """What a KPI function receives.

    Attributes:
        kpi: the spec's :class:`~kpikit.spec.Kpi`.
        rows: every row of the source (not cut by ``start``/``end``: a retention needs the
            periods before), after the KPI's ``filter:``, with the ``columns:`` mapping applied
            (canonical names), the time column as ``datetime64`` and sorted by time. When the
            function declares ``columns=``, only those, the time and the ``by`` columns. A copy:
            the function may change it.
        time: the name of the time column in ``rows``.
        periods: the periods to compute, in order: ``period`` (label, e.g. ``2026-11``),
            ``start`` and ``end`` (Timestamps, ``end`` exclusive: the next period's start).
        grain: ``day``, ``week``, ``month``, ``quarter`` or ``year``.
        by: the segment column names (in ``rows`` under these names).
        span: the first and last timestamp of the whole source (before the filter), so a
            function can tell a period without data from a period before the data begins.
        calendar: the spec's :class:`~kpikit.spec.Calendar` (fiscal year start, week start),
            which :meth:`label` and :meth:`previous` follow.
    """

    kpi: Kpi
    rows: pd.DataFrame
    time: str
    periods: pd.DataFrame
    grain: str
    by: tuple[str, ...] = ()
    span: tuple[Any, Any] = (None, None)
    calendar: Calendar | None = None

    def label(self, times: pd.Series) -> pd.Series:
        """The label of the period of ``grain`` each timestamp falls in (missing where NaT).

        Any timestamp gets a label, also outside ``periods`` (a retention looks one period back).

        Example:
            >>> rows = ctx.rows.assign(period=ctx.label(ctx.rows[ctx.time]))  # doctest: +SKIP
        """
        from kpikit import periods

        days = times.dt.normalize()
        calendar = self.calendar or periods.DEFAULT_CALENDAR
        names = {
            day: periods.label(day.date(), self.grain, calendar) for day in days.dropna().unique()
        }
        return days.map(names).astype("object")

    def previous(self, label: str, n: int = 1) -> str:
        """The label ``n`` periods before ``label`` (after it when ``n`` is negative).

        Example:
            >>> ctx.previous("2026-01")  # doctest: +SKIP
            '2025-12'
        """
        from kpikit import periods

        return periods.previous(label, n)


def kpi_function(
    name: str,
    *,
    columns: tuple[str, ...] | list[str] = (),
    dates: tuple[str, ...] | list[str] = (),
    replace: bool = False,
) -> Callable[[Callable[[KpiContext], Any]], Callable[[KpiContext], Any]]:
    """Register a function as the KPI function ``name`` (a decorator; the function is unchanged).

    Args:
        name: the name a spec uses in ``python: <name>``.
        columns: the canonical columns the function reads from ``ctx.rows``; ``kpikit lint``
            checks that the source has them, after the KPI's ``columns:`` mapping.
        dates: canonical columns (among ``columns``) whose dates are events too, beside the
            source's ``time:`` column: the periods computed, and whether the data covers a
            period (``complete``), run from the earliest to the latest date in any of them. An
            employee table timed by ``hire_date`` declares ``termination_date`` so that periods
            after the last hire are computed.
        replace: allow replacing a function already registered under ``name``.

    Raises:
        ParameterError: ``name`` is not a valid name or is taken (and ``replace`` is False).

    Example:
        >>> import kpikit
        >>> @kpikit.kpi_function("first_orders", columns=["customer_id"], replace=True)
        ... def first_orders(ctx):
        ...     rows = ctx.rows.drop_duplicates("customer_id")  # rows are sorted by time
        ...     rows = rows.assign(period=ctx.label(rows[ctx.time]))
        ...     return rows.groupby(["period", *ctx.by]).size().rename("value").reset_index()
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(
            "a KPI function name must be a Python-style identifier",
            expected="letters, digits and _, e.g. employee_turnover",
            found=repr(name),
        )
    _load_builtins()

    def register(func: Callable[[KpiContext], Any]) -> Callable[[KpiContext], Any]:
        if not callable(func):
            raise ParameterError(
                f"kpi_function('{name}') decorates a function",
                expected="a function taking one KpiContext",
                found=type(func).__name__,
            )
        if name in _REGISTRY and not replace and _REGISTRY[name].func is not func:
            raise ParameterError(
                f"a KPI function named '{name}' is already registered",
                expected="a new name",
                found=name,
                hint="pass replace=True to kpi_function() to replace it",
            )
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = KpiFunction(
            name, func, tuple(columns), doc[0] if doc else "", tuple(dates)
        )
        return func

    return register


def function_names() -> list[str]:
    """The names of the registered KPI functions (built-in and user), sorted.

    Example:
        >>> "employee_turnover" in function_names()
        True
    """
    _load_builtins()
    return sorted(_REGISTRY)


def find_function(name: str) -> KpiFunction | None:
    """The function registered as ``name``, loading its entry point if needed; None if none.

    Example:
        >>> find_function("customer_churn").columns
        ('customer_id',)
    """
    _load_builtins()
    if name not in _REGISTRY:
        for entry in _entry_points():
            if entry.name == name:
                loaded = entry.load()  # importing may register it with @kpi_function
                if name not in _REGISTRY and callable(loaded):
                    kpi_function(name, columns=getattr(loaded, "kpikit_columns", ()))(loaded)
                break
    return _REGISTRY.get(name)


def get_function(name: str) -> KpiFunction:
    """The function registered as ``name``; a KpikitError with a did-you-mean hint if none.

    Example:
        >>> get_function("employee_turnover").name
        'employee_turnover'
    """
    found = find_function(name)
    if found is None:
        raise FunctionError(f"no KPI function named '{name}'", **unknown_details(name))
    return found


def unknown_details(name: str) -> dict[str, str]:
    """``expected`` and ``hint`` for an unknown function name (registered + entry points)."""
    names = sorted(set(function_names()) | {e.name for e in _entry_points()})
    return {
        "expected": "one of " + ", ".join(names),
        "hint": did_you_mean(name, names)
        or f"register it with @kpikit.kpi_function('{name}') before loading the spec, "
        f"or install the package that provides it (entry-point group {ENTRY_POINT_GROUP})",
    }


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        import kpikit._builtin_functions  # noqa: F401  (registers on import)


def _unregister(name: str) -> None:
    """Remove a registered function (for tests)."""
    _REGISTRY.pop(name, None)
