"""Compute KPIs from a spec: one tidy row per KPI, period and segment.

The engine is written on narwhals, so the same code runs on every backend: pandas (the
default), Polars, DuckDB and Spark (``backend=``; see :mod:`kpikit._backends` and
``docs/backends.md``). For each source it makes ONE pass: it selects the period key, the segment
columns and one prepared column per distinct (measure, filter) pair, groups once and aggregates
with sums, counts, means, mins, maxes, medians and quantiles (conditional aggregation: a KPI's
filter becomes ``when(filter).then(column)``). Only the few aggregated rows reach Python, where
periods are labelled and ratios divided, so the result is the same pandas table whatever the
backend. On DuckDB those last steps run in plain Python when none needs pandas, so the
``kpikit compute`` command does not import it (:mod:`kpikit._rows`). KPIs with a ``window:`` are
combined from their per-period parts (:mod:`kpikit._windows`; non-additive ones take one more
pass over the windows' rows), and ``top=`` gathers the smaller segments as ``other``
(:mod:`kpikit._top`).

Rules the result keeps:

- A ratio KPI is Σ numerator / Σ denominator within each period and segment, never a mean of row
  ratios. A zero or missing denominator gives value NaN (numerator and denominator are still
  reported, so the reader sees why), never 0 or infinity.
- Rows whose segment value is missing (empty, or NaN in a column of numbers) form one segment of
  their own (NA in the segment column), so additive KPIs summed over segments equal the
  ungrouped total.
- A timestamp belongs to its calendar day: in its source's ``timezone`` when the spec gives one
  (see :mod:`kpikit._time`), else in its own time zone. Weeks, quarters and years follow the
  spec's ``calendar`` (Sunday weeks, fiscal quarters and years).
- Time spine: every period from the first day of a KPI's source to its last (cut to ``start`` and
  ``end`` when given) is in the result, with every segment seen in that range. A period without
  rows, or without rows matching a KPI's filter, gives 0 for sums and counts (additive KPIs) and
  NaN for everything else (means, mins, maxes, and ratios, whose denominator is then 0).
- Filters use SQL logic for missing values: ``region != 'north'`` does not match a row without a
  region; ``region is null`` (or ``in (..., null)``) selects those rows.
- Rows without a time are left out of every period, with a warning.
- With ``by=`` and no ``kpis=``, KPIs whose source lacks a segment column are left out, with a
  :class:`~kpikit.errors.KpikitWarning`; KPIs named in ``kpis=`` must all have the column.

Example:
    >>> import kpikit
    >>> kpikit.compute("data/kpis.yml", grain="quarter", kpis=["revenue"]).head(2)  # doctest: +SKIP
           kpi   period  complete       value  numerator  denominator
    0  revenue  2023-Q4     False   946150.87        NaN          NaN
    1  revenue  2024-Q1      True  2039692.64        NaN          NaN
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import narwhals as nw

from kpikit import _rows, periods
from kpikit._backends import get_backend, read_source
from kpikit._collect import collect
from kpikit._compare import add_comparisons, parse_compare
from kpikit._data import (
    check_columns,
    column_names,
    datetime_lit,
    filter_expr,
    prepare,
    to_pandas,
)
from kpikit._derived import evaluate, inputs_of, max_lag
from kpikit._expr import Measure, Node, columns
from kpikit._formula import references
from kpikit._rows import Rows
from kpikit._time import fill_spine, fiscal_key, key_day, spine_labels
from kpikit._top import check_top, gather_other
from kpikit._windows import WindowPlan
from kpikit.errors import DataError, KpikitWarning, ParameterError, did_you_mean
from kpikit.spec import Kpi, Source, Spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OUTPUT_COLUMNS", "compute", "compute_rows", "last_complete_period"]

OUTPUT_COLUMNS = ("kpi", "period", "complete", "value", "numerator", "denominator")
_PERIOD, _EPOCH = "__kpikit_period", dt.date(1970, 1, 1)
_FIRST, _LAST = "__kpikit_first", "__kpikit_last"  # each group's earliest and latest time
_COMPARE_PARTS = ("value", "change", "change_pct", "better", "to_date")
Span = tuple[dt.date | None, dt.date | None]
_LEAP_DAYS_TO_1970 = 1969 // 4 - 1969 // 100 + 1969 // 400


def compute(
    spec: Spec | str | Path,
    *,
    grain: str = "month",
    by: str | Sequence[str] = (),
    kpis: Sequence[str] | str | None = None,
    start: str | None = None,
    end: str | None = None,
    data: Mapping[str, Any] | None = None,
    backend: str | None = None,
    compare: str | Sequence[str] | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Compute KPIs per period (and segment) into a tidy table.

    Args:
        spec: a :class:`~kpikit.spec.Spec` or the path of a spec file.
        grain: ``day``, ``week`` (ISO, or Sunday weeks), ``month``, ``quarter`` or ``year``
            (fiscal ones when the spec's ``calendar`` has a ``fiscal_year_start``).
        by: segment column(s), e.g. ``"channel"`` or ``["channel", "region"]``.
        kpis: KPI ids to compute (default: all, in spec order).
        start: first period label to keep, of the same grain (inclusive).
        end: last period label to keep, of the same grain (inclusive).
        data: ``{source_id: frame}`` used instead of reading those sources' files, e.g. a
            notebook's pandas DataFrame, or a Polars, DuckDB or Spark frame (any frame narwhals
            accepts; it is computed by its own library). It is never modified.
        backend: the library that reads and computes the sources not given in ``data``:
            ``pandas`` (default), ``polars``, ``duckdb`` or ``spark``. The result is the same.
        compare: earlier periods to set each row beside: ``previous``, ``year_ago`` and
            ``lag:N`` (a list, or one comma-separated text). Each adds ``<c>_value``,
            ``<c>_change``, ``<c>_change_pct``, ``<c>_better`` and ``<c>_to_date`` (``c`` is
            ``previous``, ``year_ago`` or ``lagN``); see :mod:`kpikit._compare` and
            ``docs/cli.md``.
        top: with ``by``, keep each KPI's ``top`` largest segments over the requested periods
            (ratios ranked by their denominator, other KPIs by the sum of their values) and
            gather the rest into one segment named ``other``, computed from those segments' rows
            (a ratio of sums; medians and distinct counts from rows); see :mod:`kpikit._top`.

    Returns:
        A pandas DataFrame with columns ``kpi, period, <by...>, complete, value, numerator,
        denominator`` (``complete`` bool: the KPI's sources have data from the period's first day
        to its last, so a partial month says False; ``value``, ``numerator`` and ``denominator``
        float64; ``numerator`` and ``denominator`` NaN for non-ratio KPIs), sorted by KPI in spec
        order, period, then segments (missing last), with a fresh RangeIndex. Segment columns
        hold what pandas reads from a CSV: text as ``str``, whole numbers as ``int64``
        (``float64`` with a missing value), booleans.

    Raises:
        ParameterError: unknown grain, backend or source id in ``data``, bad ``by`` or period
            labels, ``top`` without ``by`` or below 1.
        KpikitError: unknown KPI id, or the backend's package is not installed.
        DataError: a file or column is missing or a column has the wrong type.

    Warns:
        KpikitWarning: KPIs left out because their source lacks a ``by`` column (only when
            ``kpis`` is not given).

    Example:
        >>> table = compute("data/kpis.yml", grain="month", kpis=["revenue"])  # doctest: +SKIP
        >>> table.loc[table.period == "2026-11", "value"]  # doctest: +SKIP
    """
    result = _compute(
        spec, grain=grain, by=by, kpis=kpis, start=start, end=end, data=data, backend=backend,
        compare=compare, top=top,
    )  # fmt: skip
    return result.to_pandas() if isinstance(result, Rows) else result


