"""Time in the engine: fiscal period keys, time zones and the time spine.

- **Fiscal keys.** With ``calendar: {fiscal_year_start: 4}`` quarters and years are numbered in
  integer arithmetic from the calendar fields (months since the start of fiscal year 1, divided by
  3 or 12), which every backend computes alike; :func:`key_day` turns a key back into the
  period's first day.
- **Time zones.** A source's ``timezone:`` buckets its timestamps in that zone: time-zone-aware
  timestamps are converted to the zone's wall-clock time, naive ones are taken as already local.
  Text with a UTC offset (``2026-01-31T20:00:00-05:00``, ``...Z``; :data:`UTC_OFFSET`) is
  time-zone-aware, row by row: without ``timezone:`` each row keeps the time written before its
  offset, as an aware pandas or Parquet column keeps its own zone's wall-clock time.
- **The time spine.** Every period from the first to the last appears in the result, even with
  no rows: additive KPIs (``sum``, ``count``, ``count_distinct``) are 0 there, the others NaN.

Example:
    >>> import datetime as dt
    >>> from kpikit.spec import Calendar
    >>> key_day(2026 * 4, "quarter", Calendar(fiscal_year_start=4))  # FY2027-Q1
    datetime.date(2026, 4, 1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit import periods
from kpikit.spec import Calendar

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi

__all__ = [
    "ADDITIVE",
    "UTC_OFFSET",
    "empty_value",
    "fill_spine",
    "fiscal_key",
    "key_day",
    "localize",
    "spine_labels",
]

#: Measures whose value over no rows is 0 (the others are empty).
ADDITIVE = ("sum", "count", "count_distinct")

#: A time of day followed by a UTC offset (``Z``, ``+02:00``, ``-0500`` or ``+02``) at the end of
#: a text; group 1 is the time without the offset. One pattern for every backend's regular
#: expressions (Python, Rust, RE2 and Java read it alike), so they agree on which rows are aware.
#: The time before the offset keeps a date such as ``31-01-2026`` from reading as one.
UTC_OFFSET = r"(\d:\d\d(?::\d\d(?:\.\d+)?)?)(?:Z|[+-]\d\d(?::?\d\d)?)$"


_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def fiscal_key(time: str, grain: str, calendar: Calendar) -> Any:
    """The period key of a month, quarter or year: an integer that :func:`key_day` reads back.

    Months since year 0, shifted by the fiscal year's first month and divided by the grain's
    months: integer arithmetic on the year and month fields, which every backend does alike and
    which is three times faster on pandas than truncating timestamps to the month. With the
    default calendar (``fiscal_year_start`` 1) quarters and years are the calendar's; months
    never shift.
    """
    col = nw.col(time)
    months = col.dt.year() * 12 + col.dt.month() - calendar.fiscal_year_start  # >= 0
    return months // _MONTHS_IN[grain] if grain != "month" else months


def key_day(key: Any, grain: str, calendar: Calendar) -> dt.date:
    """The first day of the month, quarter or year numbered ``key`` by :func:`fiscal_key`."""
    months = int(key) * _MONTHS_IN[grain] + calendar.fiscal_year_start - 1
    return dt.date(months // 12, months % 12 + 1, 1)


def localize(native: Any, column: str, zone: str) -> Any:
    """``native`` with time-zone-aware times in ``column`` as naive wall-clock times in ``zone``.

    Naive times are taken as already in ``zone`` and left as they are; the caller's frame is not
    changed. DuckDB and Spark keep the zone in the connection or session, not in the column, so
    they convert natively.

    Raises:
        DataError: ``zone`` is not an IANA time zone name (a spec built in code; ``load_spec``
            checks it with the other keys).
    """
    _check_zone(zone)
    frame = nw.from_native(native)
    dtype = frame.collect_schema()[column]
    if not (getattr(dtype, "time_zone", None) or dtype == nw.Unknown):
        return native
    if nw.dependencies.is_pandas_dataframe(native):
        values = native[column]
        if getattr(values.dt, "tz", None) is None:
            return native
        return native.assign(**{column: values.dt.tz_convert(zone).dt.tz_localize(None)})
    if nw.dependencies.is_duckdb_relation(native):
        name, text = '"' + column.replace('"', '""') + '"', zone.replace("'", "''")
        return native.project(f"* REPLACE (timezone('{text}', {name}) AS {name})")
    deps = nw.dependencies
    if deps.is_pyspark_dataframe(native) or deps.is_pyspark_connect_dataframe(native):
        from pyspark.sql import functions as F

        session = native.sparkSession.conf.get("spark.sql.session.timeZone")
        ntz = native[column].cast("timestamp_ntz")
        return native.withColumn(column, F.convert_timezone(F.lit(session), F.lit(zone), ntz))
    wall = nw.col(column).dt.convert_time_zone(zone).dt.replace_time_zone(None)
    return nw.to_native(frame.with_columns(wall))


def _check_zone(zone: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        from kpikit.errors import DataError

        raise DataError(
            f"unknown time zone {zone!r}",
            expected="an IANA time zone name such as Europe/Paris or UTC",
            found=repr(zone),
            hint="fix the source's timezone",
        ) from None


def spine_labels(
    days: tuple[dt.date | None, dt.date | None],
    span: tuple[dt.date | None, dt.date | None],
    grain: str,
    calendar: Calendar,
) -> list[str]:
    """The periods of the spine, in order.

    From the source's first day to its last, cut to ``days`` (start and end) when given. Periods
    before or after the data are never made up: a 0 there would claim that nothing happened
    where nothing is known. None when the source has no dated rows.
    """
    if span[0] is None or span[1] is None:
        return []
    first = max(span[0], days[0]) if days[0] is not None else span[0]
    last = min(span[1], days[1]) if days[1] is not None else span[1]
    if last < first:
        return []
    return periods.period_range(
        periods.label(first, grain, calendar), periods.label(last, grain, calendar)
    )


def fill_spine(
    frames: Sequence[pd.DataFrame],
    kpis: Sequence[Kpi],
    labels: Sequence[str],
    segments: Sequence[str],
) -> list[pd.DataFrame]:
    """Each KPI's rows with every period of ``labels`` for every segment seen in its rows.

    A new row is 0 for an additive measure and NaN otherwise; a ratio's new row has its
    numerator and denominator filled that way, and value NaN (its denominator is 0 or NaN).
    """
    import pandas as pd

    if not labels:
        return list(frames)
    out = []
    wanted = set(labels)
    for frame, kpi in zip(frames, kpis, strict=True):
        combos = frame[list(segments)].drop_duplicates() if segments else pd.DataFrame(index=[0])
        if len(frame) == len(labels) * len(combos) and set(frame["period"].unique()) <= wanted:
            out.append(frame)  # one row per period and segment already: nothing is missing
            continue
        grid = pd.DataFrame({"period": list(labels)}).merge(combos, how="cross")
        grid = grid.merge(frame[["period", *segments]], how="left", indicator=True)
        missing = grid.loc[grid["_merge"] == "left_only", ["period", *segments]]
        if missing.empty:
            out.append(frame)
            continue
        if kpi.is_ratio:
            num, den = (_empty(m, len(missing)) for m in (kpi.numerator, kpi.denominator))
            value = num / den.where(den != 0)
        else:
            value = _empty(kpi.measure, len(missing))
            num = den = pd.Series(float("nan"), index=value.index)
        added = missing.reset_index(drop=True).assign(
            kpi=kpi.id, value=value, numerator=num, denominator=den
        )
        out.append(pd.concat([frame, added[frame.columns]], ignore_index=True))
    return out


def empty_value(measure: Any) -> float:
    """The value of ``measure`` over no rows: 0 when additive, else NaN (empty)."""
    return 0.0 if measure is not None and measure.func in ADDITIVE else float("nan")


def _empty(measure: Any, rows: int) -> pd.Series:
    """The value of ``measure`` over no rows, ``rows`` times."""
    import pandas as pd

    return pd.Series(empty_value(measure), index=range(rows), dtype="float64")
