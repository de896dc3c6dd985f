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
import datetime as dt
import io
import json
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit._collect import query_failed
from kpikit._derived import walk
from kpikit._time import empty_value
from kpikit.spec import Kpi, Source

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Rows",
    "assemble",
    "cells",
    "fetch",
    "fill_spine",
    "formulas",
    "from_frame",
    "significant",
    "significant_array",
    "size",
    "warn_undated",
]

NAN = float("nan")
Key = tuple[Any, ...]  # (period label, *segment values)
Cell = tuple[float, float, float]  # value, numerator, denominator (NaN when empty)
Table = dict[str, dict[Key, Cell]]  # KPI id -> its rows, in the order they were made

_NUMBERS = ("value", "numerator", "denominator")


#: The Arrow type of a segment column from its DuckDB type, so compute()'s DataFrame has the
#: dtypes that DuckDB's Arrow result gives on the pandas path (whatever the values).
_ARROW_TYPES = {
    "VARCHAR": ("string",),
    "BIGINT": ("int64",),
    "DOUBLE": ("float64",),
    "BOOLEAN": ("bool_",),
    "DATE": ("date32",),
    "TIMESTAMP": ("timestamp", "us"),
    "TIMESTAMP_NS": ("timestamp", "ns"),
    "TIMESTAMP_MS": ("timestamp", "ms"),
    "TIMESTAMP_S": ("timestamp", "s"),
}


class Rows:
    """A small table in plain Python: column names and one tuple per row (None when empty).

    ``kpikit compute`` writes it without pandas; :meth:`to_pandas` gives compute()'s DataFrame.
    ``types`` may give a segment column's DuckDB type (e.g. ``{"store": "BIGINT"}``), which
    :meth:`to_pandas` follows instead of guessing from the values.
    """

    def __init__(
        self,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        types: dict[str, str | None] | None = None,
    ) -> None:
        self.columns, self.rows, self.types = list(columns), rows, dict(types or {})

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
        names = set(columns)
        at = [i for i, c in enumerate(self.columns) if c in names]
        out = []
        for row in self.rows:
            cells = list(row)
            for i in at:
                if cells[i] is not None:
                    cells[i] = func(cells[i])
            out.append(tuple(cells))
        return Rows(self.columns, out, self.types)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        """CSV text as pandas writes it (``to_csv(index=False, na_rep="")``).

        Empty cells are blank, numbers are written as Python writes them, and a column of times
        that are all midnight is written as dates, as pandas writes a datetime64 column.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(
            ["" if cell is None else repr(cell) if type(cell) is float else cell for cell in row]
            for row in self._dated()
        )
        return buffer.getvalue()

    def to_json(self) -> str:
        """A JSON list of records: empty cells as null, text as written (UTF-8), times in ISO.

        A column of times that are all midnight is written as dates, as in :meth:`to_csv`.
        """
        records = [dict(zip(self.columns, row, strict=True)) for row in self._dated()]
        text = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False, default=_iso)
        return text + "\n"

    def _dated(self) -> list[tuple[Any, ...]]:
        """The rows, with each column of naive times that are all midnight as dates."""
        columns = zip(*self.rows, strict=True)
        midnight = [i for i, column in enumerate(columns) if _all_midnight(column)]
        if not midnight:
            return self.rows
        out = []
        for row in self.rows:
            cells = list(row)
            for i in midnight:
                if isinstance(cells[i], dt.datetime):
                    cells[i] = cells[i].date()
            out.append(tuple(cells))
        return out

    def to_pandas(self) -> pd.DataFrame:
        """The DataFrame :func:`kpikit.engine.compute` returns, typed as on the pandas path.

        ``kpi`` and ``period`` text, ``complete`` bool, numbers float64 (empty is NaN), and each
        segment column of its DuckDB type as Arrow gives it to pandas (or else as pandas infers
        it from its values); a missing value is NaN.
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
                series = _segment_series(list(values), self.types.get(name))
                if series.dtype == object:
                    series = series.where(series.notna(), NAN)
                data[name] = series
        return pd.DataFrame(data, columns=self.columns)


def _segment_series(values: list[Any], duckdb_type: str | None) -> pd.Series:
    import pandas as pd

    spec = _ARROW_TYPES.get(duckdb_type or "")
    if spec is None:
        return pd.Series(values, dtype=None if values else "str")
    import pyarrow as pa

    if spec[0] == "int64" and any(isinstance(v, float) for v in values):
        spec = ("float64",)  # whole numbers with a missing value, made floats (engine)
    arrow_type = getattr(pa, spec[0])(*spec[1:])
    return pa.array(values, type=arrow_type).to_pandas()


def _all_midnight(values: Sequence[Any]) -> bool:
    """True when every time in a column is a naive midnight (and there is one)."""
    times = [v for v in values if isinstance(v, dt.datetime)]
    return bool(times) and all(v.tzinfo is None and v.time() == dt.time() for v in times)