def compute_rows(spec: Spec | str | Path, **options: Any) -> Rows:
    """:func:`compute`'s table as :class:`~kpikit._rows.Rows`, for the ``kpikit compute`` command.

    On DuckDB without pandas-only steps the rows never pass through pandas, so the command does
    not import it (see :mod:`kpikit._rows`); otherwise they are ``compute``'s DataFrame's.
    Takes :func:`compute`'s arguments.
    """
    defaults = compute.__kwdefaults__ or {}
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"compute_rows() got unexpected keyword arguments: {', '.join(unknown)}")
    result = _compute(spec, **{**defaults, **options})
    return result if isinstance(result, Rows) else Rows.from_pandas(result)


def _compute(
    spec: Spec | str | Path,
    *,
    grain: str,
    by: str | Sequence[str],
    kpis: Sequence[str] | str | None,
    start: str | None,
    end: str | None,
    data: Mapping[str, Any] | None,
    backend: str | None,
    compare: str | Sequence[str] | None,
    top: int | None,
) -> pd.DataFrame | Rows:
    """The body of :func:`compute`: a DataFrame, or Rows when every step ran in plain Python."""
    # pandas is imported once the first query runs (kpikit._collect), not here.
    spec, grain, data = _as_spec(spec), periods.check_grain(grain), dict(data or {})
    engine = get_backend(backend).name
    segments = _segments(by)
    top = check_top(top, segments)
    comparisons = parse_compare(compare)
    chosen = spec.select([kpis] if isinstance(kpis, str) else list(kpis or []))
    calendar = spec.calendar
    window = periods.bounds(grain, start, end, calendar)
    _check_data_ids(spec, data)
    needed = inputs_of(spec, chosen)  # formula KPIs bring the KPIs they are computed from
    lag = max_lag(spec, chosen)  # lag() and comparisons reach back before `start`
    windows = WindowPlan(spec, needed, grain)  # KPIs with window: (kpikit._windows)
    first = start
    if start and comparisons:
        first = min(c.reach(start) for c in comparisons)
    if first and lag:
        first = periods.previous(first, lag)
    first = windows.reach(first)
    reach = periods.bounds(grain, first, end, calendar)
    by_source: dict[str, list[Kpi]] = {}
    for kpi in needed:
        if kpi.source is not None:
            by_source.setdefault(kpi.source, []).append(kpi)
    known = {
        sid: column_names(data[sid]) if sid in data else list(spec.sources[sid].columns)
        for sid in by_source
    }
    order = {kpi.id: i for i, kpi in enumerate(needed)}
    if kpis is None and segments:
        by_source = _leave_out_unsegmented(by_source, known, segments, order)
    for sid, group in by_source.items():  # fail fast, before reading any file
        _check_segments(known[sid], segments, spec.sources[sid], group)

    if (
        not comparisons
        and top is None
        and not windows.windowed
        and all(
            nw.dependencies.is_duckdb_relation(data[sid]) if sid in data else engine == "duckdb"
            for sid in by_source
        )
    ):  # every source is a DuckDB relation and no step needs pandas: plain Python (kpikit._rows)
        natives = {
            sid: data[sid] if sid in data else read_source(spec.sources[sid], engine)
            for sid in by_source
        }
        rows = _compute_rows(
            spec, needed, chosen, by_source, natives, grain, segments, reach, window, order
        )
        if rows is not None:
            return rows

    said: list[bool] = []
    computed = {kpi.id for group in by_source.values() for kpi in group}  # with rows or not

    def aggregate(days: Span) -> tuple[pd.DataFrame, dict[str, Span]]:
        parts, spans = [], {}
        for sid, group in by_source.items():
            native = data[sid] if sid in data else read_source(spec.sources[sid], engine)
            source = spec.sources[sid]
            plain = [k for k in group if k.python is None]
            if plain:
                aggregated = windows.parts(sid, plain)
                frames, spans[sid] = _compute_source(
                    source, aggregated, native, grain, segments, days, calendar
                )
                labels = spine_labels(days, spans[sid], grain, calendar)
                frames = fill_spine(frames, aggregated, labels, segments)
                for kpis_, rows in windows.by_rows(source, plain, native, frames, days):
                    more = _compute_source(
                        source, kpis_, rows, grain, segments, (None, None), calendar
                    )[0]
                    frames += fill_spine(more, kpis_, labels, segments)
                parts.extend(frames)
            if len(plain) < len(group):  # Python KPIs, from all rows: kpikit._python_kpis
                from kpikit._python_kpis import compute_python

                pythons = [k for k in group if k.python is not None]
                frames, spans[sid] = compute_python(
                    source, pythons, native, grain, segments, days, calendar
                )
                parts.extend(frames)
        import pandas as pd

        table = pd.concat(parts, ignore_index=True).astype({"kpi": "str", "period": "str"})
        table = windows.apply(table, segments)
        formulas = _computable([k for k in needed if k.is_formula], computed, warn=not said)
        said.append(True)  # comparisons aggregate again: say it once
        if formulas:
            table = pd.concat([table, evaluate(table, formulas, segments)], ignore_index=True)
        return table[table["kpi"].isin([k.id for k in chosen])], spans

    table, spans = aggregate(reach)
    covered = _kpi_spans(set(table["kpi"]), spec, spans)
    table = table.assign(complete=_complete(table, covered, calendar))
    table = table.assign(complete=windows.complete(table, covered))
    if comparisons:
        table = add_comparisons(
            table,
            comparisons,
            spec.kpis,
            covered,
            segments,
            lambda days: aggregate(windows.widen(days))[0],
            calendar=calendar,
        )
    if window[0] is not None and reach[0] != window[0]:  # drop periods read only to look back
        table = table[table["period"].ge(periods.label(window[0], grain, calendar))]
    table = table.assign(_order=table["kpi"].map(order)).sort_values(
        ["_order", "period", *segments], na_position="last", kind="stable"
    )
    if top is not None:  # recompute `other` from its rows (kpikit._top)
        table = gather_other(
            table, top, segments, spec,
            read=lambda sid: data[sid] if sid in data else read_source(spec.sources[sid], engine),
            recompute=lambda kids, rows: compute(
                spec, grain=grain, kpis=kids, start=start, end=end, data=rows, backend=engine,
                compare=compare,
            ),
        )  # fmt: skip
    extra = [f"{c.name}_{part}" for c in comparisons for part in _COMPARE_PARTS]
    columns = ["kpi", "period", *segments, *OUTPUT_COLUMNS[2:], *extra]
    return table[columns].reset_index(drop=True)


