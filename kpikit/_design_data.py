"""KPI design checks that need the data: a ratio whose denominator is often zero.

A ratio KPI (``numerator`` / ``denominator``, or a formula whose last step divides by another
KPI, such as ``orders / sessions``) is empty (NaN) in every period where its denominator is zero
or has no rows. When that happens in a quarter or more of the complete periods at the KPI's
cadence, the KPI will mostly show nothing at its check-ins: ``kpikit lint`` warns, naming the
share and the periods, and suggests a longer cadence, a larger segment or a guard filter.

This module sits above the engine (it computes the denominators), so the spec layer's
:func:`kpikit._load.lint_spec` does not call it; the ``kpikit lint`` command does, when the spec
is free of errors and its sources can be read.

Example:
    >>> from kpikit import load_spec
    >>> zero_denominator_problems(load_spec("data/kpis.yml"), "data/kpis.yml")
    []
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpikit._formula import BinOp, Ref
from kpikit._windowspec import CADENCE_GRAINS
from kpikit.errors import KpikitError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi, Spec

__all__ = ["ZERO_DENOMINATOR_SHARE", "zero_denominator_problems"]

#: Warn when the denominator is zero or empty in at least this share of the complete periods.
ZERO_DENOMINATOR_SHARE = 0.25
#: How many of the periods a warning lists before "and N more".
_SHOWN_PERIODS = 6
_LONGER = {"daily": "weekly", "weekly": "monthly", "monthly": "quarterly", "quarterly": "yearly"}


def _denominator(kpi: Kpi) -> tuple[str, str, str] | None:
    """``(KPI id to compute, column of the result, text)`` for a ratio's denominator, or None.

    A numerator/denominator KPI's denominator is the engine's ``denominator`` column; a formula
    whose top operation divides by a KPI (``orders / sessions``, ``(revenue - cost) / revenue``)
    has that KPI's ``value`` as its denominator.
    """
    if kpi.window is not None:  # a window's denominator spans several periods
        return None
    if kpi.is_ratio and kpi.denominator is not None:
        return kpi.id, "denominator", kpi.denominator.text
    formula = kpi.formula
    if isinstance(formula, BinOp) and formula.op == "/" and isinstance(formula.right, Ref):
        return formula.right.kpi, "value", formula.right.kpi
    return None


def zero_denominator_problems(spec: Spec, file: str) -> list[Problem]:
    """A warning for each ratio KPI whose denominator is zero in >= 25% of complete periods.

    Each KPI is judged at its cadence's grain (months when it has no cadence), over all the
    data, with one :func:`kpikit.compute` call per grain. Periods the data does not cover
    completely are left out. When the sources cannot be read (a missing file, a bad column),
    the check is skipped and gives no warning: ``kpikit compute`` reports those problems.

    Args:
        spec: a loaded spec.
        file: the spec's file name as the lint prints it.

    Returns:
        Warnings (:class:`~kpikit.errors.Problem`, field ``denominator`` or ``formula``), in
        spec order.

    Example:
        >>> from kpikit import load_spec
        >>> zero_denominator_problems(load_spec("data/kpis.yml"), "data/kpis.yml")
        []
    """
    from kpikit.engine import compute

    wanted: dict[str, dict[str, tuple[str, str, str]]] = {}  # grain -> kpi id -> denominator
    for kpi in spec.kpis.values():
        found = _denominator(kpi)
        if found is not None:
            grain = CADENCE_GRAINS[kpi.cadence or "monthly"]
            wanted.setdefault(grain, {})[kpi.id] = found
    tables: dict[str, pd.DataFrame] = {}
    for grain, denominators in wanted.items():
        needed = sorted({kid for kid, _, _ in denominators.values()})
        try:
            tables[grain] = compute(spec, grain=grain, kpis=needed)
        except KpikitError:
            return []
    problems = []
    for kpi in spec.kpis.values():
        grain = CADENCE_GRAINS[kpi.cadence or "monthly"]
        if kpi.id not in wanted.get(grain, {}):
            continue
        problem = _judge(kpi, grain, wanted[grain][kpi.id], tables[grain], file)
        if problem is not None:
            problems.append(problem)
    return problems


def _judge(
    kpi: Kpi, grain: str, denominator: tuple[str, str, str], table: pd.DataFrame, file: str
) -> Problem | None:
    source_kpi, column, text = denominator
    rows = table[(table["kpi"] == source_kpi) & table["complete"]]
    if rows.empty:
        return None
    values = rows[column]
    empty = rows.loc[values.isna() | (values == 0), "period"].tolist()
    share = len(empty) / len(rows)
    if share < ZERO_DENOMINATOR_SHARE:
        return None
    shown = ", ".join(empty[:_SHOWN_PERIODS])
    if len(empty) > _SHOWN_PERIODS:
        shown += f" and {len(empty) - _SHOWN_PERIODS} more"
    longer = _LONGER.get(kpi.cadence or "monthly")
    cadence = f"a longer cadence (cadence: {longer}), " if longer else ""
    field = "formula" if kpi.is_formula else "denominator"
    return Problem(
        file,
        kpi.line,
        kpi.id,
        field,
        f"the denominator ({text}) is zero or has no rows in {len(empty)} of {len(rows)} "
        f"complete {grain}s ({share:.0%}): {shown}; the KPI is empty (NaN) in those periods",
        "warning",
        f"use {cadence}a larger segment (a wider filter), or a guard filter so the KPI "
        "covers only rows where the denominator is counted",
    )