def _iso(value: Any) -> str:
    """A date or time as ISO 8601 text, for JSON."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def fetch(relation: Any, source: Source) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    """A DuckDB relation's column names, their DuckDB types and its rows (Python values).

    Raises:
        DataError: DuckDB failed while running the query over ``source``'s files.
    """
    import duckdb

    try:
        return list(relation.columns), [str(t) for t in relation.types], relation.fetchall()
    except duckdb.Error as exc:
        raise query_failed(exc, source) from None


#: Powers of ten, from Python's float ``**`` once, so the rounding of every path uses the same
#: scale bits (numpy's array ``**`` differs from Python's in the last bit for some exponents).
_LOW, _HIGH = -330, 308
_POW10 = [10.0**k for k in range(_LOW, _HIGH + 1)]


def _pow10(k: int) -> float:
    return _POW10[min(max(k, _LOW), _HIGH) - _LOW]


def significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits, bit for bit as :func:`significant_array`.

    Values too small or too large to scale (beyond 1e±290 or so) are left as they are, as are 0,
    NaN and infinities.

    Example:
        >>> significant(205759.84999999998, 12)
        205759.85
    """
    if value != value or value == 0 or math.isinf(value):
        return value
    size = abs(value)
    magnitude = math.floor(math.log10(size))
    if size >= _pow10(magnitude + 1):  # log10 can land one off next to a power of ten
        magnitude += 1
    elif size < _pow10(magnitude):
        magnitude -= 1
    k = digits - 1 - magnitude
    if not _LOW < k < _HIGH:
        return value
    scale = _POW10[k - _LOW]
    return round(value * scale) / scale


def significant_array(values: Any, digits: int) -> Any:
    """A float64 numpy array rounded as :func:`significant` rounds each value (a new array)."""
    import numpy as np

    table = np.array(_POW10)
    numbers = np.array(values, dtype="float64", copy=True)
    ok = np.isfinite(numbers) & (numbers != 0)
    size = np.abs(numbers[ok])
    magnitude = np.floor(np.log10(size)).astype("int64")

    def pow10(k: Any) -> Any:
        return table[np.clip(k, _LOW, _HIGH) - _LOW]

    up = size >= pow10(magnitude + 1)
    down = ~up & (size < pow10(magnitude))
    magnitude += up.astype("int64") - down.astype("int64")
    k = digits - 1 - magnitude
    inside = (k > _LOW) & (k < _HIGH)
    scale = pow10(k)
    rounded = np.round(numbers[ok] * scale) / scale
    numbers[ok] = np.where(inside, rounded, numbers[ok])
    return numbers


def size(names: list[str], rows: list[tuple[Any, ...]], kpis: int, segments: Sequence[str]) -> int:
    """About how many values ``kpis`` KPIs of these rows make once the time spine is filled.

    Every period from the first to the last row's, for every segment seen: the spine's size.
    """
    if not rows:
        return 0
    at = {name: i for i, name in enumerate(names)}
    period, seg = at["__kpikit_period"], [at[s] for s in segments]
    keys = {row[period] for row in rows if row[period] is not None}
    combos = len({tuple(row[i] for i in seg) for row in rows}) if segments else 1
    return kpis * max(len(rows), len(keys) * combos)


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
        where = (labels[key], *(row[i] for i in segment_at))
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


def assemble(
    table: Table,
    *,
    keep: Sequence[str],
    order: dict[str, int],
    segments: Sequence[str],
    covered: Callable[[str, str], bool],
    since: str | None,
    types: dict[str, str | None],
) -> Rows:
    """compute()'s rows from ``table``: the KPIs in ``keep``, from period ``since`` on, sorted.

    Columns ``kpi, period, <segments>, complete, value, numerator, denominator``, sorted by KPI
    (``order``), period, then segments (missing last); ``covered(kpi, period)`` gives
    ``complete``. Whole-number segments with a missing value become floats, as pandas reads
    them from a CSV.
    """
    kept = set(keep)
    out = [
        (kid, key[0], *(_none(v) for v in key[1:]), covered(kid, key[0]), *map(_none, cell))
        for kid, rows in table.items()
        if kid in kept
        for key, cell in rows.items()
        if since is None or key[0] >= since
    ]
    width = len(segments)
    out.sort(key=lambda r: (order[r[0]], r[1], *(_missing_last(v) for v in r[2 : 2 + width])))
    rows = Rows(["kpi", "period", *segments, "complete", *_NUMBERS], out, types)
    for at, name in enumerate(segments, start=2):
        if types.get(name) == "BIGINT" and any(row[at] is None for row in out):
            rows = rows.map([name], float)
    return rows


def _none(value: Any) -> Any:
    """None for NaN (an empty number, or a missing segment); anything else as it is."""
    return None if value != value else value


def _missing_last(value: Any) -> tuple[bool, Any]:
    """A sort key that puts missing values (None, NaN) last, as pandas' na_position='last'."""
    missing = value is None or value != value
    return (missing, None if missing else value)


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
            num, den = empty_value(kpi.numerator), empty_value(kpi.denominator)
            cell = (_divide(num, den), num, den)
        else:
            cell = (empty_value(kpi.measure), NAN, NAN)
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


def _value(table: Table, kid: str, key: Key | None) -> float:
    cell = table.get(kid, {}).get(key) if key is not None else None
    return NAN if cell is None else cell[0]


def _divide(numerator: float, denominator: float) -> float:
    """Numerator / denominator, empty (NaN) when the denominator is 0 or empty."""
    if denominator == 0 or denominator != denominator:
        return NAN
    return numerator / denominator