def last_complete_period(
    spec: Spec | str | Path,
    grain: str = "month",
    *,
    data: Mapping[str, Any] | None = None,
    backend: str | None = None,
) -> str:
    """The last period that every source used by the spec's KPIs covers completely.

    For each source, the last period whose last day is on or before the source's latest date;
    then the earliest of those, so no KPI is judged on a partial period. ``data`` and
    ``backend`` work as in :func:`compute`.

    Example:
        >>> last_complete_period("data/kpis.yml", "month")  # doctest: +SKIP
        '2026-11'
    """
    spec, grain, data = _as_spec(spec), periods.check_grain(grain), dict(data or {})
    engine = get_backend(backend).name
    _check_data_ids(spec, data)
    labels = []
    for sid in dict.fromkeys(k.source for k in spec.kpis.values() if k.source is not None):
        source = spec.sources[sid]
        frame = prepare(source, data[sid] if sid in data else read_source(source, engine))
        latest = to_pandas(frame.select(nw.col(source.time).max()))[source.time].iloc[0]
        if latest is None or latest != latest:  # None or NaT
            raise DataError(f"source '{sid}' has no dated rows", expected="at least one row")
        labels.append(periods.last_complete(latest.date(), grain, spec.calendar))
    return min(labels)


def _as_spec(spec: Spec | str | Path) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str | Path):
        from kpikit._load import load_spec

        return load_spec(spec)
    raise ParameterError(
        "spec must be a Spec or a path",
        expected="kpikit.Spec, str or Path",
        found=type(spec).__name__,
        hint="kpikit.load_spec('data/kpis.yml')",
    )


