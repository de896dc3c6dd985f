"""``compute(..., by=..., top=N)``: each KPI's N largest segments, the rest gathered as ``other``.

Ranking, per KPI, over the whole requested range (every period of the table, from ``start`` to
``end``):

- a ratio KPI by the sum of its **denominator** (its weight: the spend of a ROAS, the sessions of
  a bounce rate). Ranking by the rate itself would put a segment with two sessions and a 100 %
  bounce rate on top; the segments that carry the most weight are the ones that move the total;
- any other KPI by the sum of its values over the periods: the largest revenue, the most orders
  (for means, medians, distinct counts and formulas, the sum of the period values).

Ties go to the segment that sorts first. Segments are combinations of the ``by`` columns.

The ``other`` segment is computed again from the rows of every segment outside the top N, never
added up from their values: a ratio is their Σ numerator / Σ denominator, a mean their rows' mean,
a distinct count or a median comes from their rows, a window or a comparison is that of the
``other`` rows. So the top N and ``other`` together hold every row: additive KPIs (and a ratio's
numerator and denominator) summed over the segments still equal the ungrouped total. A KPI with
N segments or fewer is left as it is. ``other`` sorts after the top segments of each period.

Example:
    >>> check_top(3, ["channel"])
    3
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi, Spec

__all__ = ["OTHER", "check_top", "gather_other", "outside"]

#: The name of the segment that gathers every segment outside the top N.
OTHER = "other"

Segment = tuple[Any, ...]


def check_top(top: object, segments: Sequence[str]) -> int | None:
    """``top`` as a whole number of 1 or more, or None; ParameterError otherwise or without ``by``.

    Example:
        >>> check_top(None, [])
    """
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ParameterError(
            f"top={top!r} is not a number of segments",
            expected="a whole number, 1 or more",
            found=repr(top),
            hint="e.g. top=5 keeps the 5 largest segments and gathers the rest as 'other'",
        )
    if not segments:
        raise ParameterError(
            f"top={top} needs segments",
            expected="by= (or --by) with top= (or --top)",
            found="no by=",
            hint=f"e.g. compute(spec, by='channel', top={top})",
        )
    return top


def rank(table: pd.DataFrame, kpi: Kpi, segments: Sequence[str]) -> list[Segment]:
    """The KPI's segments, largest first (see the module's rule), from its rows of ``table``."""
    rows = table[table["kpi"] == kpi.id]
    weight = rows["denominator"] if kpi.is_ratio else rows["value"]
    totals = weight.groupby([rows[s] for s in segments], dropna=False, sort=True).sum()
    keys = [k if isinstance(k, tuple) else (k,) for k in totals.index]
    order = sorted(range(len(keys)), key=lambda i: -float(totals.iloc[i]))  # stable: ties sorted
    return [keys[i] for i in order]


def gather_other(
    table: pd.DataFrame,
    top: int,
    segments: Sequence[str],
    spec: Spec,
    *,
    read: Callable[[str], Any],
    recompute: Callable[[list[str], dict[str, Any]], pd.DataFrame],
) -> pd.DataFrame:
    """``table`` (the engine's sorted table) with each KPI's segments after the top N as ``other``.

    ``read(source_id)`` gives a source's frame; ``recompute(kpi_ids, data)`` computes those KPIs
    without segments from ``data`` (``{source_id: frame}``), here the rows outside the top
    segments. KPIs with the same top segments share one call.
    """
    import pandas as pd

    kpis = spec.kpis
    order = {kid: i for i, kid in enumerate(table["kpi"].unique())}
    groups: dict[tuple[Segment, ...], list[str]] = {}
    for kid in order:
        ranked = rank(table, kpis[kid], segments)
        if len(ranked) > top:
            groups.setdefault(tuple(ranked[:top]), []).append(kid)
    if not groups:
        return table
    table = table.assign(_pos=range(len(table)))
    rest = pd.Series(False, index=table.index)
    others = []
    for kept, kids in groups.items():
        mine = table["kpi"].isin(kids)
        rest |= mine & ~_isin(table[list(segments)], kept)
        sources = {sid for kid in kids for sid in spec.sources_of(kid)}
        rows = {sid: outside(read(sid), segments, kept) for sid in sorted(sources)}
        other = recompute(kids, rows).assign(**{s: OTHER for s in segments})
        others.append(other.assign(_pos=len(table)))
    out = pd.concat([table[~rest], *others], ignore_index=True)
    out["_order"] = out["kpi"].map(order)
    return out.sort_values(["_order", "period", "_pos"], kind="stable").drop(columns="_pos")


def _isin(values: pd.DataFrame, kept: Sequence[Segment]) -> Any:
    """Where the rows' segment values are one of ``kept`` (a missing value matches a missing)."""
    import numpy as np

    wanted = {tuple(_norm(v) for v in seg) for seg in kept}
    rows = values.itertuples(index=False, name=None)
    return np.array([tuple(_norm(v) for v in row) in wanted for row in rows], dtype=bool)


def _norm(value: Any) -> Any:
    return None if value is None or value != value else value  # NaN and None alike


def outside(native: Any, segments: Sequence[str], kept: Sequence[Segment]) -> Any:
    """The rows of ``native`` (any frame narwhals accepts) whose segments are not in ``kept``."""
    frame = nw.from_native(native)

    def match(segment: Segment) -> Any:
        tests = [
            nw.col(name).is_null()
            if _norm(value) is None
            else (~nw.col(name).is_null() & (nw.col(name) == nw.lit(_python(value))))
            for name, value in zip(segments, segment, strict=True)
        ]
        return functools.reduce(operator.and_, tests)

    inside = functools.reduce(operator.or_, (match(s) for s in kept))
    return nw.to_native(frame.filter(~inside))


def _python(value: Any) -> Any:
    """A numpy scalar as the Python value every backend's literal accepts."""
    return value.item() if hasattr(value, "item") else value
