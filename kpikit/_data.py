"""Frames at the column level: check columns, parse the time column, translate filters.

The engine's helpers for everything that touches a frame's columns, on any frame narwhals accepts
(reading files is :mod:`kpikit._backends`' job). The time column must parse as dates or
timestamps; if it does not, :class:`~kpikit.errors.DataError` names the source, the column and a
bad value. Callers' frames are never modified.

:func:`filter_expr` turns a spec filter tree into a narwhals expression -- by walking the tree,
never by ``eval`` -- with SQL logic for missing values: ``region != 'north'`` does not match a
row without a region (neither does ``not region == 'north'``); ``region is null`` or
``region in ('north', null)`` selects those rows. ``x == null`` means ``x is null``.

Example:
    >>> import pandas as pd
    >>> as_datetime(pd.DataFrame({"day": ["2026-11-30"]}), "day", "an example").dtypes["day"]
    dtype('<M8[us]')
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit._expr import And, Column, Compare, In, IsNull, Literal, Node, Not, Or
from kpikit.errors import DataError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Source

__all__ = [
    "as_datetime",
    "check_columns",
    "column_names",
    "datetime_lit",
    "filter_expr",
    "prepare",
    "read_source",
    "to_pandas",
]

_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}  # fmt: skip
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def read_source(source: Source) -> pd.DataFrame:
    """Read a source's file(s) into a new pandas DataFrame (the pandas backend's reader).

    Raises:
        DataError: see :func:`kpikit._backends.read_source`, which reads for every backend.
    """
    from kpikit._backends import read_source as read

    return read(source, "pandas")


def as_datetime(frame: Any, column: str, where: str, zone: str | None = None) -> Any:
    """Return ``frame`` with ``column`` as a datetime column; the caller's frame is not changed.

    Frames whose column is already a date or datetime come back as they are. Text (and, for
    pandas, Python ``date`` objects, as a frame of your own may hold) is parsed: by pandas, or
    by the frame's own library for Polars, DuckDB and Spark (ISO dates and timestamps such as
    ``2026-11-30`` or ``2026-11-30 23:59``), which costs one extra pass over a lazy frame.

    Text with a UTC offset (``2026-01-31T20:00:00-05:00``, see :data:`kpikit._time.UTC_OFFSET`)
    is an instant: with ``zone`` (the source's ``timezone``) it becomes that zone's wall-clock
    time; without, the time written before its offset, row by row (one offset for the whole
    column may come back as pandas' time-zone-aware dtype, which :func:`prepare` reads alike).

    Raises:
        DataError: naming ``where``, the column and the first value that is not a date.
    """
    nw_frame = nw.from_native(frame)
    dtype = nw_frame.collect_schema()[column]
    if dtype in (nw.Datetime, nw.Date):
        return frame
    if dtype.is_numeric() or dtype == nw.Boolean:  # never read numbers as nanoseconds since 1970
        found = f"a column of numbers ({dtype})"
        raise _not_dates(where, column, None, found, "convert the numbers to dates first")
    native = nw.to_native(nw_frame)
    if nw.dependencies.is_pandas_dataframe(native):
        import pandas as pd

        values = native[column]
        try:
            parsed = _pandas_times(values, zone)
        except (ValueError, TypeError) as exc:
            try:  # utc=True: mixed offsets are no reason to miss the bad value
                coerced = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
                bad = values[coerced.isna() & values.notna()].head(1).tolist()
            except (ValueError, TypeError):
                bad = []
            why = None if bad else str(exc).splitlines()[0].rstrip(".")
            raise _not_dates(where, column, bad[0] if bad else None, why) from None
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype) and parsed.dtype.kind != "M":
            raise _not_dates(
                where, column, values.dropna().iloc[0] if values.notna().any() else None
            )
        return native.assign(**{column: parsed})
    if dtype == nw.String:
        from kpikit._backends import parse_text_times

        outcome = parse_text_times(native, column, zone)
        if outcome is not None:
            if outcome[1] is not None:
                raise _not_dates(where, column, outcome[1])
            return outcome[0]
        try:  # another library narwhals knows (e.g. a pyarrow table): narwhals parses
            return nw.to_native(nw_frame.with_columns(nw.col(column).str.to_datetime()))
        except Exception as exc:  # the message and type depend on the library
            raise _not_dates(where, column, None, str(exc).splitlines()[0]) from None
    raise _not_dates(where, column, None, f"a column of type {dtype}")


def _pandas_times(values: pd.Series, zone: str | None) -> pd.Series:
    """``values`` parsed by pandas; raises ValueError or TypeError when one is not a date.

    ISO text first (one offset for every row gives pandas' time-zone-aware dtype). pandas
    refuses offsets that differ, or that some rows lack, unless told ``utc=True``: then the rows
    with an offset are found by :data:`~kpikit._time.UTC_OFFSET` and parsed as instants into
    ``zone``'s wall-clock time, or, without ``zone``, as the time written before the offset.
    Last, one consistent non-ISO format such as ``11/30/2026``, which pandas infers.
    """
    import pandas as pd

    from kpikit._time import UTC_OFFSET

    try:
        return pd.to_datetime(values, format="ISO8601")
    except (ValueError, TypeError):
        try:
            written = values.str.replace(UTC_OFFSET, r"\1", regex=True)  # the offsets cut off
            aware = written.notna() & (written != values)
        except AttributeError:  # not text (e.g. Python dates beside other objects)
            aware = None
        if aware is None or not aware.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
                return pd.to_datetime(values)
    wall = pd.to_datetime(written, format="ISO8601")
    if zone is None:
        return wall
    instants = pd.to_datetime(values.where(aware), format="ISO8601", utc=True)
    return instants.dt.tz_convert(zone).dt.tz_localize(None).where(aware, wall)


def _not_dates(
    where: str, column: str, value: Any, found: str | None = None, hint: str | None = None
) -> DataError:
    return DataError(
        f"the time column '{column}' of {where} does not hold dates",
        expected="dates or timestamps such as 2026-11-30 or 2026-11-30 23:59:59",
        found=found or f"the value {value!r}",
        hint=hint or "fix or remove that value, or point 'time' at the right column",
    )


def column_names(frame: Any) -> list[str]:
    """The column names of any frame narwhals accepts (without reading a lazy frame's data)."""
    return list(nw.from_native(frame).collect_schema().names())


def check_columns(frame: Any, needed: Iterable[str], source_id: str, where: str) -> None:
    """Raise DataError if ``frame`` lacks any column in ``needed``.

    Args:
        frame: a native frame (pandas, Polars, ...) or a list of its column names.
        needed: the column names required.
        source_id: the source the frame stands for, named in the message.
        where: what needs the columns, e.g. ``"KPI 'aov'"`` or ``"by="``.

    Example:
        >>> import pandas as pd
        >>> check_columns(pd.DataFrame({"revenue": [1]}), ["revnue"], "orders", "KPI 'revenue'")
        Traceback (most recent call last):
        ...
        kpikit.errors.DataError: column 'revnue' not found in source 'orders' (needed by KPI 'revenue'): expected one of revenue, found revnue. Hint: did you mean 'revenue'?
    """  # noqa: E501
    names = list(frame) if isinstance(frame, list | tuple) else column_names(frame)
    for name in needed:
        if name not in names:
            raise DataError(
                f"column '{name}' not found in source '{source_id}' (needed by {where})",
                expected="one of " + ", ".join(map(str, names)),
                found=str(name),
                hint=did_you_mean(str(name), map(str, names))
                or "check the spec, or the frame passed as data=",
            )


def prepare(source: Source, native: Any) -> Any:
    """A narwhals frame whose time column holds naive local datetimes (``native`` unchanged).

    Dates become midnight datetimes; timezone-aware times (and text with a UTC offset, row by
    row) keep their wall-clock time, so each row falls in its own local calendar day, unless the
    source has a ``timezone``: then they are converted to that zone's wall-clock time (naive
    times are taken as already in it).
    """
    check_columns(native, [source.time], source.id, "its time column")
    zone = getattr(source, "timezone", None)
    parsed = as_datetime(native, source.time, f"source '{source.id}'", zone)
    if zone:  # bucket in the source's zone (see kpikit._time)
        from kpikit._time import localize

        parsed = localize(parsed, source.time, str(zone))
    frame = nw.from_native(parsed)
    dtype = frame.collect_schema()[source.time]
    if dtype == nw.Date:
        return frame.with_columns(nw.col(source.time).cast(nw.Datetime("us")))
    if getattr(dtype, "time_zone", None) or dtype == nw.Unknown:  # narwhals 2.29 reports
        # pandas 3's named-zone datetimes (datetime64[us, America/New_York]) as Unknown
        return frame.with_columns(nw.col(source.time).dt.replace_time_zone(None))
    return frame


def to_pandas(frame: Any) -> pd.DataFrame:
    """A narwhals DataFrame or LazyFrame as a pandas DataFrame (lazy frames are collected)."""
    return (frame.collect() if isinstance(frame, nw.LazyFrame) else frame).to_pandas()


def datetime_lit(value: dt.datetime) -> Any:
    """A naive timestamp literal that means the same wall-clock time on every backend.

    Built by parsing text, because PySpark turns a Python ``datetime`` into an instant using the
    Python process's local time zone, which need not be the Spark session's.

    Example:
        >>> import pandas as pd
        >>> frame = nw.from_native(pd.DataFrame({"t": pd.to_datetime(["2026-01-01 08:00"])}))
        >>> frame.filter(nw.col("t") > datetime_lit(dt.datetime(2026, 1, 1, 7)))["t"].to_list()
        [Timestamp('2026-01-01 08:00:00')]
    """
    if value.microsecond or value.tzinfo is not None:
        return nw.lit(value)
    return nw.lit(value.strftime("%Y-%m-%d %H:%M:%S")).str.to_datetime("%Y-%m-%d %H:%M:%S")


def filter_expr(node: Node, schema: Any, where: str) -> Any:
    """A null-free narwhals boolean expression selecting the rows where ``node`` is true.

    Args:
        node: a filter tree from :func:`kpikit._expr.parse_filter`.
        schema: the frame's narwhals schema, to check each literal suits its column's type.
        where: who owns the filter, for messages, e.g. ``"KPI 'revenue' (source 'orders')"``.

    Example:
        >>> import pandas as pd
        >>> from kpikit._expr import parse_filter
        >>> frame = nw.from_native(pd.DataFrame({"region": ["north", None, "south"]}))
        >>> rule = filter_expr(parse_filter("region != 'north'"), frame.schema, "an example")
        >>> frame.filter(rule)["region"].to_list()
        ['south']
    """
    return _both(node, schema, where)[0]


def _both(node: Node, schema: Any, where: str) -> tuple[Any, Any]:
    """Where ``node`` is surely true, and where surely false (a missing value is neither)."""
    if isinstance(node, And | Or):
        (lt, lf), (rt, rf) = _both(node.left, schema, where), _both(node.right, schema, where)
        return (lt & rt, lf | rf) if isinstance(node, And) else (lt | rt, lf & rf)
    if isinstance(node, Not):
        true, false = _both(node.operand, schema, where)
        return false, true
    if isinstance(node, IsNull):
        null = nw.col(node.column.name).is_null()
        return (~null, null) if node.negated else (null, ~null)
    if isinstance(node, Column):  # a true/false column on its own
        _literal(node.name, True, schema, where)
        col, known = nw.col(node.name), ~nw.col(node.name).is_null()
        return known & col, known & ~col
    if isinstance(node, In):
        name = node.column.name
        values = [_literal(name, v, schema, where) for v in node.values if v is not None]
        known = ~nw.col(name).is_null()
        if any(isinstance(v, nw.Expr) for v in values):  # timestamps: one comparison each
            hit = known & functools.reduce(operator.or_, (nw.col(name) == v for v in values))
        else:
            hit = known & nw.col(name).is_in(values) if values else nw.lit(False)
        true, false = (hit | ~known, known & ~hit) if None in node.values else (hit, known & ~hit)
        return (false, true) if node.negated else (true, false)
    assert isinstance(node, Compare)
    op, left, right = node.op, node.left, node.right
    if isinstance(left, Literal):
        op, left, right = _MIRROR[op], right, left
    assert isinstance(left, Column)
    col, known = nw.col(left.name), ~nw.col(left.name).is_null()
    if isinstance(right, Literal) and right.value is None:
        null = col.is_null()
        return (null, ~null) if op == "==" else (~null, null)
    if isinstance(right, Column):
        other = nw.col(right.name)
        known = known & ~other.is_null()
    else:
        other = _literal(left.name, right.value, schema, where)
    hit = _OPS[op](col, other)
    return known & hit, known & ~hit


def _literal(name: str, value: Any, schema: Any, where: str) -> Any:
    """``value`` if it suits ``name``'s type (text dates become datetimes); else DataError."""
    dtype = schema[name]
    kind = "text" if isinstance(value, str) else "number"
    kind = "true/false" if isinstance(value, bool) else kind
    if dtype in (nw.Datetime, nw.Date) and isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
            return when.date() if dtype == nw.Date else datetime_lit(when)
        except ValueError:
            kind = "text that is not a date"
    fits = {"text": dtype == nw.String, "true/false": dtype == nw.Boolean}
    if dtype == nw.Object or fits.get(kind, kind == "number" and dtype.is_numeric()):
        return value
    raise DataError(
        f"the filter of {where} compares column '{name}' with {kind} {value!r}",
        expected=f"a value of the column's type ({dtype})",
        found=repr(value),
        hint="quote text and write true/false and numbers bare, e.g. region == 'north', "
        "refunded == false",
    )