def _segments(by: str | Sequence[str]) -> list[str]:
    names = [by] if isinstance(by, str) else list(by)
    for name in names:
        if not isinstance(name, str) or name in OUTPUT_COLUMNS or name.startswith("__kpikit"):
            raise ParameterError(
                f"cannot group by {name!r}",
                expected="column names other than " + ", ".join(OUTPUT_COLUMNS),
                found=repr(name),
                hint="rename that column in the data",
            )
    if len(set(names)) < len(names):
        raise ParameterError(
            "by= lists a column twice", expected="distinct names", found=str(names)
        )
    return names


def _check_data_ids(spec: Spec, data: dict[str, Any]) -> None:
    for sid in data:
        if sid not in spec.sources:
            raise ParameterError(
                f"data= names an unknown source '{sid}'",
                expected="one of " + ", ".join(spec.sources),
                found=repr(sid),
                hint=did_you_mean(str(sid), spec.sources),
            )


def _computable(formulas: list[Kpi], computed: set[str], *, warn: bool = True) -> list[Kpi]:
    """The formulas whose inputs were all computed (in order); warn about the others.

    ``computed`` holds the KPIs aggregated, with rows or without (no data in the periods asked
    for): inputs are missing only when ``by=`` left their KPIs out, which has already been said.
    """
    kept, available = [], set(computed)
    for kpi in formulas:
        assert kpi.formula is not None
        if references(kpi.formula) <= available:
            kept.append(kpi)
            available.add(kpi.id)
    dropped = [k.id for k in formulas if k not in kept]
    if dropped and warn:
        warnings.warn(
            f"left out {', '.join(dropped)}: computed from KPIs that were left out",
            KpikitWarning,
            stacklevel=5,
        )
    return kept


def _leave_out_unsegmented(
    by_source: dict[str, list[Kpi]],
    known: dict[str, list[str]],
    segments: list[str],
    order: dict[str, int],
) -> dict[str, list[Kpi]]:
    """Drop (with one warning) the KPIs whose source lacks a segment column, unless all lack one.

    Sources whose columns are unknown (a spec built in code) are kept and checked later.
    """
    missing = {
        sid: [name for name in segments if name not in known[sid]]
        for sid in by_source
        if known[sid]
    }
    kept = {sid: group for sid, group in by_source.items() if not missing.get(sid)}
    if not kept or len(kept) == len(by_source):
        return by_source  # nothing to leave out, or nothing left: the checks raise as before
    left_out = sorted(
        (k for sid, group in by_source.items() if sid not in kept for k in group),
        key=lambda k: order[k.id],
    )
    names = dict.fromkeys(name for sid in by_source if sid not in kept for name in missing[sid])
    their = "their sources have" if len(left_out) > 1 else "its source has"
    warnings.warn(
        f"left out {', '.join(k.id for k in left_out)}: {their} no column "
        + " or ".join(f"'{name}'" for name in names),
        KpikitWarning,
        stacklevel=4,
    )
    return kept


def _check_segments(
    known: list[str], segments: list[str], source: Source, group: list[Kpi]
) -> None:
    if not known:
        return
    for name in segments:
        if name not in known:
            ids = ", ".join(k.id for k in group)
            hint = did_you_mean(name, known)
            raise DataError(
                f"cannot group KPI(s) {ids} by '{name}': source '{source.id}' has no such column",
                expected="one of " + ", ".join(known),
                found=name,
                hint=(hint + " Or p" if hint else "P")
                + f"ick KPIs from sources that have '{name}' "
                "(kpis=[...] or --kpi)",
            )


