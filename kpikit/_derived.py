"""Evaluate formula KPIs on the engine's aggregated table.

A formula KPI is computed from other KPIs once each of them has been aggregated for the period
and segment, so ``(revenue - cost) / revenue`` is a ratio of sums at every grain and
``revenue / lag(revenue, 12) - 1`` compares whole periods. This runs on the small aggregated
table (one row per KPI, period and segment), after the backend has done the heavy work.

Rules:

- A division by zero gives an empty value, never 0 or infinity.
- ``lag(kpi, n)`` is the value ``n`` periods earlier *on the calendar*, for the same segment: a
  period with no data is empty, never the last value carried forward.
- A formula whose inputs are missing for a period and segment is empty there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit._formula import Formula, Lag, Neg, Num, Ref, references
from kpikit.spec import Kpi, Spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["evaluate", "inputs_of", "max_lag", "shift", "walk"]


def inputs_of(spec: Spec, chosen: Sequence[Kpi]) -> list[Kpi]:
    """The chosen KPIs plus every KPI their formulas need, inputs before the formulas using them."""
    ordered: dict[str, Kpi] = {}

    def visit(kpi: Kpi) -> None:
        if kpi.id in ordered:
            return
        for ref in sorted(references(kpi.formula)) if kpi.formula is not None else []:
            visit(spec.kpis[ref])
        ordered[kpi.id] = kpi

    for kpi in chosen:
        visit(kpi)
    return list(ordered.values())


def max_lag(spec: Spec, kpis: Sequence[Kpi]) -> int:
    """How many periods before the first one asked for the inputs must reach back (chained)."""
    memo: dict[str, int] = {}

    def reach(node: Formula) -> int:
        if isinstance(node, Ref):
            return depth(node.kpi)
        if isinstance(node, Lag):
            return node.periods + depth(node.kpi)
        if isinstance(node, Num):
            return 0
        if isinstance(node, Neg):
            return reach(node.operand)
        return max(reach(node.left), reach(node.right))

    def depth(kid: str) -> int:
        if kid not in memo:
            formula = spec.kpis[kid].formula
            memo[kid] = reach(formula) if formula is not None else 0
        return memo[kid]

    return max((depth(k.id) for k in kpis), default=0)


def evaluate(table: pd.DataFrame, formulas: Sequence[Kpi], segments: Sequence[str]) -> pd.DataFrame:
    """Rows for each formula KPI (in order, so one formula may use another), on ``table``.

    ``table`` is the engine's tidy table of the inputs: ``kpi, period, <segments>, value, ...``.
    Returns the same columns for the formula KPIs, with empty numerator and denominator.
    """
    import pandas as pd

    keys = ["period", *segments]
    wide = table.set_index([*keys, "kpi"])["value"].unstack("kpi")
    out = []
    for kpi in formulas:
        assert kpi.formula is not None
        values = _eval(kpi.formula, wide, segments)
        wide[kpi.id] = values
        frame = values.rename("value").reset_index()
        frame.insert(0, "kpi", kpi.id)
        frame["numerator"] = float("nan")
        frame["denominator"] = float("nan")
        out.append(frame)
    if not out:
        return table.iloc[0:0]
    return pd.concat(out, ignore_index=True)


def _eval(node: Formula, wide: pd.DataFrame, segments: Sequence[str]) -> pd.Series:
    import pandas as pd

    return walk(
        node,
        number=lambda value: pd.Series(value, index=wide.index, dtype="float64"),
        ref=lambda kid: _column(wide, kid),
        lag=lambda kid, n: _lagged(_column(wide, kid), n, segments),
        divide=lambda left, right: left / right.where(right != 0),
    )


def walk(
    node: Formula,
    *,
    number: Callable[[float], Any],
    ref: Callable[[str], Any],
    lag: Callable[[str, int], Any],
    divide: Callable[[Any, Any], Any],
) -> Any:
    """Evaluate a formula tree with ``+ - *`` and the given leaves and division.

    The one evaluator of formulas, for pandas Series (:func:`evaluate`) and for plain floats
    (:mod:`kpikit._rows`): ``number`` makes a constant, ``ref`` a KPI's values, ``lag`` a KPI's
    values ``n`` periods earlier, and ``divide`` must give an empty value where the divisor is
    zero or empty, never infinity.

    Example:
        >>> from kpikit._formula import parse_formula
        >>> values = {"profit": 30.0, "revenue": 120.0}
        >>> walk(parse_formula("profit / revenue * 100"), number=float, ref=values.get,
        ...      lag=lambda kid, n: float("nan"), divide=lambda a, b: a / b if b else float("nan"))
        25.0
    """

    def go(node: Formula) -> Any:
        if isinstance(node, Num):
            return number(node.value)
        if isinstance(node, Ref):
            return ref(node.kpi)
        if isinstance(node, Lag):
            return lag(node.kpi, node.periods)
        if isinstance(node, Neg):
            return -go(node.operand)
        left, right = go(node.left), go(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return divide(left, right)  # division by zero: empty, never infinity

    return go(node)


def _column(wide: pd.DataFrame, kid: str) -> pd.Series:
    if kid in wide.columns:
        return wide[kid].astype("float64")
    import pandas as pd

    return pd.Series(float("nan"), index=wide.index, dtype="float64")


def _lagged(values: pd.Series, n: int, segments: Sequence[str]) -> pd.Series:
    """The value ``n`` calendar periods earlier for the same segment (empty where there is none)."""
    return shift(values, lambda label: periods.previous(label, n), segments)


def shift(
    values: pd.Series, to_earlier: Callable[[str], str | None], segments: Sequence[str]
) -> pd.Series:
    """The value in the period ``earlier(period)`` for the same segment (empty where none).

    ``values`` is indexed by period (and the segments, in order); ``to_earlier`` gives a label, or
    None where there is no earlier period.
    """
    labels = values.index.get_level_values("period") if segments else values.index
    earlier = [to_earlier(str(label)) for label in labels]
    lookup: list[Any] = earlier
    if segments:
        rest = [values.index.get_level_values(s) for s in segments]
        lookup = list(zip(earlier, *rest, strict=True))
    return values.reindex(lookup).set_axis(values.index).astype("float64")
