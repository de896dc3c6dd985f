"""The scorecard: every KPI for one period, beside the previous period and its target.

This is the analysis layer's first piece: it reads the engine's tidy table and adds the
comparison an analyst makes at every check-in. Change is judged by the KPI's ``direction``:
a fall in a ``down`` KPI (say, cost per click) is better.

Example:
    >>> import kpikit
    >>> card = kpikit.scorecard("data/kpis.yml", period="2026-11")  # doctest: +SKIP
    >>> list(card.columns)[:4]  # doctest: +SKIP
    ['kpi', 'name', 'objective', 'objective_title']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat

from kpikit import periods
from kpikit.errors import ParameterError
from kpikit.spec import Kpi, Spec, Target

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCORECARD_COLUMNS", "scorecard"]

SCORECARD_COLUMNS = (
    "kpi", "name", "objective", "objective_title", "unit", "direction",
    "value", "previous", "change", "change_pct", "better", "target", "target_by",
    "target_low", "target_high",
)  # fmt: skip


def scorecard(
    spec: Spec | str | Path,
    *,
    period: str,
    data: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every KPI's value for ``period`` with the previous period, the change and the target.

    Args:
        spec: a loaded spec or the path of a spec file.
        period: a period label; its form sets the grain (``2026-11`` is a month,
            ``2026-Q3`` a quarter).
        data: optional frames that replace the sources' files, by source id.

    Returns:
        One row per KPI in spec order with the columns in :data:`SCORECARD_COLUMNS`.
        ``change_pct`` is empty when the previous value is missing, zero or negative;
        ``better`` is empty when there is no change to judge.
    """
    import pandas as pd

    from kpikit._load import load_spec
    from kpikit.engine import compute

    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if not isinstance(period, str):
        raise ParameterError(
            "period must be text", expected="a label such as 2026-11", found=repr(period)
        )
    grain = periods.grain_of(period)  # any calendar's label (FY2027-Q1 too)
    before = periods.previous(period, 1)
    values = compute(spec, grain=grain, start=before, end=period, data=data)
    wide = values.pivot_table(
        index="kpi", columns="period", values="value", aggfunc="first", dropna=False
    )
    rows = []
    for kpi in spec.kpis.values():
        value = _cell(wide, kpi.id, period)
        previous = _cell(wide, kpi.id, before)
        change = value - previous
        change_pct = change / previous if previous > 0 else float("nan")
        better = _better(kpi, value, previous, change)
        objective = spec.objectives.get(kpi.objective) if kpi.objective else None
        rows.append(
            {
                "kpi": kpi.id,
                "name": kpi.name,
                "objective": kpi.objective,
                "objective_title": objective.title if objective else None,
                "unit": kpi.unit,
                "direction": kpi.direction,
                "value": value,
                "previous": previous,
                "change": change,
                "change_pct": change_pct,
                "better": better,
                **_target(kpi.target, period, previous),
            }
        )
    frame = pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))
    frame["better"] = frame["better"].astype("boolean")
    for column in ("value", "previous", "change", "change_pct", "target", "target_low",
                   "target_high"):  # fmt: skip
        frame[column] = frame[column].astype("float64")
    return frame


def _target(target: Target | None, period: str, previous: float) -> dict[str, Any]:
    """The target columns for ``period``: the single number to reach, or a range's bounds.

    A relative target is resolved here only against the previous period (``vs: previous``);
    :func:`kpikit.targets.assess` resolves every form.
    """
    nan = float("nan")
    cells: dict[str, Any] = {"target": nan, "target_by": None, "target_low": nan,
                             "target_high": nan}  # fmt: skip
    if target is None:
        return cells
    if target.by is not None:
        cells["target_by"] = target.by.isoformat()
    if target.kind == "level":
        cells["target"] = target.value
    elif target.kind == "per_period":
        cells["target"] = target.per_period.get(period, nan)
    elif target.kind == "relative" and target.vs == "previous" and previous > 0:
        cells["target"] = previous * (1 + (target.change or 0.0))
    elif target.kind == "range":
        cells["target_low"], cells["target_high"] = target.min, target.max
    return cells


def _better(kpi: Kpi, value: float, previous: float, change: float) -> Any:
    """Whether the change is for the better, by the KPI's direction (NA when it cannot say).

    For ``direction: range`` a value closer to the target range (or inside it) is better.
    """
    import pandas as pd

    if pd.isna(change) or change == 0:
        return pd.NA
    if kpi.direction == "range":
        target = kpi.target
        if target is None or target.kind != "range":
            return pd.NA
        low = target.min if target.min is not None else -math.inf
        high = target.max if target.max is not None else math.inf
        now, before = (max(low - x, 0.0, x - high) for x in (value, previous))
        return pd.NA if now == before else bool(now < before)
    return bool(change > 0) if kpi.direction == "up" else bool(change < 0)


def _cell(wide: pd.DataFrame, kpi_id: str, period: str) -> float:
    if kpi_id in wide.index and period in wide.columns:
        cell = wide.at[kpi_id, period]
        # The value column is numeric (numpy scalars included); NA, None or NaT is missing: NaN.
        if isinstance(cell, SupportsFloat):
            return float(cell)
    return float("nan")