def _period_key(time: str, grain: str, calendar: periods.Calendar) -> Any:
    if grain in ("month", "quarter", "year"):  # months counted in integers (kpikit._time)
        return fiscal_key(time, grain, calendar)
    if grain == "week":
        # narwhals has no "1w" and Spark no durations: number the Monday as days since
        # 1970-01-01 from the calendar fields, in integer arithmetic every backend does alike.
        col, year = nw.col(time), nw.col(time).dt.year() - 1
        days = 365 * (year - 1969) + year // 4 - year // 100 + year // 400 - _LEAP_DAYS_TO_1970
        # Days since Monday: (weekday + 6) % 7, because narwhals 2.29 on Spark numbers Sunday 0,
        # not 7 as the other backends do; both give 6. Days since Sunday: weekday % 7.
        back = (col.dt.weekday() + (6 if calendar.week_start == "monday" else 0)) % 7
        return days + col.dt.ordinal_day() - 1 - back
    return nw.col(time).dt.truncate("1d")


def _compute_source(
    source: Source,
    kpis: list[Kpi],
    native: Any,
    grain: str,
    segments: list[str],
    window: tuple[dt.date | None, dt.date | None],
    calendar: periods.Calendar = periods.DEFAULT_CALENDAR,
) -> tuple[list[pd.DataFrame], tuple[dt.date | None, dt.date | None]]:
    """The source's KPI rows, and the first and last day it has data for (within ``window``)."""
    query = _source_query(source, kpis, native, grain, segments, window, calendar)
    result = collect(query.frame, source)  # DuckDB runs beside import pandas
    import pandas as pd

    undated = result[_PERIOD].isna()
    if undated.any():
        _rows.warn_undated(int(result.loc[undated, "__kpikit_rows"].sum()), source, stacklevel=6)
        result = result.loc[~undated]
    names = {
        k: periods.label(_as_day(k, grain, calendar), grain, calendar)
        for k in result[_PERIOD].unique()
    }
    body = {"period": result[_PERIOD].map(names), **{s: _nan_for_none(result[s]) for s in segments}}
    out = []
    for kpi in kpis:
        values = [query.plan.resolve(result, h) for h in query.handles[kpi.id]]
        if kpi.is_ratio:
            num, den = values
            value = num / den.where(den != 0)  # zero or missing denominator: NaN
        else:
            value, num = values[0], pd.Series(float("nan"), index=result.index)
            den = num
        ratio = {"value": value, "numerator": num, "denominator": den}
        out.append(pd.DataFrame({"kpi": kpi.id, **body, **ratio}))
    return out, query.whole or (_day(result[_FIRST].min()), _day(result[_LAST].max()))


class _Query(NamedTuple):
    """One source's single aggregation pass, not run yet, and how to read its result.

    ``frame`` has one row per period key (``__kpikit_period``) and segment, with every aggregate
    as float64 and the group's first and last time; ``handles`` maps each KPI id to its measures'
    handles for :meth:`_Plan.resolve`; ``whole`` is the source's span when ``window`` cut rows
    away (else None: the span is read from the result).
    """

    frame: Any
    plan: _Plan
    handles: dict[str, list[tuple[str, ...]]]
    whole: Span | None


def _source_query(
    source: Source,
    kpis: list[Kpi],
    native: Any,
    grain: str,
    segments: list[str],
    window: Span,
    calendar: periods.Calendar,
) -> _Query:
    """Build (without running it) the one group-by pass that aggregates ``kpis`` of ``source``."""
    _check_segments(column_names(native), segments, source, kpis)
    for kpi in kpis:
        measures = [m for m in (kpi.measure, kpi.numerator, kpi.denominator) if m is not None]
        needed = [m.column for m in measures if m.column] + sorted(
            columns(kpi.filter) if kpi.filter else []
        )
        check_columns(native, needed, source.id, f"KPI '{kpi.id}'")
    frame = prepare(source, native)
    schema, time = frame.collect_schema(), source.time
    # The span of the whole source: read from the grouped rows below, unless start or end cut
    # rows away, when it takes one small query of its own (a min and a max).
    whole = _span(frame, time, source) if window != (None, None) else None
    if window[0] is not None:
        frame = frame.filter(
            nw.col(time) >= datetime_lit(dt.datetime.combine(window[0], dt.time()))
        )
    if window[1] is not None:
        end = dt.datetime.combine(window[1] + dt.timedelta(1), dt.time())
        frame = frame.filter(nw.col(time) < datetime_lit(end))
    plan = _Plan(schema, source, spark=frame.implementation.is_spark_like())
    handles = {
        kpi.id: [plan.add(m, kpi) for m in (kpi.measure, kpi.numerator, kpi.denominator) if m]
        for kpi in kpis
    }
    keys = [_PERIOD, *segments]
    if plan.masks:
        frame = frame.with_columns(*plan.masks)
    prepared = frame.select(
        _period_key(time, grain, calendar).alias(_PERIOD),
        *_segment_columns(schema, segments),
        *plan.columns,
        nw.col(time).alias(_FIRST),
    )
    # The time span rides along in the same pass: each group's min and max, reduced below.
    spans = [nw.col(_FIRST).min(), nw.col(_FIRST).max().alias(_LAST)]
    grouped = prepared.group_by(keys, drop_null_keys=False).agg(*plan.aggs, *spans)
    # Every aggregate as float64 before it leaves the backend (DuckDB sums integers into 128-bit
    # HUGEINTs, which would reach pandas as Python objects), and period starts as naive
    # timestamps (Spark's date_trunc gives instants: midnight in the session's time zone, which
    # reach pandas in UTC, the day before east of Greenwich).
    schema_out = grouped.collect_schema()
    aggregates = [name for name in schema_out.names() if name not in (*keys, _FIRST, _LAST)]
    fixes = [nw.col(*aggregates).cast(nw.Float64)]
    for name in (_PERIOD, _FIRST, _LAST):
        if getattr(schema_out[name], "time_zone", None):
            fixes.append(nw.col(name).dt.replace_time_zone(None))
    return _Query(grouped.with_columns(*fixes), plan, handles, whole)


