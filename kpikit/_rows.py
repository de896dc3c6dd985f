"""The engine's last steps in plain Python, for DuckDB: KPIs computed without importing pandas.

On DuckDB, the heavy work is one SQL query per source and only a few aggregated rows come back
(the 20-KPI monthly scorecard of 10 million rows is 216 rows). Importing pandas, numpy and
pyarrow to finish those rows costs 0.35 s of CPU, about a third of ``kpikit compute`` as a
command, and DuckDB's threads pay for it while the query runs (``benchmarks/engine.py``). So when
every source is a DuckDB relation and no step needs pandas (no ``compare``, ``top`` or
``window:``), :func:`kpikit.engine.compute` finishes here: the query's rows are fetched as
Python tuples, labelled, divided, filled to the time spine, formulas are evaluated (with the
same evaluator as on pandas, :func:`kpikit._derived.walk`), flagged ``complete`` and sorted.
Python KPIs are computed on pandas as everywhere (:mod:`kpikit._python_kpis`) and joined in.
The result is a :class:`Rows`, which ``compute`` turns into its pandas DataFrame and the
``kpikit compute`` command writes as CSV, JSON or text without pandas.

These steps are written by hand because no library finishes a few hundred rows without an
import that costs more than the work; they follow the pandas steps rule for rule (the engine's
tests run on every backend, so both are checked against the same hand-computed numbers):

- a ratio is numerator / denominator, empty when the denominator is 0 or empty;
- sums are 0 where a group has no values, every aggregate is rounded to
  :data:`kpikit.engine.SIGNIFICANT_DIGITS` significant digits before anything is derived;
- the spine adds every period of the source's span for every segment the KPI has: 0 for
  additive measures, empty for the others;
- formulas see every period and segment any KPI has; an input missing there is empty.

Example:
    >>> rows = Rows(["kpi", "period", "value"],
    ...             [("ctr", "2026-11", 0.25), ("ctr", "2026-12", None)])
    >>> print(rows.to_csv(), end="")
    kpi,period,value
    ctr,2026-11,0.25
    ctr,2026-12,
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit._collect import query_failed
from kpikit._derived import walk
from kpikit._time import ADDITIVE
from kpikit.spec import Kpi, Source

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Rows",
    "cells",
    "fetch",
    "fill_spine",
    "formulas",
    "from_frame",
    "significant",
    "warn_undated",
]

NAN = float("nan")
Key = tuple[Any, ...]  # (period label, *segment values)
Cell = tuple[float, float, float]  # value, numerator, denominator (NaN when empty)
Table = dict[str, dict[Key, Cell]]  # KPI id -> its rows, in the order they were made

_NUMBERS = ("value", "numerator", "denominator")


class Rows:
    """A small table in plain Python: column names and one tuple per row (None when empty).

    ``kpikit compute`` writes it without pandas; :meth:`to_pandas` gives compute()'s DataFrame.
    """

    def __init__(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.columns, self.rows = list(columns), rows

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_pandas(cls, frame: pd.DataFrame) -> Rows:
        """A DataFrame's rows as Python values, missing ones (NaN, NA, NaT) as None."""
        records = frame.astype(object).where(frame.notna(), None)
        rows = list(records.itertuples(index=False, name=None))
        return cls([str(c) for c in frame.columns], rows)

    def map(self, columns: Iterable[str], func: Callable[[Any], Any]) -> Rows:
        """A copy with ``func`` applied to the non-empty cells of ``columns``."""
        at = [i for i, c in enumerate(self.columns) if c in set(columns)]
        out = []
        for row in self.rows:
            cells = list(row)
            for i in at:
                if cells[i] is not None:
                    cells[i] = func(cells[i])
            out.append(tuple(cells))
        return Rows(self.columns, out)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        """CSV text as pandas writes it (``to_csv(index=False, na_rep="")``): empty is blank."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(
            ["" if cell is None else repr(cell) if type(cell) is float else cell for cell in row]
            for row in self.rows
        )
        return buffer.getvalue()

    def to_json(self) -> str:
        """A JSON list of records: empty cells as null, text as written (UTF-8)."""
        return json.dumps(self.records(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_pandas(self) -> pd.DataFrame:
        """The DataFrame :func:`kpikit.engine.compute` returns, typed as on the pandas path.

        ``kpi`` and ``period`` text, ``complete`` bool, numbers float64 (empty is NaN), and each
        segment column as pandas infers it from its values (a missing value is NaN).
        """
        import pandas as pd

        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(self.columns)
        data: dict[str, Any] = {}
        for name, values in zip(self.columns, columns, strict=True):
            if name in ("kpi", "period"):
                data[name] = pd.Series(values, dtype="str")
            elif name == "complete":
                data[name] = pd.Series(values, dtype="bool")
            elif name in _NUMBERS:
                data[name] = pd.Series([NAN if v is None else v for v in values], dtype="float64")
            else:
                series = pd.Series(values, dtype=None if values else "str")
                if series.dtype == object:
                    series = series.where(series.notna(), NAN)
                data[name] = series
        return pd.DataFrame(data, columns=self.columns)


def fetch(relation: Any, source: Source) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A DuckDB relation's column names and rows (Python values).

    Raises:
        DataError: DuckDB failed while running the query over ``source``'s files.
    """
    import duckdb

    try:
        return list(relation.columns), relation.fetchall()
    except duckdb.Error as exc:
        raise query_failed(exc, source) from None


def significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits, as ``engine._significant`` rounds.

    The same arithmetic as numpy's there (``round`` halves to even like ``np.round``), so both
    paths give the same bits.

    Example:
        >>> significant(205759.84999999998, 12)
        205759.85
    """
    if value != value or value == 0 or math.isinf(value):
        return value
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(value))))
    return round(value * scale) / scale


def cells(
    names: list[str],
    rows: list[tuple[Any, ...]],
    kpis: Sequence[Kpi],
    handles: dict[str, list[tuple[str, ...]]],
    label: Callable[[Any], str],
    segments: Sequence[str],
    digits: int,
    source: Source,
) -> tuple[Table, list[Any], list[Any]]:
    """Each KPI's (value, numerator, denominator) per period label and segments.

    ``names``/``rows`` are the aggregation's result (``engine._source_query``); ``handles`` say
    which columns make each KPI (as ``engine._Plan.resolve`` reads them); ``label`` turns a
    period key into its label. Also returns every group's first and last time. Rows without a
    period are left out with a warning.
    """
    at = {name: i for i, name in enumerate(names)}
    period, first, last = at["__kpikit_period"], at["__kpikit_first"], at["__kpikit_last"]
    segment_at = [at[s] for s in segments]
    labels: dict[Any, str] = {}
    table: Table = {kpi.id: {} for kpi in kpis}

    def read(row: tuple[Any, ...], handle: tuple[str, ...]) -> float:
        if handle[0] == "distinct":
            return float(row[at[handle[1]]] - row[at[handle[2]]])
        value = row[at[handle[1]]]
        if value is None:
            return 0.0 if handle[0] == "sum" else NAN  # a sum of no values is 0
        return significant(float(value), digits)

    undated, firsts, lasts = 0, [], []
    for row in rows:
        key = row[period]
        if key is None:
            undated += int(row[at["__kpikit_rows"]])
            continue
        if key not in labels:
            labels[key] = label(key)
        where = (labels[key], *(_one_nan(row[i]) for i in segment_at))
        firsts.append(row[first])
        lasts.append(row[last])
        for kpi in kpis:
            values = [read(row, h) for h in handles[kpi.id]]
            if kpi.is_ratio:
                num, den = values
                table[kpi.id][where] = (_divide(num, den), num, den)
            else:
                table[kpi.id][where] = (values[0], NAN, NAN)
    if undated:
        warn_undated(undated, source, stacklevel=6)
    return table, firsts, lasts


def from_frame(frame: pd.DataFrame, segments: Sequence[str]) -> Table:
    """The engine's rows in a pandas frame (``kpi, period, <segments>, value, ...``) as a Table."""
    table: Table = {}
    for record in Rows.from_pandas(frame).records():
        key = (record["period"], *(record[s] for s in segments))
        numbers = (NAN if record[c] is None else float(record[c]) for c in _NUMBERS)
        table.setdefault(record["kpi"], {})[key] = tuple(numbers)  # type: ignore[assignment]
    return table


