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
from kpikit.fmt import EMPTY, format_kpi_change, format_target, format_value, is_empty
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
    "SCORECARD_TABLE_COLUMNS",
    "kpi_definitions",
    "kpi_table",
    "objective_groups",
    "objective_table",
    "scorecard_table",
    "styled_table",
    "types_table",
]

#: The columns of :func:`scorecard_table`, in order.
SCORECARD_TABLE_COLUMNS = ("Objective", "KPI", "Value", "Previous", "Change", "Target")
#: Objective shown for KPIs that serve no objective.
NO_OBJECTIVE = "(no objective)"
#: Columns of display tables that hold numbers: aligned right, every other column left.
NUMBER_COLUMNS = ("Value", "Previous", "Change", "Target")
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
    style = table.style.set_uuid(f"kpikit-{digest}").hide(axis="index")
    for columns, side in ((text, "left"), (numbers, "right")):
        if columns:
            style = style.set_properties(subset=columns, **{"text-align": side})
            heading: list[CSSDict] = [{"selector": "th", "props": f"text-align: {side};"}]
            style = style.set_table_styles({c: heading for c in columns}, overwrite=False)
    return style