def _span(frame: Any, time: str, source: Source) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of a source (None when it has no dated rows)."""
    query = frame.select(nw.col(time).min().alias(_FIRST), nw.col(time).max().alias(_LAST))
    schema = query.collect_schema()
    fixes = [
        nw.col(n).dt.replace_time_zone(None)
        for n in (_FIRST, _LAST)
        if getattr(schema[n], "time_zone", None)
    ]
    query = query.with_columns(*fixes) if fixes else query
    native = query.to_native()
    if nw.dependencies.is_duckdb_relation(native):  # no pandas needed (kpikit._rows)
        first, last = _rows.fetch(native, source)[2][0]
        return _day(first), _day(last)
    row = to_pandas(query).iloc[0]
    return _day(row[_FIRST]), _day(row[_LAST])


def _day(value: Any) -> dt.date | None:
    """The calendar day of a timestamp, None when missing (a source without dated rows)."""
    if value is None or value != value:  # None or NaT
        return None
    return dt.date(value.year, value.month, value.day)


def _kpi_spans(kids: set[str], spec: Spec, spans: dict[str, Span]) -> dict[str, Span]:
    """The days every source of each KPI covers: the latest first day to the earliest last."""
    out: dict[str, Span] = {}
    for kid in kids:
        sources = {k.source for k in inputs_of(spec, [spec.kpis[kid]]) if k.source}
        firsts = [spans.get(sid, (None, None))[0] for sid in sources]
        lasts = [spans.get(sid, (None, None))[1] for sid in sources]
        if not sources or None in firsts or None in lasts:
            out[kid] = (None, None)
        else:
            out[kid] = (max(d for d in firsts if d), min(d for d in lasts if d))
    return out


def _complete(table: pd.DataFrame, spans: dict[str, Span], calendar: periods.Calendar) -> pd.Series:
    """True where the row's KPI's sources all cover its whole period (first to last day)."""
    import pandas as pd

    covered = _coverage(spans, calendar)
    pairs = table[["kpi", "period"]].drop_duplicates()
    flags = {(k, p): covered(k, p) for k, p in zip(pairs["kpi"], pairs["period"], strict=True)}
    keys = zip(table["kpi"], table["period"], strict=True)
    return pd.Series([flags[key] for key in keys], index=table.index, dtype="bool")


def _coverage(spans: dict[str, Span], calendar: periods.Calendar) -> Callable[[str, str], bool]:
    """``covered(kpi, period)``: the KPI's sources cover the period from its first to last day."""
    bounds: dict[str, tuple[dt.date, dt.date]] = {}

    def covered(kid: str, period: str) -> bool:
        if period not in bounds:
            bounds[period] = periods.parse_period(period, calendar)[1:]
        first, last = bounds[period]
        span = spans.get(kid, (None, None))
        return span[0] is not None and span[1] is not None and span[0] <= first <= last <= span[1]

    return covered