def warn_undated(count: int, source: Source, stacklevel: int) -> None:
    """Say that ``count`` rows of ``source`` have no time and are in no period."""
    warnings.warn(
        f"{count} row(s) of source '{source.id}' have no '{source.time}' and are left out of "
        "every period",
        UserWarning,
        stacklevel=stacklevel,
    )


def fill_spine(
    table: Table, kpis: Sequence[Kpi], labels: Sequence[str], segments: Sequence[str]
) -> None:
    """Add, in place, every period of ``labels`` for every segment each KPI has (the spine).

    A new row is 0 for an additive measure and empty otherwise; a ratio's numerator and
    denominator are filled that way, and its value is empty.
    """
    if not labels:
        return
    for kpi in kpis:
        rows = table[kpi.id]
        combos = dict.fromkeys(key[1:] for key in rows) if segments else {(): None}
        if kpi.is_ratio:
            num, den = _empty(kpi.numerator), _empty(kpi.denominator)
            cell = (_divide(num, den), num, den)
        else:
            cell = (_empty(kpi.measure), NAN, NAN)
        for period in labels:
            for combo in combos:
                rows.setdefault((period, *combo), cell)


def formulas(table: Table, kpis: Sequence[Kpi], segments: Sequence[str]) -> None:
    """Add, in place, each formula KPI's rows (in order, so one formula may use another).

    A formula has a row for every period and segment any KPI has (:mod:`kpikit._derived`).
    """
    keys = list(dict.fromkeys(key for rows in table.values() for key in rows))
    for kpi in kpis:
        assert kpi.formula is not None
        out: dict[Key, Cell] = {}
        for key in keys:
            out[key] = (_evaluate(kpi, table, key), NAN, NAN)
        table[kpi.id] = out


def _evaluate(kpi: Kpi, table: Table, key: Key) -> float:
    """A formula KPI's value at ``key`` (period and segments)."""

    def lag(kid: str, n: int) -> float:
        earlier = periods.previous(key[0], n)
        return _value(table, kid, None if earlier is None else (earlier, *key[1:]))

    assert kpi.formula is not None
    value: float = walk(
        kpi.formula,
        number=float,
        ref=lambda kid: _value(table, kid, key),
        lag=lag,
        divide=_divide,
    )
    return value


def _one_nan(value: Any) -> Any:
    """A segment value, with every float NaN as the same object, so NaN keys match in a dict.

    (NaN equals nothing, not even itself; a dict finds a key by identity first.) NULL stays None:
    DuckDB groups NaN and NULL apart, and so does the pandas path, which shows both as NaN.
    """
    return NAN if value != value else value


def _value(table: Table, kid: str, key: Key | None) -> float:
    cell = table.get(kid, {}).get(key) if key is not None else None
    return NAN if cell is None else cell[0]


def _divide(numerator: float, denominator: float) -> float:
    """Numerator / denominator, empty (NaN) when the denominator is 0 or empty."""
    if denominator == 0 or denominator != denominator:
        return NAN
    return numerator / denominator


def _empty(measure: Any) -> float:
    """The value of ``measure`` over no rows: 0 when additive, else empty."""
    return 0.0 if measure is not None and measure.func in ADDITIVE else NAN
