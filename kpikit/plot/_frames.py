"""Reading the engine's tidy frame for plotting: one KPI's series on a full calendar."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit.errors import ParameterError
from kpikit.fmt import MISSING_SEGMENT, format_segment

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi

__all__ = ["RESULT_COLUMNS", "kpi_rows", "segment_columns", "series", "wide_series"]

#: Columns of a compute() frame that are not segments.
RESULT_COLUMNS = ("kpi", "period", "complete", "value", "numerator", "denominator")


#: The columns compute(compare=...) adds: ``<previous|year_ago|lagN>_<part>``.
_COMPARISON = re.compile(r"^(previous|year_ago|lag\d+)_(value|change|change_pct|better|to_date)$")


def segment_columns(frame: pd.DataFrame) -> list[str]:
    """The ``by`` columns of a compute() frame (not kpi, period, the numbers or comparisons)."""
    return [
        str(c) for c in frame.columns if c not in RESULT_COLUMNS and not _COMPARISON.match(str(c))
    ]


def kpi_rows(frame: pd.DataFrame, kpi: Kpi, *, what: str = "frame") -> pd.DataFrame:
    """The rows of ``frame`` for ``kpi``, after checking that it looks like a compute() frame."""
    missing = [c for c in ("kpi", "period", "value") if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{what} is not a kpikit.compute() frame",
            expected="the columns kpi, period and value",
            found="no column " + ", ".join(repr(c) for c in missing),
            hint="pass the frame returned by kpikit.compute(spec, ...)",
        )
    return frame.loc[frame["kpi"] == kpi.id]


def calendar(labels: Any) -> list[str]:
    """Every period from the first to the last of ``labels`` (so missing periods become gaps)."""
    present = sorted({str(p) for p in labels})
    if not present:
        return []
    grains = {periods.grain_of(p) for p in present}
    if len(grains) > 1:
        raise ParameterError(
            "the frame mixes period grains",
            expected="periods of one grain",
            found=", ".join(sorted(grains)),
            hint="compute each grain separately",
        )
    return periods.period_range(present[0], present[-1])


def series(rows: pd.DataFrame, labels: list[str]) -> pd.Series:
    """Float values indexed by ``labels``; NaN where a period has no row or an empty value."""
    import pandas as pd

    values = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    by_period = pd.Series(values.to_numpy(), index=rows["period"].astype(str).to_numpy())
    if by_period.index.has_duplicates:
        raise ParameterError(
            "the frame has several rows per period for one KPI",
            expected="one row per period, or a segment_column naming the segments",
            found=f"{int(by_period.index.duplicated().sum())} repeated periods",
            hint="pass segment_column= the `by` column you computed with",
        )
    return by_period.reindex(labels).astype("float64")


def wide_series(rows: pd.DataFrame, labels: list[str], column: str) -> dict[str, pd.Series]:
    """One series per segment of ``column``, keyed by its label; ``(missing)`` comes last."""
    out: dict[str, pd.Series] = {}
    keys = rows[column].map(format_segment)
    for label in sorted(set(keys), key=lambda k: (k == MISSING_SEGMENT, k)):
        out[label] = series(rows.loc[keys == label], labels)
    return out