def _compute_rows(
    spec: Spec,
    needed: list[Kpi],
    chosen: list[Kpi],
    by_source: dict[str, list[Kpi]],
    natives: dict[str, Any],
    grain: str,
    segments: list[str],
    reach: Span,
    window: Span,
    order: dict[str, int],
) -> Rows | None:
    """compute()'s table, finished in plain Python from DuckDB's rows (:mod:`kpikit._rows`).

    None when the rows, with the time spine, would hold more than :data:`_ROWS_AT_MOST` values:
    plain Python is quicker than importing pandas for a scorecard, not for a million values, and
    takes far more memory for them.
    """
    calendar = spec.calendar
    table: _rows.Table = {}
    spans: dict[str, Span] = {}

    def label(key: Any) -> str:
        return periods.label(_as_day(key, grain, calendar), grain, calendar)

    fetched = {}
    for sid, group in by_source.items():
        plain = [k for k in group if k.python is None]
        if plain:
            source = spec.sources[sid]
            query = _source_query(source, plain, natives[sid], grain, segments, reach, calendar)
            fetched[sid] = (plain, query, *_rows.fetch(query.frame.to_native(), source))
    values = sum(_rows.size(n, r, len(q.handles), segments) for _, q, n, _, r in fetched.values())
    if values > _ROWS_AT_MOST:
        return None  # too many for plain Python: the pandas path computes them
    types: dict[str, str | None] = {}
    for sid, (plain, query, names, kinds, rows) in fetched.items():
        for name, kind in zip(names, kinds, strict=True):
            if name in segments:  # a segment typed differently by two sources: guessed
                types[name] = kind if types.get(name, kind) == kind else None
        part, firsts, lasts = _rows.cells(
            names, rows, plain, query.handles, label, segments, SIGNIFICANT_DIGITS,
            spec.sources[sid],
        )  # fmt: skip
        spans[sid] = query.whole or (
            _day(min(firsts)) if firsts else None,
            _day(max(lasts)) if lasts else None,
        )
        _rows.fill_spine(part, plain, spine_labels(reach, spans[sid], grain, calendar), segments)
        table.update(part)
    for sid, group in by_source.items():  # Python KPIs, from all rows, on pandas (_python_kpis)
        pythons = [k for k in group if k.python is not None]
        if pythons:
            from kpikit._python_kpis import compute_python

            frames, spans[sid] = compute_python(
                spec.sources[sid], pythons, natives[sid], grain, segments, reach, calendar
            )
            for frame in frames:
                table.update(_rows.from_frame(frame, segments))
    computed = {kpi.id for group in by_source.values() for kpi in group}  # with rows or not
    _rows.formulas(table, _computable([k for k in needed if k.is_formula], computed), segments)
    keep = [kpi.id for kpi in chosen]
    covered = _coverage(_kpi_spans({k for k in keep if table.get(k)}, spec, spans), calendar)
    cut = None  # periods read only to look back (lag) are dropped
    if window[0] is not None and reach[0] != window[0]:
        cut = periods.label(window[0], grain, calendar)
    return _rows.assemble(
        table, keep=keep, order=order, segments=segments, covered=covered, since=cut, types=types
    )


def _segment_columns(schema: Any, segments: list[str]) -> list[Any]:
    """Segment columns typed as pandas reads them from a CSV, whatever the backend.

    Whole numbers become 64-bit integers (Spark infers 32-bit ones), other numbers 64-bit floats
    with NaN as missing (pandas groups NaN with empty cells; DuckDB, Polars and Spark keep them
    apart unless told).
    """
    out = []
    for name in segments:
        dtype = schema[name]
        if dtype.is_integer():
            out.append(nw.col(name).cast(nw.Int64))
        elif dtype.is_float():  # NaN is missing, as an empty cell: one segment with NULL
            out.append(nw.col(name).cast(nw.Float64).fill_nan(None))
        else:
            out.append(nw.col(name))
    return out


def _nan_for_none(values: pd.Series) -> pd.Series:
    """Missing values of an object column as NaN, as pandas reads them (Arrow gives None)."""
    if values.dtype != object:
        return values
    return values.where(values.notna(), float("nan"))


def _as_day(key: Any, grain: str, calendar: periods.Calendar) -> dt.date:
    """The first day of a period from its group key (a Monday's day number for weeks)."""
    if grain in ("month", "quarter", "year"):
        return key_day(key, grain, calendar)
    if grain == "week":
        return _EPOCH + dt.timedelta(days=int(key))
    return key.date() if isinstance(key, dt.datetime) else key


