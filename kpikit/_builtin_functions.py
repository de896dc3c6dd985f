"""kpikit's built-in KPI functions: customer retention and churn, employee turnover and retention.

Registered on first use of the registry (:mod:`kpikit.functions`). Each is written once here,
in pandas, and documented with its exact definition in ``docs/kpi-spec.md`` ("Python KPIs").

Customers (``customer_retention``, ``customer_churn``; canonical column ``customer_id``): a
customer is *active* in a period when they have at least one row (order) in it. Every row the
function receives counts: put ``filter: refunded == false`` on the KPI to count only orders that
were kept. A period's cohort is the customers active in the PREVIOUS period; in a segment, the
customers active in the previous period in that segment (e.g. who bought through that channel).
Retained: cohort customers active in this period, in any segment. Lost: the others. A period
whose previous period began before the source's first day has no observed cohort: its value,
numerator and denominator are empty (NaN), never 0.

Employees (``employee_turnover``, ``employee_retention``; canonical columns ``employee_id``,
``hire_date`` (first working day), ``termination_date`` (last working day, empty while
employed)): one row per employee. Headcount at a period's start: employees hired on or before its
first day and not terminated before it. Headcount at its end: employees hired on or before its
last day and not terminated on or before it. Separations: termination dates inside the period.
The table must hold everyone employed during the periods asked for.

Example:
    >>> from kpikit.functions import get_function
    >>> get_function("employee_turnover").columns
    ('employee_id', 'hire_date', 'termination_date')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpikit import periods
from kpikit.errors import DataError
from kpikit.functions import KpiContext, kpi_function

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["customer_churn", "customer_retention", "employee_retention", "employee_turnover"]

_EMPLOYEE_COLUMNS = ("employee_id", "hire_date", "termination_date")
_EMPLOYEE_DATES = ("hire_date", "termination_date")


@kpi_function("customer_retention", columns=("customer_id",))
def customer_retention(ctx: KpiContext) -> pd.DataFrame:
    """Share of the previous period's customers who buy again in this period.

    numerator = retained customers, denominator = the previous period's customers.

    Example:
        >>> customer_retention(ctx)  # doctest: +SKIP
    """
    counts = _customer_counts(ctx)
    out = counts.assign(numerator=counts["retained"])
    return _finish(out)[["period", *ctx.by, "value", "numerator", "denominator"]]


@kpi_function("customer_churn", columns=("customer_id",))
def customer_churn(ctx: KpiContext) -> pd.DataFrame:
    """Share of the previous period's customers who do not buy in this period (1 - retention).

    numerator = lost customers, denominator = the previous period's customers.

    Example:
        >>> customer_churn(ctx)  # doctest: +SKIP
    """
    counts = _customer_counts(ctx)
    out = counts.assign(numerator=counts["lost"])
    return _finish(out)[["period", *ctx.by, "value", "numerator", "denominator"]]


def _customer_counts(ctx: KpiContext) -> pd.DataFrame:
    """Per period and segment: denominator (the cohort), retained and lost customers."""
    import pandas as pd

    by = list(ctx.by)
    rows = ctx.rows.loc[ctx.rows[ctx.time].notna() & ctx.rows["customer_id"].notna()]
    rows = rows.assign(period=ctx.label(rows[ctx.time]))
    active = rows[["period", *by, "customer_id"]].drop_duplicates()
    anywhere = rows[["period", "customer_id"]].drop_duplicates().assign(_again=True)
    following = {p: periods.previous(p, -1) for p in active["period"].unique()}
    cohort = active.assign(period=active["period"].map(following))
    cohort = cohort.merge(anywhere, on=["period", "customer_id"], how="left")
    cohort["_again"] = cohort["_again"].fillna(False).astype(bool)
    grouped = cohort.groupby(["period", *by], dropna=False, sort=True)["_again"]
    counts = pd.DataFrame({"denominator": grouped.size(), "retained": grouped.sum()})
    counts = counts.reset_index().astype({"denominator": "float64", "retained": "float64"})
    wanted = ctx.periods[["period"]]
    if not by:  # every period asked for, 0 customers where nobody bought the period before
        counts = wanted.merge(counts, on="period", how="left").fillna(0.0)
    else:
        counts = counts[counts["period"].isin(wanted["period"])]
    first = ctx.span[0]
    unobserved = [
        p
        for p in wanted["period"]
        if first is None or periods.parse_period(ctx.previous(p), ctx.calendar)[1] < first.date()
    ]
    cut = counts["period"].isin(unobserved)
    counts.loc[cut, ["denominator", "retained"]] = float("nan")
    counts["lost"] = counts["denominator"] - counts["retained"]
    return counts.reset_index(drop=True)


def _finish(counts: pd.DataFrame) -> pd.DataFrame:
    den = counts["denominator"]
    return counts.assign(value=counts["numerator"] / den.where(den != 0))


@kpi_function("employee_turnover", columns=_EMPLOYEE_COLUMNS, dates=_EMPLOYEE_DATES)
def employee_turnover(ctx: KpiContext) -> pd.DataFrame:
    """Separations in the period over the average headcount (mean of start and end headcount).

    numerator = separations, denominator = (headcount at start + headcount at end) / 2.

    Example:
        >>> employee_turnover(ctx)  # doctest: +SKIP
    """
    counts = _employee_counts(ctx)
    average = (counts["at_start"] + counts["at_end"]) / 2
    out = counts.assign(numerator=counts["separations"], denominator=average)
    return _finish(out)[["period", *ctx.by, "value", "numerator", "denominator"]]


@kpi_function("employee_retention", columns=_EMPLOYEE_COLUMNS, dates=_EMPLOYEE_DATES)
def employee_retention(ctx: KpiContext) -> pd.DataFrame:
    """Share of the employees at the period's start still employed at its end.

    numerator = employees at the start not terminated within the period, denominator =
    employees at the start.

    Example:
        >>> employee_retention(ctx)  # doctest: +SKIP
    """
    counts = _employee_counts(ctx)
    out = counts.assign(numerator=counts["stayed"], denominator=counts["at_start"])
    return _finish(out)[["period", *ctx.by, "value", "numerator", "denominator"]]


def _employee_counts(ctx: KpiContext) -> pd.DataFrame:
    """Per period and segment: at_start, at_end, separations and stayed (counts of employees)."""
    import pandas as pd

    by = list(ctx.by)
    rows = ctx.rows.drop_duplicates("employee_id")
    hired = _dates(rows["hire_date"], "hire_date", ctx)
    left = _dates(rows["termination_date"], "termination_date", ctx)
    staying = left.isna()
    parts = []
    for period, start, end in ctx.periods[["period", "start", "end"]].itertuples(index=False):
        last = end - pd.Timedelta(days=1)
        at_start = (hired <= start) & (staying | (left >= start))
        flags = pd.DataFrame(
            {
                "at_start": at_start,
                "at_end": (hired <= last) & (staying | (left > last)),
                "separations": (left >= start) & (left <= last),
                "stayed": at_start & (staying | (left > last)),
                **{s: rows[s] for s in by},
            }
        )
        if by:
            sums = flags.groupby(by, dropna=False, sort=True).sum().reset_index()
            sums = sums[sums[["at_start", "at_end", "separations"]].sum(axis=1) > 0]
        else:
            sums = flags.sum().to_frame().T
        parts.append(sums.assign(period=period))
    counts = pd.concat(parts, ignore_index=True)
    names = ["at_start", "at_end", "separations", "stayed"]
    return counts.astype(dict.fromkeys(names, "float64"))[["period", *by, *names]]


def _dates(values: pd.Series, name: str, ctx: KpiContext) -> pd.Series:
    """A column of dates as datetime64 (missing stays NaT), or a DataError naming it."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    bad = values[parsed.isna() & values.notna()]
    if len(bad):
        raise DataError(
            f"KPI '{ctx.kpi.id}': column '{name}' does not hold dates",
            expected="dates such as 2026-11-30, or empty",
            found=repr(bad.iloc[0]),
            hint="fix the value, or map the right column with columns:",
        )
    return parsed
