"""The review: every KPI for one period, judged against its target, with the noise around it.

A review is what a KPI owner looks at each check-in. For each KPI it gathers, in one row:

- the value, the previous period's and a year ago's (like for like when the period is partial);
- the target that applies to the period, the pacing path's expected value, the progress and the
  run rate still needed (:mod:`kpikit.targets`);
- a status (``achieved``, ``on_track``, ``at_risk``, ``off_track``, ``no_target`` or
  ``insufficient_data``) with the reason in a sentence;
- how much of the movement is noise (:mod:`kpikit.stats`): a 95% Wilson interval for rates, the
  p-value of the change against the previous period, control limits for counts, and whether a
  status change rests on noise alone;
- the chance of reaching the target by the end of its time frame (:mod:`kpikit.forecast`);
- the owner's latest check-in for the period (:mod:`kpikit.checkins`) and what changed since the
  last saved review.

Example:
    >>> import kpikit
    >>> card = kpikit.review("data/kpis.yml", period="2026-11")  # doctest: +SKIP
    >>> card.set_index("kpi").loc["revenue", ["value", "target", "status"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit.errors import ParameterError
from kpikit.spec import Spec

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi

__all__ = ["LAST_COMPLETE", "REVIEW_COLUMNS", "review"]

#: The period text that means "the last period every source covers completely".
LAST_COMPLETE = "last-complete"

#: The columns of :func:`review`, in order.
REVIEW_COLUMNS = (
    "kpi", "name", "objective", "objective_title", "unit", "direction", "period", "complete",
    "value", "target", "target_low", "target_high", "expected", "progress", "required_run_rate",
    "status", "computed_status", "reason", "previous", "previous_status", "change", "change_pct",
    "better", "year_ago", "ci_low", "ci_high", "p_value", "significant", "noise", "outside_limits",
    "probability_to_hit", "note", "author", "checked_at", "changes",
)  # fmt: skip

#: Periods of history the review reads before the period: two years of months, for the forecast,
#: seasonal pacing, year-ago targets and control limits.
HISTORY = {"day": 60, "week": 104, "month": 24, "quarter": 12, "year": 6}
#: The season length handed to the forecast, by grain (None: no seasonality).
SEASON = {"month": 12, "quarter": 4}

_FLOATS = (
    "value", "target", "target_low", "target_high", "expected", "progress", "required_run_rate",
    "previous", "change", "change_pct", "year_ago", "ci_low", "ci_high", "p_value",
    "probability_to_hit",
)  # fmt: skip
_FLAGS = ("complete", "better", "significant", "noise", "outside_limits")


def review(
    spec: Spec | str | Path,
    *,
    period: str,
    data: Mapping[str, Any] | None = None,
    kpis: Sequence[str] | str | None = None,
    backend: str | None = None,
    save: bool = False,
    checkins: str | Path | None = None,
) -> pd.DataFrame:
    """Every KPI's value, target, status and noise for ``period``: the scorecard of a check-in.

    Args:
        spec: a loaded spec or the path of a spec file.
        period: a period label (its form sets the grain: ``2026-11`` is a month, ``2026-Q3`` a
            quarter, ``FY2027-Q1`` a fiscal quarter), or ``"last-complete"`` for the last month
            every source covers completely.
        data: optional frames that replace the sources' files, by source id (as in
            :func:`kpikit.compute`).
        kpis: KPI ids to review (default: all, in spec order).
        backend: the library that computes the values (as in :func:`kpikit.compute`).
        save: store this review as a snapshot in the check-in database, so the next review can
            say what changed since (the monthly report saves one).
        checkins: the check-in database (default: the spec's ``review: {checkins: ...}``, else
            ``<spec stem>.checkins.sqlite`` beside the spec). It is only read, unless ``save``.

    Returns:
        One row per KPI in spec order, with the columns in :data:`REVIEW_COLUMNS`:

        - ``value``, ``previous`` and ``year_ago`` (with ``change`` and ``change_pct`` against
          the previous period; like for like when the period is partial, ``complete`` False);
        - ``target`` (``target_low`` and ``target_high`` for a range), ``expected`` (the pacing
          path's value for the period), ``progress`` (1.0 = reached) and ``required_run_rate``
          (change per period still needed);
        - ``status`` (the owner's check-in status when one was given, else ``computed_status``),
          ``reason`` and ``previous_status``;
        - ``ci_low``/``ci_high`` (95% Wilson interval, rate KPIs), ``p_value`` and
          ``significant`` (pooled two-proportion z-test against the previous period),
          ``outside_limits`` (count KPIs beyond their XmR control limits), ``noise`` (True when
          the status moved but the change is within noise);
        - ``probability_to_hit`` (the chance of reaching the target by the end of its time
          frame), ``note``, ``author``, ``checked_at`` (the latest check-in for the period) and
          ``changes`` (what moved since the last saved review: status, definition, target).

    Raises:
        ParameterError: a bad period or KPI id.
        KpikitError: any error of the spec, the data or the check-in database.

    Example:
        >>> card = review("data/kpis.yml", period="last-complete")  # doctest: +SKIP
        >>> card["status"].value_counts()  # doctest: +SKIP
    """
    from kpikit import checkins as store
    from kpikit._load import load_spec
    from kpikit.engine import compute, last_complete_period

    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if not isinstance(period, str):
        raise ParameterError(
            "period must be text",
            expected=f"a label such as 2026-11, or {LAST_COMPLETE}",
            found=repr(period),
            hint='quote it: period="2026-11"',
        )
    period = period.strip()
    if period == LAST_COMPLETE:
        period = last_complete_period(spec, "month", data=data, backend=backend)
    grain = periods.grain_of(period)
    periods.parse_period(period, spec.calendar)  # a clear error for a label of another calendar
    if kpis is not None and not (
        isinstance(kpis, str)
        or (isinstance(kpis, Sequence) and all(isinstance(k, str) for k in kpis))
    ):
        raise ParameterError(
            "kpis must be KPI ids",
            expected="an id or a list of ids, e.g. kpis=['revenue']",
            found=repr(kpis),
            hint="leave kpis out to review every KPI",
        )
    if checkins is not None and not isinstance(checkins, str | Path):
        raise ParameterError(
            "checkins must be a path",
            expected="the path of the check-in database, e.g. 'data/kpis.checkins.sqlite'",
            found=repr(checkins),
            hint="leave it out for the file beside the spec",
        )
    chosen = spec.select([kpis] if isinstance(kpis, str) else list(kpis or []))
    if save and len(chosen) < len(spec.kpis):
        raise ParameterError(
            "only a review of every KPI can be saved",
            expected="save=True without kpis=",
            found=f"{len(chosen)} of {len(spec.kpis)} KPIs",
            hint="the next review compares with the saved one: drop --kpi (or kpis=) to save it",
        )
    first = periods.previous(period, HISTORY[grain])
    splits = {k.id: pair for k in chosen if (pair := _division(k)) is not None}
    wanted = [k.id for k in chosen] + [ref for pair in splits.values() for ref in pair]
    table = compute(
        spec,
        grain=grain,
        kpis=list(dict.fromkeys(wanted)),
        start=first,
        end=period,
        data=data,
        backend=backend,
        compare=["previous", "year_ago"],
    )
    path = store.database_path(spec, checkins)
    notes = store.latest_checkins(path, period) if path.is_file() else None
    labels = periods.period_range(first, period)
    rows = []
    for kpi in chosen:
        part = table[table["kpi"] == kpi.id].set_index("period")
        if kpi.id in splits:  # a formula `a / b`: its parts are its numerator and denominator
            top, bottom = (
                table[table["kpi"] == ref].set_index("period")["value"] for ref in splits[kpi.id]
            )
            part = part.assign(numerator=top, denominator=bottom)
        rows.append(_row(spec, kpi, period, labels, part, notes))
    frame = _frame(rows)
    definitions = {k: d for k, d in store.definitions_of(spec).items() if k in set(frame["kpi"])}
    last = store.last_snapshot(path, before_or_at=period) if path.is_file() else None
    if last is not None:
        moved = store.changes(last, frame[["kpi", "value", "target", "status"]], definitions)
        texts = _describe_changes(moved)
        frame["changes"] = [texts.get(str(kpi), "") for kpi in frame["kpi"]]
    if save:
        store.save_snapshot(
            path,
            period=period,
            rows=frame[["kpi", "value", "target", "status"]],
            definitions=definitions,
        )
    return frame


# ------------------------------------------------------------------------------------ one KPI


@dataclass(frozen=True)
class _Noise:
    """The noise columns of one row."""

    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    significant: Any = None
    outside_limits: Any = None
    within_noise: Any = None  # the change could be noise alone (None: cannot tell)


def _row(
    spec: Spec,
    kpi: Kpi,
    period: str,
    labels: list[str],
    part: pd.DataFrame,
    notes: pd.DataFrame | None,
) -> dict[str, Any]:
    from kpikit import targets

    history = {label: _number(part, label, "value") for label in labels}
    rules = spec.review_for(kpi)
    assessed = targets.assess(kpi, history, period, spec=spec)
    previous_label = labels[-2]
    before = targets.assess(kpi, history, previous_label, spec=spec)
    off_grain = _off_grain(kpi, periods.grain_of(period))
    if off_grain is not None:  # a monthly revenue target says nothing about a quarter's revenue
        assessed, before = (_without_target(a, off_grain) for a in (assessed, before))
    value = history[period]
    denominator = _number(part, period, "denominator")
    complete = _flag(part, period, "complete")
    noise = _noise(spec, kpi, part, period, previous_label, labels, rules.alpha, complete)
    status, reason = assessed.status, assessed.reason
    if _too_few(spec, kpi, denominator, rules.min_denominator):
        status = "insufficient_data"
        reason = (
            f"only {denominator:,.0f} in the denominator, under the minimum of "
            f"{rules.min_denominator:,}: too few to judge"
        )
    if complete is False and _is_total(kpi) and status not in ("no_target", "insufficient_data"):
        status = "insufficient_data"
        reason = (
            f"the data covers only part of {period}, and a total so far is not judged against "
            "the whole period's target"
        )
    previous_status = before.status
    if _too_few(spec, kpi, _number(part, previous_label, "denominator"), rules.min_denominator):
        previous_status = "insufficient_data"
    moved = status != previous_status and "no_target" not in (status, previous_status)
    noise_flag: Any = None
    if moved and noise.within_noise is not None:
        noise_flag = bool(noise.within_noise)
        if noise_flag:
            was = previous_status.replace("_", " ")
            reason += f"; it was {was} last period, and the change is within noise"
    row: dict[str, Any] = {
        "kpi": kpi.id,
        "name": kpi.name,
        "objective": kpi.objective,
        "objective_title": spec.objectives[kpi.objective].title if kpi.objective else None,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "period": period,
        "complete": complete,
        "value": value,
        "target": assessed.target,
        "target_low": assessed.target_low,
        "target_high": assessed.target_high,
        "expected": assessed.expected,
        "progress": assessed.progress,
        "required_run_rate": assessed.required_run_rate,
        "status": status,
        "computed_status": status,
        "reason": reason,
        "previous": _number(part, period, "previous_value"),
        "previous_status": previous_status,
        "change": _number(part, period, "previous_change"),
        "change_pct": _number(part, period, "previous_change_pct"),
        "better": _flag(part, period, "previous_better"),
        "year_ago": _number(part, period, "year_ago_value"),
        "ci_low": noise.ci_low,
        "ci_high": noise.ci_high,
        "p_value": noise.p_value,
        "significant": noise.significant,
        "noise": noise_flag,
        "outside_limits": noise.outside_limits,
        "probability_to_hit": _chance(kpi, assessed, status, history, labels, period),
        "note": "",
        "author": "",
        "checked_at": "",
        "changes": "",
    }
    if _is_ratio(kpi) and math.isnan(value) and denominator == 0:
        row["reason"] = "the denominator is zero this period, so there is no value to judge"
    if notes is not None and kpi.id in set(notes["kpi"]):
        checkin = notes[notes["kpi"] == kpi.id].iloc[-1]
        row["note"] = str(checkin["note"] or "")
        row["author"] = str(checkin["author"] or "")
        row["checked_at"] = str(checkin["recorded_at"] or "")
        override = checkin["override"]
        if isinstance(override, str) and override and override != status:
            row["status"] = override
            row["reason"] = f"set to {override.replace('_', ' ')} at check-in (computed: {status})"
    return row


def _noise(
    spec: Spec,
    kpi: Kpi,
    part: pd.DataFrame,
    period: str,
    previous: str,
    labels: list[str],
    alpha: float,
    complete: Any,
) -> _Noise:
    """Wilson interval and z-test for rates; XmR control limits for counts."""
    from kpikit import stats

    x, n = _number(part, period, "numerator"), _number(part, period, "denominator")
    if _is_rate(spec, kpi, x, n):
        interval: Any = stats.wilson_interval(x, n)
        x0, n0 = _number(part, previous, "numerator"), _number(part, previous, "denominator")
        if not _is_rate(spec, kpi, x0, n0) or bool(part.loc[period, "previous_to_date"]):
            return _Noise(float(interval.low), float(interval.high))
        test: Any = stats.two_proportion_z_test(x, n, x0, n0)
        p_value = float(test.p_value)
        if math.isnan(p_value):
            return _Noise(float(interval.low), float(interval.high))
        flag = bool(stats.significant(p_value, alpha))
        return _Noise(float(interval.low), float(interval.high), p_value, flag, None, not flag)
    if kpi.unit == "count" and not _is_ratio(kpi) and complete is not False:  # not a partial count
        earlier = [_number(part, label, "value") for label in labels[:-1]]
        limits: Any = stats.control_limits(earlier)
        value = _number(part, period, "value")
        if math.isnan(float(limits.lower)) or math.isnan(value):
            return _Noise()
        flags: Any = stats.outside_limits([value], earlier)
        outside = bool(flags[0])
        return _Noise(outside_limits=outside, within_noise=not outside)
    return _Noise()


def _off_grain(kpi: Kpi, grain: str) -> str | None:
    """Why a KPI's target cannot judge a period of this grain (None when it can).

    A target is set for the KPI's cadence (monthly when none is given). A total (a sum or a count,
    in currency or counted things) grows with the length of the period, and a formula with
    ``lag()`` counts its lag in periods (``lag(revenue, 12)`` is a year back only on months), so
    neither can be judged at another grain against that target. Rates, averages and scores keep
    their target at any grain.
    """
    from kpikit._windowspec import CADENCE_GRAINS

    cadence = CADENCE_GRAINS.get(kpi.cadence or "monthly")
    if cadence is None or cadence == grain or kpi.target is None:
        return None
    if _is_total(kpi):
        what = f"a {grain}'s total is not comparable"
    elif kpi.formula is not None and _has_lag(kpi.formula):
        what = f"its lag() counts {grain}s on a {grain} review"
    else:
        return None
    return f"its target is for a {cadence} ({cadence} cadence) and {what}: review it by {cadence}"


def _is_total(kpi: Kpi) -> bool:
    """A KPI that grows with the length of its period: a sum or count of money or things."""
    if kpi.unit not in ("count", "currency") or _is_ratio(kpi) or kpi.python is not None:
        return False
    if kpi.window is not None and kpi.window.periods is None:  # to date, or running: cumulative
        return False
    return kpi.measure is None or kpi.measure.func in ("sum", "count", "count_distinct")


def _has_lag(formula: Any) -> bool:
    from kpikit._formula import BinOp, Lag, Neg

    if isinstance(formula, Lag):
        return True
    if isinstance(formula, Neg):
        return _has_lag(formula.operand)
    if isinstance(formula, BinOp):
        return _has_lag(formula.left) or _has_lag(formula.right)
    return False


def _without_target(assessed: Any, reason: str) -> Any:
    """The assessment with no target that applies: status no_target, for ``reason``."""
    import dataclasses

    nan = math.nan
    return dataclasses.replace(
        assessed,
        target=nan, target_low=nan, target_high=nan, expected=nan, progress=nan,
        required_run_rate=nan, periods_left=None, status="no_target", reason=reason,
    )  # fmt: skip


def _division(kpi: Kpi) -> tuple[str, str] | None:
    """The two KPIs of a formula that is one KPI over another (``orders / sessions``), if so."""
    from kpikit._formula import BinOp, Ref

    formula = kpi.formula
    if isinstance(formula, BinOp) and formula.op == "/":
        if isinstance(formula.left, Ref) and isinstance(formula.right, Ref):
            return formula.left.kpi, formula.right.kpi
    return None


def _is_ratio(kpi: Kpi) -> bool:
    return kpi.is_ratio or _division(kpi) is not None


def _is_rate(spec: Spec, kpi: Kpi, successes: float, trials: float) -> bool:
    """A share of trials that succeeded, so the Wilson interval and the z-test apply.

    The KPI must count things in both parts: a catalog entry marked ``proportion`` (clicks out of
    impressions, opens out of delivered emails ...), a ratio of ``count()`` or
    ``count_distinct()``, or a formula ``a / b`` of two count KPIs. Ratios of money (advertising
    cost of sales, margins) are not proportions, even when the amounts are whole. The numbers
    must then be whole, with 0 <= successes <= trials.
    """
    if not _counts_things(spec, kpi):
        return False
    if math.isnan(successes) or math.isnan(trials) or trials <= 0:
        return False
    whole = successes == round(successes) and trials == round(trials)
    return whole and 0 <= successes <= trials


def _counts_things(spec: Spec, kpi: Kpi) -> bool:
    from kpikit import catalog

    if kpi.catalog is not None:
        return catalog.entry(kpi.catalog).proportion
    if kpi.numerator is not None and kpi.denominator is not None:
        counted = ("count", "count_distinct")
        return kpi.numerator.func in counted and kpi.denominator.func in counted
    pair = _division(kpi)
    return pair is not None and all(spec.kpis[ref].unit == "count" for ref in pair)


def _too_few(spec: Spec, kpi: Kpi, denominator: float, minimum: int) -> bool:
    """A ratio over a count too small to judge: fewer than ``minimum`` in the denominator.

    Proportions (see :func:`_is_rate`) and ratios over ``count()`` or ``count_distinct()`` (average
    order value over orders) are held to the minimum; a ratio over spend or revenue is not.
    """
    if not _is_ratio(kpi) or math.isnan(denominator):
        return False
    counts = _counts_things(spec, kpi) or (
        kpi.denominator is not None and kpi.denominator.func in ("count", "count_distinct")
    )
    return counts and 0 < denominator < minimum


def _chance(
    kpi: Kpi,
    assessed: Any,
    status: str,
    history: dict[str, float],
    labels: list[str],
    period: str,
) -> float:
    """The chance of reaching the target by the end of its time frame (NaN when none applies)."""
    from kpikit import forecast

    if status in ("no_target", "insufficient_data"):
        return math.nan
    low, high = assessed.target_low, assessed.target_high
    target = assessed.target
    if kpi.direction == "range" and not (math.isnan(low) or math.isnan(high)):
        target = (low + high) / 2
    if target is None or math.isnan(target) or assessed.periods_left is None:
        return math.nan  # no target, or no time frame to reach it in
    values = [history[label] for label in labels]
    return float(
        forecast.probability_to_hit(
            values,
            target=target,
            horizon=max(int(assessed.periods_left), 0),
            direction=kpi.direction,
            low=None if math.isnan(low) else low,
            high=None if math.isnan(high) else high,
            season=SEASON.get(periods.grain_of(period)),
        )
    )


# ------------------------------------------------------------------------------------- helpers


def _number(part: pd.DataFrame, label: str, column: str) -> float:
    if label not in part.index or column not in part.columns:
        return math.nan
    cell: Any = part.at[label, column]
    try:
        number = float(cell)
    except (TypeError, ValueError):
        return math.nan
    return number


def _flag(part: pd.DataFrame, label: str, column: str) -> Any:
    """A boolean cell as True/False, or None when it is missing (None, NaN or pd.NA)."""
    from kpikit.fmt import is_empty

    if label not in part.index or column not in part.columns:
        return None
    cell: Any = part.at[label, column]
    return None if is_empty(cell) else bool(cell)


def _describe_changes(moved: pd.DataFrame) -> dict[str, str]:
    """One short text per KPI from :func:`kpikit.checkins.changes`."""
    texts: dict[str, list[str]] = {}
    for record in moved.to_dict("records"):
        what = str(record["what"])
        if what == "status":
            text = f"status {record['before']} → {record['after']}"
        elif what == "definition":
            text = "definition edited"
        elif what == "target":
            text = f"target {record['before'] or 'none'} → {record['after'] or 'none'}"
        elif what == "new":
            text = "new KPI"
        else:
            continue
        texts.setdefault(str(record["kpi"]), []).append(text)
    return {kpi: "; ".join(parts) for kpi, parts in texts.items()}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))
    for column in _FLOATS:
        frame[column] = frame[column].astype("float64")
    for column in _FLAGS:
        frame[column] = frame[column].astype("boolean")
    return frame