class _Plan:
    """The prepared columns and simple aggregations for one source's single group_by pass.

    Each distinct filter becomes one true/false column (``masks``), computed once however many
    measures use it: cheaper on pandas, and a far smaller query plan on Spark.

    Float columns are aggregated in their own type and every aggregate is cast to float64 after
    the group_by, on the few grouped rows, not on every row. Columns whose own arithmetic would
    differ are cast to float64 first: integers that are summed or averaged (a 64-bit sum can wrap
    around), true/false, decimals, 32-bit floats and Python objects; the min, max and percentiles
    of 64-bit integers run in their own type. Filter masks are cast to integers only on Spark,
    whose ``sum`` refuses true/false.

    ``median(col)`` and ``quantile(col, q)`` run in the same pass: narwhals gives pandas' and
    Polars' linear interpolation, DuckDB's ``quantile_cont`` and ``median``, and Spark's
    ``percentile`` and ``median``, which are exact (they sort every value of the group; they are
    not ``percentile_approx``), so all four backends give the same numbers.
    """

    def __init__(self, schema: Any, source: Source, spark: bool = False) -> None:
        self.schema, self.source, self.spark = schema, source, spark
        self.masks: list[Any] = []
        self.columns: list[Any] = []
        self.aggs: list[Any] = [nw.len().alias("__kpikit_rows")]
        self._seen: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._mask_names: dict[Node, str] = {}

    def _mask(self, node: Node, kpi: Kpi) -> Any:
        """The column that is true where the filter ``node`` holds (added on first use)."""
        if node not in self._mask_names:
            name = f"__kpikit_f{len(self._mask_names)}"
            where = f"KPI '{kpi.id}' (source '{self.source.id}')"
            self.masks.append(filter_expr(node, self.schema, where).alias(name))
            self._mask_names[node] = name
        return nw.col(self._mask_names[node])

    def _flags(self, flags: Any) -> Any:
        """True/false values ready to be summed (as integers on Spark only)."""
        return flags.cast(nw.Int64) if self.spark else flags

    def add(self, measure: Measure, kpi: Kpi) -> tuple[str, ...]:
        """Register a measure under a KPI's filter; return the handle to read its result."""
        key = (measure.func, measure.column, measure.q, kpi.filter)
        if key in self._seen:
            return self._seen[key]
        name = f"__kpikit_{len(self._seen)}"
        mask = self._mask(kpi.filter, kpi) if kpi.filter else None
        func, column = measure.func, measure.column
        if column is None:  # count(): rows (that match the filter)
            if mask is None:
                self.aggs.append(nw.len().alias(name))
            else:
                self.columns.append(self._flags(mask).alias(name))
                self.aggs.append(nw.col(name).sum())
            handle: tuple[str, ...] = ("plain", name)
        elif func in ("count", "count_distinct"):  # values present (in rows that match)
            keep = ~nw.col(column).is_null() if mask is None else mask & ~nw.col(column).is_null()
            if func == "count":
                self.columns.append(self._flags(keep).alias(name))
                self.aggs.append(nw.col(name).sum())
                handle = ("plain", name)
            else:  # n_unique counts null as a value: subtract it where there is one
                self.columns.append(nw.when(keep).then(nw.col(column)).alias(name))
                self.columns.append(self._flags(~keep).alias(name + "n"))
                self.aggs += [nw.col(name).n_unique(), nw.col(name + "n").max()]
                handle = ("distinct", name, name + "n")
        else:
            dtype = self.schema[column]
            if not (dtype.is_numeric() or dtype in (nw.Boolean, nw.Object)):
                raise DataError(
                    f"KPI '{kpi.id}' takes {func}() of column '{column}' of source "
                    f"'{self.source.id}'",
                    expected="a column of numbers",
                    found=f"a column of type {dtype}",
                    hint="check the measure names the right column",
                )
            values = nw.col(column)
            # Integers are summed as floats: a 64-bit integer sum past 9.2e18 wraps around on
            # pandas, Polars and Spark (and narrower ones far sooner). Min, max and percentiles
            # of 64-bit integers cannot overflow and run in their own type.
            keep = dtype == nw.Float64 or (
                dtype == nw.Int64 and func in ("min", "max", "median", "quantile")
            )
            if not keep:
                values = values.cast(nw.Float64)
            self.columns.append(
                (values if mask is None else nw.when(mask).then(values)).alias(name)
            )
            if func == "quantile":
                assert measure.q is not None
                self.aggs.append(nw.col(name).quantile(measure.q, interpolation="linear"))
            else:
                self.aggs.append(getattr(nw.col(name), func)())
            handle = ("sum" if func == "sum" else "plain", name)
        self._seen[key] = handle
        return handle

    @staticmethod
    def resolve(result: pd.DataFrame, handle: tuple[str, ...]) -> pd.Series:
        """The float64 values of a handle in the aggregated rows."""
        if handle[0] == "distinct":
            return (result[handle[1]] - result[handle[2]]).astype("float64")
        values = _significant(result[handle[1]].astype("float64"))
        return values.fillna(0.0) if handle[0] == "sum" else values  # a sum of no values is 0


SIGNIFICANT_DIGITS = 12
#: The most values (KPIs x periods x segments, the time spine included) finished in plain Python.
_ROWS_AT_MOST = 200_000


def _significant(values: pd.Series) -> pd.Series:
    """Round aggregates to :data:`SIGNIFICANT_DIGITS` significant digits.

    Backends add floating-point numbers in different orders, so the same sum can differ in its
    last bits (205759.85 on pandas, 205759.84999999998 on Polars). Rounding every aggregate once,
    before ratios, formulas and comparisons are derived from it, makes every backend give the same
    numbers; a difference of two nearly equal sums would otherwise magnify those last bits.
    """
    import pandas as pd

    numbers = _rows.significant_array(values.to_numpy(dtype="float64"), SIGNIFICANT_DIGITS)
    return pd.Series(numbers, index=values.index, name=values.name)
