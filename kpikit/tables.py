"""Display tables: scorecards and specs as frames of text, for notebooks, reports and the CLI.

Every cell is already formatted (with :mod:`kpikit.fmt`), so a table shows the same text
wherever it appears; :func:`styled_table` adds the report's alignment on top. Templates and
notebooks call these functions instead of building tables themselves.

Example:
    >>> import pandas as pd
    >>> card = pd.DataFrame({"kpi": ["roas"], "name": ["ROAS"], "objective": ["grow"],
    ...     "objective_title": ["Grow sales"], "unit": ["ratio"], "value": [4.2],
    ...     "previous": [4.5], "change_pct": [-0.0667], "target": [4.0], "target_by": [None]})
    >>> print(scorecard_table(card).to_string(index=False))
     Objective  KPI Value Previous Change Target
    Grow sales ROAS  4.20     4.50  −6.7%   4.00
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from kpikit.errors import ParameterError, did_you_mean
from kpikit.fmt import (
    EMPTY,
    STATUS_COLORS,
    STATUS_INK,
    STATUS_LABELS,
    format_kpi_change,
    format_probability,
    format_status,
    format_target,
    format_value,
    is_empty,
)
from kpikit.spec import KPI_TYPES

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler
    from pandas.io.formats.style_render import CSSDict

    from kpikit.spec import Kpi, Spec

__all__ = [
    "DEFINITION_COLUMNS",
    "NO_OBJECTIVE",
    "NUMBER_COLUMNS",
    "REASON_COLUMNS",
    "REVIEW_TABLE_COLUMNS",
    "SCORECARD_TABLE_COLUMNS",
    "kpi_definitions",
    "json_records",
    "kpi_table",
    "objective_groups",
    "objective_table",
    "review_reasons",
    "review_summary",
    "review_table",
    "scorecard_table",
    "styled_review",
    "styled_table",
    "types_table",
]

#: The columns of :func:`scorecard_table`, in order.
SCORECARD_TABLE_COLUMNS = ("Objective", "KPI", "Value", "Previous", "Change", "Target")
#: Objective shown for KPIs that serve no objective.
NO_OBJECTIVE = "(no objective)"
#: Columns of display tables that hold numbers: aligned right, every other column left.
NUMBER_COLUMNS = ("Value", "Previous", "Change", "Target", "Progress", "Chance", "Year ago")
#: The columns of :func:`review_table`, in order ("Since last review" only when something moved).
REVIEW_TABLE_COLUMNS = (
    "Objective", "KPI", "Value", "Previous", "Change", "Target", "Progress", "Status", "Chance",
    "Note",
)  # fmt: skip
#: The columns of :func:`review_reasons`, in order.
REASON_COLUMNS = ("Objective", "KPI", "Status", "Why", "Noise")
#: The columns of :func:`kpi_definitions`, in order.
DEFINITION_COLUMNS = ("Objective", "KPI", "Definition", "Description", "Owner")


# ----------------------------------------------------------------------------------- scorecards


def scorecard_table(scorecard: pd.DataFrame) -> pd.DataFrame:
    """A scorecard as display text, grouped by objective: for the report template and the CLI.

    Args:
        scorecard: the frame :func:`kpikit.scorecard` returns (one row per KPI, in spec order).

    Returns:
        A new frame of strings with the columns Objective, KPI, Value, Previous, Change and
        Target. Objectives keep the order in which they first appear (spec order); KPIs that serve
        no objective come last, under ``(no objective)``. The objective's title is written on
        the first row of its group only. The input is not changed.

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({
        ...     "kpi": ["revenue", "nps", "roas"], "name": ["Revenue", "NPS", "ROAS"],
        ...     "objective": ["grow", None, "grow"],
        ...     "objective_title": ["Grow sales", None, "Grow sales"],
        ...     "unit": ["currency", "score", "ratio"],
        ...     "value": [1234567.0, 41.0, 4.2], "previous": [1200000.0, 40.0, 4.5],
        ...     "change_pct": [0.0288, 0.025, -0.0667],
        ...     "target": [1.5e6, float("nan"), 4.0], "target_by": ["2026-12-31", None, None]})
        >>> print(scorecard_table(card).to_string(index=False))
             Objective     KPI     Value  Previous Change                  Target
            Grow sales Revenue 1,234,567 1,200,000  +2.9% 1,500,000 by 2026-12-31
                          ROAS      4.20      4.50  −6.7%                    4.00
        (no objective)     NPS      41.0      40.0  +2.5%                       –
    """
    import pandas as pd

    rows = [
        {
            "Objective": "" if i else title,
            "KPI": str(record["name"]),
            "Value": format_value(record["value"], record["unit"]),
            "Previous": format_value(record["previous"], record["unit"]),
            "Change": format_kpi_change(record["unit"], record.get("change"), record["change_pct"]),
            "Target": _target_text(record),
        }
        for _, title, records in objective_groups(scorecard)
        for i, record in enumerate(records)
    ]
    return pd.DataFrame(rows, columns=list(SCORECARD_TABLE_COLUMNS), dtype="str")


def _target_text(record: dict[str, Any]) -> str:
    """A scorecard row's target: the number (with its end date), or a range's bounds."""
    unit = record["unit"]
    if is_empty(record.get("target")) and not is_empty(record.get("target_low")):
        text = f"{format_value(record['target_low'], unit)} to "
        return text + format_value(record.get("target_high"), unit)
    return format_target(record.get("target"), unit, record.get("target_by"))


def objective_groups(
    scorecard: pd.DataFrame,
) -> list[tuple[str | None, str, list[dict[str, Any]]]]:
    """A scorecard's rows grouped by objective: ``(objective id, title, rows)``.

    Objectives keep the order in which they first appear (spec order); KPIs that serve no
    objective come last, with id None and the title ``(no objective)``.

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({"kpi": ["a", "b", "c"], "name": ["A", "B", "C"],
        ...     "objective": ["o2", None, "o2"], "objective_title": ["Two", None, "Two"],
        ...     "unit": ["count"] * 3, "value": [1.0] * 3, "previous": [1.0] * 3,
        ...     "change_pct": [0.0] * 3})
        >>> [(oid, title, [r["kpi"] for r in rows]) for oid, title, rows in objective_groups(card)]
        [('o2', 'Two', ['a', 'c']), (None, '(no objective)', ['b'])]
    """
    missing = [c for c in ("name", "unit", "value", "previous", "change_pct") if c not in scorecard]
    if missing:
        raise ParameterError(
            "not a scorecard frame",
            expected="the columns of kpikit.scorecard()",
            found="no column " + ", ".join(repr(c) for c in missing),
            hint="pass the frame returned by kpikit.scorecard(spec, period=...)",
        )
    groups: dict[str | None, tuple[str, list[dict[str, Any]]]] = {}
    for raw in scorecard.to_dict("records"):
        record = {str(name): value for name, value in raw.items()}
        objective, title = record.get("objective"), record.get("objective_title")
        key = None if is_empty(objective) else str(objective)
        label = NO_OBJECTIVE if key is None else key if is_empty(title) else str(title)
        groups.setdefault(key, (label, []))[1].append(record)
    order = [k for k in groups if k is not None] + ([None] if None in groups else [])
    return [(k, groups[k][0], groups[k][1]) for k in order]


# -------------------------------------------------------------------------------------- reviews


def review_table(card: pd.DataFrame) -> pd.DataFrame:
    """A review (:func:`kpikit.review`) as display text, grouped by objective.

    Columns: Objective, KPI, Value, Previous, Change, Target, Progress, Status, Chance (of
    reaching the target by the end of its time frame) and Note (the owner's latest check-in);
    plus "Since last review" when a saved review came before and something moved. A change
    within noise says so (``+0.4 pts, noise``); a count outside its control limits says
    ``unusual``.

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({"kpi": ["ctr"], "name": ["CTR"], "objective": ["grow"],
        ...     "objective_title": ["Grow"], "unit": ["percent"], "value": [0.021],
        ...     "previous": [0.02], "change": [0.001], "change_pct": [0.05], "target": [0.025],
        ...     "target_low": [float("nan")], "target_high": [float("nan")],
        ...     "progress": [0.84], "status": ["at_risk"], "significant": [False],
        ...     "outside_limits": [pd.NA], "probability_to_hit": [0.31], "note": [""],
        ...     "changes": [""]})
        >>> review_table(card).iloc[0].tolist()
        ['Grow', 'CTR', '2.1%', '2.0%', '+0.1 pts, noise', '2.5%', '84%', 'At risk', '31%', '']
    """
    import pandas as pd

    rows = []
    for _, title, records in objective_groups(card):
        for i, record in enumerate(records):
            unit = record["unit"]
            rows.append(
                {
                    "Objective": "" if i else title,
                    "KPI": str(record["name"]),
                    "Value": format_value(record["value"], unit),
                    "Previous": format_value(record["previous"], unit),
                    "Change": _review_change(record),
                    "Target": _review_target(record),
                    "Progress": EMPTY
                    if is_empty(record.get("progress"))
                    else f"{float(record['progress']):.0%}",
                    "Status": format_status(record.get("status")),
                    "Chance": format_probability(record.get("probability_to_hit")),
                    "Note": ""
                    if is_empty(record.get("note"))
                    else " / ".join(str(record["note"]).splitlines()),
                    "Since last review": ""
                    if is_empty(record.get("changes"))
                    else str(record["changes"]),
                }
            )
    columns = list(REVIEW_TABLE_COLUMNS)
    if any(row["Since last review"] for row in rows):
        columns.append("Since last review")
    return pd.DataFrame(rows, columns=columns, dtype="str")


def review_summary(card: pd.DataFrame) -> str:
    """How many KPIs are in each status, in one sentence: ``14 KPIs: 3 achieved, 6 on track ...``.

    Example:
        >>> import pandas as pd
        >>> review_summary(pd.DataFrame({"status": ["on_track", "at_risk", "on_track"]}))
        '3 KPIs: 2 on track, 1 at risk'
    """
    statuses = [str(s) for s in card["status"]]
    counts = [(STATUS_LABELS[s].lower(), statuses.count(s)) for s in STATUS_LABELS if s in statuses]
    others = len(statuses) - sum(n for _, n in counts)
    if others:
        counts.append(("other", others))
    kpis = f"{len(statuses)} KPI{'s' * (len(statuses) != 1)}"
    return kpis + ": " + ", ".join(f"{n} {label}" for label, n in counts) if counts else kpis


def review_reasons(card: pd.DataFrame) -> pd.DataFrame:
    """Why each KPI has its status, and what the noise says, grouped by objective.

    Columns: Objective, KPI, Status, Why (the review's reason) and Noise (the 95% interval of a
    rate, the p-value of its change, or a count outside its control limits).

    Example:
        >>> import pandas as pd
        >>> card = pd.DataFrame({"kpi": ["ctr"], "name": ["CTR"], "objective": [None],
        ...     "objective_title": [None], "unit": ["percent"], "value": [0.021],
        ...     "previous": [0.02], "change_pct": [0.05], "status": ["on_track"],
        ...     "reason": ["ahead of the path"], "ci_low": [0.019], "ci_high": [0.023],
        ...     "p_value": [0.21], "outside_limits": [pd.NA]})
        >>> review_reasons(card).iloc[0].tolist()[1:]
        ['CTR', 'On track', 'ahead of the path', '95% interval 1.9% to 2.3%; change p = 0.21']
    """
    import pandas as pd

    rows = [
        {
            "Objective": "" if i else title,
            "KPI": str(record["name"]),
            "Status": format_status(record.get("status")),
            "Why": "" if is_empty(record.get("reason")) else str(record["reason"]),
            "Noise": _noise_text(record),
        }
        for _, title, records in objective_groups(card)
        for i, record in enumerate(records)
    ]
    return pd.DataFrame(rows, columns=list(REASON_COLUMNS), dtype="str")


def _noise_text(record: dict[str, Any]) -> str:
    parts = []
    low, high = record.get("ci_low"), record.get("ci_high")
    if not is_empty(low) and not is_empty(high):
        unit = record["unit"]
        parts.append(f"95% interval {format_value(low, unit)} to {format_value(high, unit)}")
    p_value: Any = record.get("p_value")
    if not is_empty(p_value):
        parts.append(f"change p = {float(p_value):.2g}")
    outside = record.get("outside_limits")
    if not is_empty(outside):
        parts.append("outside its control limits" if outside else "within its control limits")
    return "; ".join(parts) or EMPTY


def _review_target(record: dict[str, Any]) -> str:
    unit = record["unit"]
    low, high = record.get("target_low"), record.get("target_high")
    if not is_empty(low) and not is_empty(high):
        return f"{format_value(low, unit)} to {format_value(high, unit)}"
    return format_target(record.get("target"), unit)


def _review_change(record: dict[str, Any]) -> str:
    text = format_kpi_change(record["unit"], record.get("change"), record.get("change_pct"))
    if text == EMPTY:
        return text
    significant, outside = record.get("significant"), record.get("outside_limits")
    if not is_empty(significant) and not significant:
        return f"{text}, noise"
    if not is_empty(outside) and outside:
        return f"{text}, unusual"
    return text


def styled_review(card: pd.DataFrame) -> Styler:
    """:func:`review_table` styled for a report: each status cell in its colour.

    The colours are :data:`kpikit.fmt.STATUS_COLORS`; the status is also written out, so the
    table reads the same without colour.

    Example:
        >>> card = kpikit.review("data/kpis.yml", period="2026-11")  # doctest: +SKIP
        >>> html = styled_review(card).to_html()  # doctest: +SKIP
    """
    table = review_table(card)
    statuses = [str(r.get("status")) for _, _, records in objective_groups(card) for r in records]

    def paint(column: pd.Series) -> list[str]:
        return [
            f"color: {STATUS_INK[s]}; background-color: {STATUS_COLORS[s]}; font-weight: 600"
            if s in STATUS_COLORS
            else ""
            for s in statuses[: len(column)]
        ]

    return styled_table(table).apply(paint, subset=["Status"])


# ---------------------------------------------------------------------------------------- specs


def _direction(kpi: Kpi) -> str:
    if kpi.direction == "range":
        return "range (better inside the target range)"
    return "up (higher is better)" if kpi.direction == "up" else "down (lower is better)"


def objective_table(spec: Spec) -> pd.DataFrame:
    """A spec's objectives as display text: title, owner, description and the KPIs serving each.

    Example:
        >>> objective_table(kpikit.load_spec("data/kpis.yml")).columns.tolist()  # doctest: +SKIP
        ['Objective', 'Owner', 'Description', 'KPIs']
    """
    import pandas as pd

    rows = [
        {
            "Objective": objective.title,
            "Owner": objective.owner or EMPTY,
            "Description": objective.description or EMPTY,
            "KPIs": ", ".join(k.name for k in spec.kpis_for(objective.id)) or EMPTY,
        }
        for objective in spec.objectives.values()
    ]
    return pd.DataFrame(rows, columns=["Objective", "Owner", "Description", "KPIs"], dtype="str")


def kpi_table(spec: Spec, *, objective: str | None = None) -> pd.DataFrame:
    """A spec's KPIs as display text, in spec order; only one objective's when ``objective``.

    Columns: KPI (name), Id, Definition (the formula), Unit, Direction, Target (with its date),
    Cadence and Types.

    Raises:
        ParameterError: ``objective`` is not an objective id of the spec.

    Example:
        >>> spec = kpikit.load_spec("data/kpis.yml")  # doctest: +SKIP
        >>> kpi_table(spec, objective="make-advertising-pay")["Id"].tolist()[:3]  # doctest: +SKIP
        ['roas', 'click_through_rate', 'cost_per_click']
    """
    import pandas as pd

    if objective is not None and objective not in spec.objectives:
        raise ParameterError(
            f"no objective {objective!r} in {spec.path.name}",
            expected="one of " + ", ".join(spec.objectives),
            found=repr(objective),
            hint=did_you_mean(str(objective), spec.objectives),
        )
    kpis = spec.kpis_for(objective) if objective is not None else list(spec.kpis.values())
    columns = ["KPI", "Id", "Definition", "Unit", "Direction", "Target", "Cadence", "Types"]
    rows = [
        {
            "KPI": kpi.name,
            "Id": kpi.id,
            "Definition": kpi.definition,
            "Unit": kpi.unit,
            "Direction": _direction(kpi),
            "Target": format_target(kpi.target, kpi.unit) if kpi.target else EMPTY,
            "Cadence": kpi.cadence or EMPTY,
            "Types": ", ".join(kpi.types) or EMPTY,
        }
        for kpi in kpis
    ]
    return pd.DataFrame(rows, columns=columns, dtype="str")


def types_table(spec: Spec) -> pd.DataFrame:
    """The twelve KPI types (descriptors), each with the spec's KPIs that carry it.

    A KPI usually carries several types; a type no KPI carries shows ``–``.

    Example:
        >>> types_table(kpikit.load_spec("data/kpis.yml")).columns.tolist()  # doctest: +SKIP
        ['Type', 'KPIs']
    """
    import pandas as pd

    rows = [
        {
            "Type": kind,
            "KPIs": ", ".join(k.name for k in spec.kpis.values() if kind in k.types) or EMPTY,
        }
        for kind in KPI_TYPES
    ]
    return pd.DataFrame(rows, columns=["Type", "KPIs"], dtype="str")


def kpi_definitions(spec: Spec) -> pd.DataFrame:
    """Each KPI's name, formula, description and owner, grouped by objective as in the scorecard.

    Example:
        >>> import kpikit
        >>> kpi_definitions(kpikit.load_spec("data/kpis.yml")).columns.tolist()  # doctest: +SKIP
        ['Objective', 'KPI', 'Definition', 'Description', 'Owner']
    """
    import pandas as pd

    rows = []
    groups = [*spec.objectives, None]
    for objective in groups:
        kpis = spec.kpis_for(objective)
        title = spec.objectives[objective].title if objective else NO_OBJECTIVE
        for position, kpi in enumerate(kpis):
            rows.append(
                {
                    "Objective": title if position == 0 else "",
                    "KPI": kpi.name,
                    "Definition": kpi.definition,
                    "Description": kpi.description or EMPTY,
                    "Owner": kpi.owner or EMPTY,
                }
            )
    return pd.DataFrame(rows, columns=list(DEFINITION_COLUMNS), dtype="str")


# ----------------------------------------------------------------------------------------- JSON


def json_records(frame: pd.DataFrame) -> str:
    """A frame as a JSON list of records: missing values as null, text as written (UTF-8).

    Example:
        >>> import pandas as pd
        >>> print(json_records(pd.DataFrame({"kpi": ["ctr"], "value": [float("nan")]})), end="")
        [
          {
            "kpi": "ctr",
            "value": null
          }
        ]
    """
    from kpikit._rows import Rows

    return Rows.from_pandas(frame).to_json()


# -------------------------------------------------------------------------------------- styling


def styled_table(table: pd.DataFrame) -> Styler:
    """A display table for a report: no index column, text aligned left and numbers right.

    Cells are shown as they are (format them first, e.g. with :func:`scorecard_table`).
    The table's HTML id comes from its column names, so a report renders the same every run.

    Example:
        >>> import pandas as pd
        >>> html = styled_table(pd.DataFrame({"KPI": ["Revenue"], "Value": ["1,234"]})).to_html()
        >>> "text-align: left" in html and "text-align: right" in html
        True
    """
    numbers: list[Hashable] = [c for c in table.columns if c in NUMBER_COLUMNS]
    text: list[Hashable] = [c for c in table.columns if c not in NUMBER_COLUMNS]
    digest = hashlib.sha1("|".join(map(str, table.columns)).encode()).hexdigest()[:8]
    # Cells are text from the spec, the data and check-in notes: escape them, never render them.
    style = table.style.format(escape="html").set_uuid(f"kpikit-{digest}").hide(axis="index")
    for columns, side in ((text, "left"), (numbers, "right")):
        if columns:
            style = style.set_properties(subset=columns, **{"text-align": side})
            heading: list[CSSDict] = [{"selector": "th", "props": f"text-align: {side};"}]
            style = style.set_table_styles({c: heading for c in columns}, overwrite=False)
    return style
