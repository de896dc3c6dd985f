"""Comparisons at query time: each row beside the same KPI and segment in an earlier period.

``compute(..., compare=["previous", "year_ago", "lag:3"])`` adds, for each comparison ``c``,
``<c>_value`` (the earlier value), ``<c>_change`` (absolute), ``<c>_change_pct`` (relative),
``<c>_better`` (following the KPI's direction) and ``<c>_to_date``. The earlier period is found on
the calendar with :func:`kpikit._derived.shift`, the mechanism formula ``lag()`` uses, so a period
without data is empty, never the last value carried forward.

Which earlier period:

- ``previous``: one period earlier; ``lag:N``: N periods earlier (column prefix ``lagN``).
- ``year_ago``: the same period a year earlier: 12 months, 4 quarters or 1 year back (fiscal ones
  too); for weeks the same week number of the previous ISO (or Sunday-week) year (empty for week
  53 when that year has none); for days the same date a year earlier (empty for 29 February).

Partial periods are compared like for like: when the data covers only part of a period, the
earlier value is recomputed over the same days counted from the start of the earlier period
(November 1-15 against October 1-15, or against November 1-15 a year earlier), and
``<c>_to_date`` is True. An earlier period the data covers only in part is never compared with a
whole one: its value is empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit.errors import ParameterError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Calendar, Kpi

__all__ = ["Comparison", "add_comparisons", "parse_compare"]

_EXPECTED = "expected previous, year_ago or lag:N"
_YEAR = {"month": 12, "quarter": 4, "year": 1, "week": 53, "day": 366}


@dataclass(frozen=True)
class Comparison:
    """One comparison: its column prefix and how many periods back (None: a year ago)."""

    name: str
    lag: int | None

    def earlier(self, label: str) -> str | None:
        """The label of the period this comparison compares ``label`` with (None: no such one).

        Example:
            >>> Comparison("year_ago", None).earlier("2026-W53") is None
            True
        """
        if self.lag is not None:
            return periods.previous(label, self.lag)
        grain = periods.grain_of(label)
        if grain == "week":  # the same week number (ISO or Sunday weeks) of the year before
            earlier = f"{int(label[:4]) - 1:04d}{label[4:]}"
            try:
                periods.parse_period(earlier)
            except ParameterError:  # week 53 of a year that has 52
                return None
            return earlier
        if grain == "day":
            start = periods.parse_period(label)[1]
            try:
                return periods.label(start.replace(year=start.year - 1), "day")
            except ValueError:  # 29 February
                return None
        return periods.previous(label, _YEAR[grain])

    def reach(self, label: str) -> str:
        """A label on or before every earlier period of ``label`` and the periods after it."""
        grain = periods.grain_of(label)
        return periods.previous(label, self.lag if self.lag is not None else _YEAR[grain])


def parse_compare(compare: str | Sequence[str] | None) -> list[Comparison]:
    """Read ``compare=`` (names or one comma-separated text) into comparisons, in order.

    Raises:
        ParameterError: an unknown name, or a name given twice.

    Example:
        >>> [c.name for c in parse_compare("previous,lag:3")]
        ['previous', 'lag3']
    """
    if compare is None:
        return []
    names = [compare] if isinstance(compare, str) else list(compare)
    out: list[Comparison] = []
    for item in names:
        for text in str(item).split(","):
            name = text.strip()
            match = re.fullmatch(r"lag:(\d+)", name)
            if name in ("previous", "year_ago"):
                found = Comparison(name, 1 if name == "previous" else None)
            elif match and int(match.group(1)) > 0:
                found = Comparison(f"lag{int(match.group(1))}", int(match.group(1)))
            else:
                raise ParameterError(
                    f"unknown comparison {name!r}",
                    expected=_EXPECTED[len("expected ") :],
                    found=repr(name),
                    hint=did_you_mean(name, ("previous", "year_ago", "lag:1", "lag:12"))
                    or "e.g. compare=['previous', 'year_ago', 'lag:3']",
                )
            if found in out:
                raise ParameterError(
                    f"comparison {name!r} is given twice",
                    expected="distinct comparisons",
                    found=name,
                )
            out.append(found)
    return out


Span = tuple[dt.date | None, dt.date | None]


def add_comparisons(
    table: pd.DataFrame,
    comparisons: Sequence[Comparison],
    kpis: Mapping[str, Kpi],
    spans: Mapping[str, Span],
    segments: Sequence[str],
    recompute: Callable[[tuple[dt.date, dt.date]], pd.DataFrame],
    *,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """``table`` with the columns of each comparison after ``value, numerator, denominator``.

    ``table`` is the engine's table including the earlier periods and the ``complete`` column;
    ``spans`` is each KPI id's first and last covered day (all its sources);
    ``recompute(days)`` computes the same KPIs and segments over those days only;
    ``calendar`` is the spec's, which says the days of fiscal periods.
    """
    import pandas as pd

    from kpikit._derived import shift

    keys = ["period", *segments]
    up = table["kpi"].map({k: kpis[k].direction == "up" for k in kpis}).astype(bool)
    # direction: range has no better side for a change (closer to the band is judged by review)
    judged_by_range = table["kpi"].map({k: kpis[k].direction == "range" for k in kpis}).astype(bool)
    partial = table.index[~table["complete"].astype(bool)]
    columns: dict[str, Any] = {}
    for comparison in comparisons:
        earlier = pd.Series(float("nan"), index=table.index, dtype="float64")
        for _, rows in table.groupby("kpi", sort=False):
            indexed = rows.set_index(keys)
            before = shift(indexed["value"], comparison.earlier, segments)
            whole = shift(indexed["complete"].astype("float64"), comparison.earlier, segments)
            earlier.loc[rows.index] = before.where(whole == 1.0).to_numpy()
        to_date = pd.Series(False, index=table.index, dtype="bool")
        if len(partial):
            to_date.loc[partial] = True
            earlier.loc[partial] = _like_for_like(
                table.loc[partial], comparison, spans, segments, recompute, calendar
            ).to_numpy()
        change = table["value"] - earlier
        pct = change / earlier.where(earlier > 0)
        better = pd.Series((change > 0) == up, index=table.index, dtype="boolean")
        better = better.mask(change.isna() | change.eq(0) | judged_by_range)
        columns |= {
            f"{comparison.name}_value": earlier,
            f"{comparison.name}_change": change,
            f"{comparison.name}_change_pct": pct,
            f"{comparison.name}_better": better,
            f"{comparison.name}_to_date": to_date,
        }
    return table.assign(**columns)


def _like_for_like(
    rows: pd.DataFrame,
    comparison: Comparison,
    spans: Mapping[str, Span],
    segments: Sequence[str],
    recompute: Callable[[tuple[dt.date, dt.date]], pd.DataFrame],
    calendar: Calendar | None = None,
) -> pd.Series:
    """The earlier values of partial rows over the same days of the earlier period.

    The days are counted from the start of each period: a period covered from its day ``a`` to
    its day ``b`` is compared with days ``a`` to ``b`` of the earlier period (cut at its end).
    Empty where the data does not cover those earlier days.
    """
    import pandas as pd

    wanted: dict[tuple[dt.date, dt.date], list[tuple[Any, ...]]] = {}
    lookup: list[tuple[tuple[dt.date, dt.date], tuple[Any, ...]] | None] = []
    for kid, period, *segs in rows[["kpi", "period", *segments]].itertuples(index=False):
        first, last = spans.get(kid, (None, None))
        label = comparison.earlier(period)
        if first is None or last is None or label is None:
            lookup.append(None)
            continue
        _, start, end = periods.parse_period(period, calendar)
        _, earlier_start, earlier_end = periods.parse_period(label, calendar)
        a, b = (max(start, first) - start).days, (min(end, last) - start).days
        days = (earlier_start + dt.timedelta(a), min(earlier_start + dt.timedelta(b), earlier_end))
        if days[0] > days[1] or days[0] < first or days[1] > last:
            lookup.append(None)
            continue
        key = (kid, label, *segs)
        wanted.setdefault(days, []).append(key)
        lookup.append((days, key))
    found: dict[tuple[dt.date, dt.date], pd.Series] = {}
    for days in wanted:
        table = recompute(days)
        found[days] = table.set_index(["kpi", "period", *segments])["value"]
    values = [float("nan") if item is None else _get(found[item[0]], item[1]) for item in lookup]
    return pd.Series(values, index=rows.index, dtype="float64")


def _get(values: pd.Series, key: tuple[Any, ...]) -> float:
    found = values.reindex([key] if len(key) > 1 else [key[0]])
    return float(found.iloc[0])
