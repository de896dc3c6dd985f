"""Windows: trailing, to-date and running KPIs, re-aggregated at each period from its parts.

A KPI with ``window:`` (a :class:`~kpikit.spec.Window`) takes, at each period, the value of a
span of periods ending with it:

- ``{periods: N}``: the trailing N periods of the grain (``previous(period, N - 1)`` to the period);
- ``{to_date: unit}``: from the first period of the enclosing week, month, quarter or year (a
  week's year is its ISO year, the year in its label);
- ``all``: every period from the first data (a running total).

Windows are found by period LABELS (:func:`kpikit.periods.previous` and
:func:`~kpikit.periods.period_range`), never by row position, so a missing month is simply a
month without rows: a trailing-3-month value in April spans February to April whatever is missing.

How a window's value is built:

- Additive parts are aggregated per period in the engine's single pass, then combined: sums and
  counts are summed, a mean is Σ sum / Σ count, a min the min of the periods' mins and a max the
  max of their maxes, a ratio Σ numerator / Σ denominator (empty when that is 0).
- Non-additive measures (``count_distinct``, ``median``, ``quantile``) cannot be rebuilt from
  periods: a KPI that uses one is computed from the rows of each whole window (one more query per
  source, whose rows are those of every window, so it reads each row as many times as there are
  windows that hold it).

Rows: a window row appears for each period of the time spine (every period from the source's
first to its last day, see :mod:`kpikit._time`), and each segment the source has rows for; a
window without rows is 0 for additive measures and empty otherwise.

``complete`` is True when the source's data covers every day of the window: from the first day
of its first period (the first data for ``all``) to the last day of the period. Formula KPIs see
their inputs' window values, and are complete only where their windowed inputs are.

Example:
    >>> from kpikit.spec import Window
    >>> window_labels(Window(periods=3), "2026-03", "month")
    ['2026-01', '2026-02', '2026-03']
    >>> window_labels(Window(to_date="quarter"), "2026-05", "month")
    ['2026-04', '2026-05']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit import periods
from kpikit._data import datetime_lit, prepare
from kpikit._expr import Measure
from kpikit._windowspec import nesting_units, window_fits
from kpikit.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Calendar, Kpi, Source, Spec, Window

__all__ = ["WindowPlan", "first_label", "window_labels"]

Span = tuple[dt.date | None, dt.date | None]


def first_label(
    window: Window, label: str, grain: str, calendar: Calendar = periods.DEFAULT_CALENDAR
) -> str | None:
    """The first period of the window that ends with ``label`` (None for ``all``).

    Example:
        >>> from kpikit.spec import Window
        >>> first_label(Window(to_date="year"), "2026-W10", "week")
        '2026-W01'
    """
    if window.periods is not None:
        return periods.previous(label, window.periods - 1)
    if window.to_date is None:
        return None
    if grain == "week":  # to_date: year, the ISO year of the week
        monday = dt.date.fromisocalendar(int(label[:4]), 1, 1)
        return periods.label(monday, "week", calendar)
    start = periods.parse_period(label, calendar)[1]
    unit_start = periods.parse_period(periods.label(start, window.to_date, calendar), calendar)[1]
    return periods.label(unit_start, grain, calendar)


def window_labels(
    window: Window,
    label: str,
    grain: str,
    known: Sequence[str] = (),
    calendar: Calendar = periods.DEFAULT_CALENDAR,
) -> list[str]:
    """The labels of the window ending with ``label``; for ``all``, those of ``known`` up to it."""
    first = first_label(window, label, grain, calendar)
    if first is None:
        return sorted(k for k in known if k <= label)
    return periods.period_range(first, label)


class WindowPlan:
    """How ``compute`` gets the windowed KPIs among ``needed`` at ``grain``.

    Raises:
        ParameterError: a ``to_date`` window whose unit is not made of whole periods of the grain
            (``to_date: month`` at grain ``quarter`` or ``week``), or a window on a formula KPI.
    """

    def __init__(self, spec: Spec, needed: Sequence[Kpi], grain: str) -> None:
        self.spec, self.grain, self.calendar = spec, grain, spec.calendar
        self.windowed = {k.id: k for k in needed if k.window is not None}
        self._combine: dict[str, list[tuple[str, ...]]] = {}
        self._parts: dict[str, list[Kpi]] = {}
        for kpi in self.windowed.values():
            assert kpi.window is not None
            if kpi.is_formula:
                raise ParameterError(
                    f"KPI '{kpi.id}' is a formula with a window",
                    expected="windows on the KPIs a formula uses",
                    found=f"window: {kpi.window.text}",
                    hint="move the window to the formula's inputs",
                )
            if not window_fits(kpi.window.text, grain):
                fits = nesting_units(grain)
                raise ParameterError(
                    f"KPI '{kpi.id}' has window {{{kpi.window.text}}}, which grain '{grain}' "
                    "cannot carry",
                    expected="a to_date unit made of whole periods of the grain: "
                    + (", ".join(fits) if fits else "none at grain year"),
                    found=f"to_date: {kpi.window.to_date}",
                    hint="compute it at a finer grain (e.g. grain='month')",
                )
            if all(m.is_additive for m in _measures(kpi)):
                self._plan_parts(kpi)

    def _plan_parts(self, kpi: Kpi) -> None:
        """The per-period part KPIs of an additive window KPI and how to combine them."""
        parts: dict[str, Kpi] = {}

        def part(measure: Measure) -> str:
            pid = f"{kpi.id}[{measure.text}]"
            parts[pid] = kpi._replace(
                id=pid, measure=measure, numerator=None, denominator=None, window=None
            )
            return pid

        roles: list[tuple[str, ...]] = []
        for measure in _measures(kpi):
            if measure.func == "mean":
                total = Measure("sum", measure.column, f"sum({measure.column})")
                count = Measure("count", measure.column, f"count({measure.column})")
                roles.append(("mean", part(total), part(count)))
            else:
                how = measure.func if measure.func in ("min", "max") else "sum"
                roles.append((how, part(measure)))
        self._combine[kpi.id] = roles
        self._parts[kpi.id] = list(parts.values())

    def reach(self, first: str | None) -> str | None:
        """The first period to read so every window of the periods from ``first`` is whole."""
        if first is None:
            return None
        reached = first
        for kpi in self.windowed.values():
            assert kpi.window is not None
            earliest = first_label(kpi.window, first, self.grain, self.calendar)
            if earliest is None:
                return None  # all: from the first data
            reached = min(reached, earliest)
        return reached

    def widen(self, days: tuple[dt.date, dt.date]) -> Span:
        """Days to read so the windows of the periods in ``days`` are whole (comparisons)."""
        if not self.windowed:
            return days
        first = self.reach(periods.label(days[0], self.grain, self.calendar))
        return (None if first is None else periods.parse_period(first, self.calendar)[1], days[1])

    def parts(self, sid: str, group: Sequence[Kpi]) -> list[Kpi]:
        """The KPIs the engine aggregates per period for ``group`` (a source's KPIs)."""
        out, windowed = [], False
        for kpi in group:
            if kpi.id not in self.windowed:
                out.append(kpi)
                continue
            windowed = True
            out += [p for p in self._parts.get(kpi.id, []) if p.id not in {k.id for k in out}]
        if windowed:  # the periods and segments the source has rows in
            out.append(group[0]._replace(id=_grid(sid), **_ROWS))
        return out

    def by_rows(
        self, source: Source, group: Sequence[Kpi], native: Any, frames: Sequence[pd.DataFrame],
        days: Span,
    ) -> list[tuple[list[Kpi], Any]]:  # fmt: skip
        """The non-additive window KPIs of ``group`` and a frame holding each window's rows.

        Every row is repeated once for each window that holds it, its time moved to the first
        day of that window's last period, so the engine's own pass (grouped by period) computes
        each window from its rows. KPIs with the same window share one frame (one pass).
        """
        same: dict[Window, list[Kpi]] = {}
        for kpi in group:
            if kpi.window is not None and kpi.id in self.windowed and kpi.id not in self._combine:
                same.setdefault(kpi.window, []).append(kpi._replace(window=None))
        grid = [f for f in frames if len(f) and f["kpi"].iloc[0] == _grid(source.id)]
        if not same or not grid:
            return []
        labels = sorted(grid[0]["period"].unique())
        frame, time = prepare(source, native), source.time
        out = []
        for window, kpis in same.items():
            pieces = []
            for label in labels:
                first = first_label(window, label, self.grain, self.calendar)
                lo = None if first is None else periods.parse_period(first, self.calendar)[1]
                hi = periods.parse_period(label, self.calendar)[2]
                lo = days[0] if lo is None or (days[0] is not None and days[0] > lo) else lo
                hi = days[1] if days[1] is not None and days[1] < hi else hi
                rows = frame.filter(nw.col(time) < _midnight(hi + dt.timedelta(1)))
                if lo is not None:
                    rows = rows.filter(nw.col(time) >= _midnight(lo))
                start = periods.parse_period(label, self.calendar)[1]
                pieces.append(rows.with_columns(_midnight(start).alias(time)))
            out.append((kpis, nw.to_native(nw.concat(pieces, how="vertical"))))
        return out

    def apply(self, table: pd.DataFrame, segments: Sequence[str]) -> pd.DataFrame:
        """``table`` with the additive window KPIs' rows built from their parts (parts dropped)."""
        import pandas as pd

        if not self.windowed:
            return table
        hidden = {p.id for parts in self._parts.values() for p in parts}
        hidden |= {_grid(k.source) for k in self.windowed.values() if k.source}
        present = set(table["kpi"])
        built = [  # KPIs left out (their source lacks a by= column) have no parts
            self._build(table, kid, segments)
            for kid in self._combine
            if {p.id for p in self._parts[kid]} <= present
        ]
        kept = table[~table["kpi"].isin(hidden)]
        return pd.concat([kept, *built], ignore_index=True) if built else kept

    def _build(self, table: pd.DataFrame, kid: str, segments: Sequence[str]) -> pd.DataFrame:
        import pandas as pd

        from kpikit.engine import _significant

        kpi = self.windowed[kid]
        assert kpi.window is not None and kpi.source is not None
        keys = ["period", *segments]
        parts = table[table["kpi"].isin([p.id for p in self._parts[kid]])]
        wide = parts.set_index([*keys, "kpi"])["value"].unstack("kpi").reset_index()
        labels = sorted(table.loc[table["kpi"] == _grid(kpi.source), "period"].unique())
        known = sorted(wide["period"].unique())
        pairs = [
            (label, base)
            for label in labels
            for base in window_labels(kpi.window, label, self.grain, known, self.calendar)
        ]
        spans = pd.DataFrame(pairs, columns=["__out", "period"])
        merged = spans.merge(wide, on="period").drop(columns="period")
        how: dict[str, str] = {}
        for role in self._combine[kid]:
            how |= {pid: role[0] if role[0] in ("min", "max") else "sum" for pid in role[1:]}
        grouped = merged.groupby(["__out", *segments], dropna=False, sort=False)
        combined = grouped.agg(how).reset_index().rename(columns={"__out": "period"})
        values = []
        for role in self._combine[kid]:
            if role[0] == "mean":
                count = combined[role[2]]
                values.append(combined[role[1]] / count.where(count > 0))
            else:
                values.append(combined[role[1]])
        values = [_significant(v.astype("float64")) for v in values]
        if kpi.is_ratio:
            num, den = values
            value = num / den.where(den != 0)
        else:
            value, num = values[0], pd.Series(float("nan"), index=combined.index)
            den = num
        body = {k: combined[k] for k in keys}
        return pd.DataFrame(
            {"kpi": kid, **body, "value": value, "numerator": num, "denominator": den}
        )

    def complete(self, table: pd.DataFrame, spans: dict[str, Span]) -> pd.Series:
        """``table``'s ``complete`` column, where windows count: every day of the window."""
        from kpikit._derived import inputs_of

        flags = table["complete"].copy()
        if not self.windowed:
            return flags
        for kid in table["kpi"].unique():
            inputs = inputs_of(self.spec, [self.spec.kpis[kid]]) if kid in self.spec.kpis else []
            windows = [k.window for k in inputs if k.id in self.windowed and k.window]
            if not windows:
                continue
            plain = any(k.source and k.id not in self.windowed for k in inputs)
            first, last = spans.get(kid, (None, None))
            rows = table["kpi"] == kid
            ok = {}
            for label in table.loc[rows, "period"].unique():
                end = periods.parse_period(label, self.calendar)[2]
                starts = [first_label(w, label, self.grain, self.calendar) for w in windows]
                days = [periods.parse_period(s, self.calendar)[1] for s in starts if s is not None]
                if plain:  # an input without a window needs the period itself whole
                    days.append(periods.parse_period(label, self.calendar)[1])
                ok[label] = (
                    first is not None
                    and last is not None
                    and end <= last
                    and all(first <= d for d in days)
                )
            flags.loc[rows] = table.loc[rows, "period"].map(ok).astype(bool)
        return flags.astype(bool)


_ROWS = {
    "measure": Measure("count", None, "count()"),
    "numerator": None, "denominator": None, "filter": None, "filter_text": None, "window": None,
}  # fmt: skip


def _grid(sid: str | None) -> str:
    return f"__kpikit_rows[{sid}]"


def _measures(kpi: Kpi) -> list[Measure]:
    return [m for m in (kpi.measure, kpi.numerator, kpi.denominator) if m is not None]


def _midnight(day: dt.date) -> Any:
    return datetime_lit(dt.datetime.combine(day, dt.time()))
