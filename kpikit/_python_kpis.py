"""Compute Python KPIs (``python: <function>``) for the engine.

A Python KPI's function runs in pandas, in this process, on ALL the rows of its source: on the
Polars, DuckDB or Spark backends the source (after the KPI's ``filter:``) is collected to pandas
first, so these KPIs run on one machine. The engine calls :func:`compute_python` for each source
after its aggregations; the rows it returns have the engine's columns, so formulas, ``compare=``,
``complete`` and ``by=`` treat Python KPIs like any other KPI.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit import periods
from kpikit._data import check_columns, filter_expr, prepare, to_pandas
from kpikit.errors import DataError, FunctionError, did_you_mean
from kpikit.functions import KpiContext, KpiFunction, get_function

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Calendar, Kpi, Source

__all__ = ["compute_python"]

Span = tuple[dt.date | None, dt.date | None]
_RATIO = ("value", "numerator", "denominator")


def compute_python(
    source: Source,
    kpis: list[Kpi],
    native: Any,
    grain: str,
    segments: list[str],
    days: Span,
    calendar: Calendar = periods.DEFAULT_CALENDAR,
) -> tuple[list[pd.DataFrame], Span]:
    """Rows ``kpi, period, <segments>, value, numerator, denominator`` for each Python KPI.

    Each function is given the periods of ``grain`` from the source's first to its last day,
    cut to ``days`` (the engine's ``start``/``end`` and look-back), and every row of the source.
    Returns the frames and the first and last day of the whole source.
    """
    import pandas as pd

    for kpi in kpis:
        needed = list(kpi.columns.values()) + sorted(_filter_columns(kpi))
        check_columns(native, needed, source.id, f"KPI '{kpi.id}'")
    frame = prepare(source, native)
    schema = frame.collect_schema()
    wanted = _columns_read(source, kpis, segments)
    if wanted is not None:  # collect only what the functions read (they all declare it)
        frame = frame.select(*[name for name in schema.names() if name in wanted])
    rows = to_pandas(frame)
    for name in segments:  # segment columns typed as the engine types them
        if schema[name].is_integer():
            rows[name] = rows[name].astype("float64" if rows[name].isna().any() else "int64")
        elif rows[name].dtype == object:
            rows[name] = rows[name].where(rows[name].notna(), float("nan"))
    rows = rows.sort_values(source.time, kind="stable", na_position="last", ignore_index=True)
    times = rows[source.time].dropna()
    span: Span = (None, None)
    if len(times):
        span = _widened((times.iloc[0].date(), times.iloc[-1].date()), rows, kpis)
    table = _periods(span, days, grain, calendar)
    out = []
    for kpi in kpis:
        assert kpi.python is not None
        function = get_function(kpi.python)
        chosen = rows
        if kpi.filter is not None:
            where = f"KPI '{kpi.id}' (source '{source.id}')"
            mask = filter_expr(kpi.filter, schema, where)
            chosen = nw.from_native(rows).filter(mask).to_native().reset_index(drop=True)
        context = KpiContext(
            kpi=kpi,
            rows=_canonical(chosen, kpi, segments),
            time=_renamed(kpi).get(source.time, source.time),
            periods=table.copy(),
            grain=grain,
            by=tuple(segments),
            span=(times.iloc[0], times.iloc[-1]) if len(times) else (None, None),
            calendar=calendar,
        )
        _check_canonical(function, kpi, context.rows, source)
        if table.empty:
            continue
        try:
            result = function.func(context)
        except Exception as exc:
            exc.add_note(f"raised by KPI function '{function.name}' computing KPI '{kpi.id}'")
            raise
        out.append(_validated(result, function, kpi, segments, list(table["period"])))
    if not out:
        columns = ["kpi", "period", *segments, *_RATIO]
        out.append(pd.DataFrame({name: pd.Series(dtype="float64") for name in columns}))
    return out, span


def _widened(span: Span, rows: pd.DataFrame, kpis: list[Kpi]) -> Span:
    """The span stretched to the dates in the columns the KPIs' functions declare as ``dates``."""
    import pandas as pd

    first, last = span
    for kpi in kpis:
        assert kpi.python is not None
        for canonical in get_function(kpi.python).dates:
            column = kpi.columns.get(canonical, canonical)
            if column not in rows:
                continue
            days = pd.to_datetime(rows[column], errors="coerce").dropna()
            if len(days):
                low, high = days.min().date(), days.max().date()
                first = low if first is None else min(first, low)
                last = high if last is None else max(last, high)
    return first, last


def _columns_read(source: Source, kpis: list[Kpi], segments: list[str]) -> set[str] | None:
    """The source columns the KPIs' functions read, or None when one of them may read any."""
    wanted = {source.time, *segments}
    for kpi in kpis:
        assert kpi.python is not None
        function = get_function(kpi.python)
        if not function.columns:
            return None
        wanted |= _filter_columns(kpi) | {kpi.columns.get(c, c) for c in function.columns}
    return wanted


def _filter_columns(kpi: Kpi) -> set[str]:
    from kpikit._expr import columns

    return columns(kpi.filter) if kpi.filter is not None else set()


def _renamed(kpi: Kpi) -> dict[str, str]:
    """Source column -> canonical name, from the KPI's ``columns: {canonical: source column}``."""
    return {column: canonical for canonical, column in kpi.columns.items()}


def _canonical(rows: pd.DataFrame, kpi: Kpi, segments: list[str]) -> pd.DataFrame:
    """A copy of ``rows`` with canonical column names; segment columns keep their own names."""
    renamed = _renamed(kpi)
    clashes = [c for c in renamed.values() if c in rows.columns and c not in renamed]
    out = rows.drop(columns=clashes).rename(columns=renamed)  # mapped names win
    for name in segments:
        if name not in out.columns:  # a segment column that the mapping renamed
            out[name] = rows[name]
    return out


def _check_canonical(function: KpiFunction, kpi: Kpi, rows: pd.DataFrame, source: Source) -> None:
    for name in function.columns:
        if name not in rows.columns:
            raise DataError(
                f"KPI '{kpi.id}': function '{function.name}' needs a column '{name}', "
                f"and source '{source.id}' has none",
                expected=f"a column '{name}' in the source, or mapped under columns:",
                found=", ".join(map(str, rows.columns)),
                hint=f"add columns: {{{name}: <your column>}} to KPI '{kpi.id}'",
            )


def _periods(span: Span, days: Span, grain: str, calendar: Calendar) -> pd.DataFrame:
    """The periods to compute: the source's span cut to ``days``, with start and end (exclusive)."""
    import pandas as pd

    first = max(d for d in (span[0], days[0]) if d is not None) if span[0] else None
    last = min(d for d in (span[1], days[1]) if d is not None) if span[1] else None
    if first is None or last is None or last < first:
        labels: list[str] = []
    else:
        labels = periods.period_range(
            periods.label(first, grain, calendar), periods.label(last, grain, calendar)
        )
    bounds = [periods.parse_period(label, calendar) for label in labels]
    return pd.DataFrame(
        {
            "period": pd.Series(labels, dtype="object"),
            "start": pd.to_datetime([b[1] for b in bounds]).as_unit("us"),
            "end": pd.to_datetime([b[2] + dt.timedelta(days=1) for b in bounds]).as_unit("us"),
        }
    )


def _validated(
    result: Any, function: KpiFunction, kpi: Kpi, segments: list[str], labels: list[str]
) -> pd.DataFrame:
    """The function's result as engine rows, or a FunctionError saying what is wrong with it."""
    import pandas as pd

    who = f"KPI function '{function.name}' (KPI '{kpi.id}')"
    wanted = ["period", *segments, "value"]
    shape = ", ".join([*wanted, "numerator", "denominator"])
    if not isinstance(result, pd.DataFrame):
        raise FunctionError(
            f"{who} returned {type(result).__name__}",
            expected=f"a pandas DataFrame with columns {shape} (the last two optional)",
            found=type(result).__name__,
            hint="return one row per period and segment",
        )
    present = [str(c) for c in result.columns]
    for name in wanted:
        if name not in present:
            raise FunctionError(
                f"{who} returned no column '{name}'",
                expected=f"columns {shape} (the last two optional)",
                found=", ".join(present) or "no columns",
                hint=did_you_mean(name, present)
                or ("group by ctx.by" if name in segments else "add the column"),
            )
    extra = [c for c in present if c not in (*wanted, "numerator", "denominator")]
    if extra:
        raise FunctionError(
            f"{who} returned an unexpected column '{extra[0]}'",
            expected=f"only {shape}",
            found=", ".join(present),
            hint=did_you_mean(extra[0], [*wanted, "numerator", "denominator"])
            or "drop the helper columns before returning",
        )
    period = result["period"].astype("object")
    unknown = sorted({str(p) for p in period if p not in labels})
    if unknown:
        raise FunctionError(
            f"{who} returned a period it was not asked for: {unknown[0]!r}",
            expected=f"labels from ctx.periods ({labels[0]} .. {labels[-1]})",
            found=", ".join(unknown[:3]) + (" ..." if len(unknown) > 3 else ""),
            hint="label rows with ctx.label() and keep only ctx.periods['period']",
        )
    keys = result[["period", *segments]]
    if keys.duplicated().any():
        twice = keys[keys.duplicated()].iloc[0].tolist()
        raise FunctionError(
            f"{who} returned two rows for the same period and segment",
            expected="one row per period and segment",
            found=", ".join(map(str, twice)),
            hint="aggregate with groupby(['period', *ctx.by])",
        )
    numbers = {}
    for name in _RATIO:
        if name not in present:
            numbers[name] = pd.Series(float("nan"), index=result.index)
            continue
        values = result[name]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            converted = pd.to_numeric(values, errors="coerce")
            bad = values[converted.isna() & values.notna()]
            if len(bad) or pd.api.types.is_bool_dtype(values):
                raise FunctionError(
                    f"{who} returned a column '{name}' that does not hold numbers",
                    expected="numbers (NaN where there is no value)",
                    found=f"{values.dtype} values such as {values.iloc[0]!r}",
                    hint="return floats",
                )
            values = converted
        numbers[name] = values.astype("float64")
    value = numbers["value"]
    value = value.where(value.abs() != float("inf"))  # never infinity: empty instead
    return pd.DataFrame(
        {
            "kpi": kpi.id,
            "period": period.astype("str"),
            **{s: result[s] for s in segments},
            "value": value,
            "numerator": numbers["numerator"],
            "denominator": numbers["denominator"],
        }
    ).reset_index(drop=True)
