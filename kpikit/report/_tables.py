"""Small tables that report templates show, built here so templates hold no logic."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from kpikit.spec import Spec

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["kpi_definitions", "styled_table"]

#: Columns of display tables that hold numbers: aligned right, every other column left.
NUMBER_COLUMNS = ("Value", "Previous", "Change", "Target")

#: The columns of :func:`kpi_definitions`, in order.
DEFINITION_COLUMNS = ("Objective", "KPI", "Definition", "Description", "Owner")


def kpi_definitions(spec: Spec) -> pd.DataFrame:
    """Each KPI's name, formula, description and owner, grouped by objective as in the scorecard.

    Example:
        >>> import kpikit
        >>> kpi_definitions(kpikit.load_spec("data/kpis.yml")).columns.tolist()  # doctest: +SKIP
        ['Objective', 'KPI', 'Definition', 'Description', 'Owner']
    """
    import pandas as pd

    from kpikit.fmt import EMPTY

    rows = []
    groups = [*spec.objectives, None]
    for objective in groups:
        kpis = spec.kpis_for(objective)
        title = spec.objectives[objective].title if objective else "(no objective)"
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


def styled_table(table: pd.DataFrame) -> Styler:
    """A display table for a report: no index column, text aligned left and numbers right.

    Cells are shown as they are (format them first, e.g. with :func:`kpikit.fmt.scorecard_table`).
    The table's HTML id comes from its column names, so a report renders the same every run.

    Example:
        >>> import pandas as pd
        >>> html = styled_table(pd.DataFrame({"KPI": ["Revenue"], "Value": ["1,234"]})).to_html()
        >>> "text-align: left" in html and "text-align: right" in html
        True
    """
    numbers = [c for c in table.columns if c in NUMBER_COLUMNS]
    text = [c for c in table.columns if c not in NUMBER_COLUMNS]
    digest = hashlib.sha1("|".join(map(str, table.columns)).encode()).hexdigest()[:8]
    style = table.style.set_uuid(f"kpikit-{digest}").hide(axis="index")
    for columns, side in ((text, "left"), (numbers, "right")):
        if columns:
            style = style.set_properties(subset=columns, **{"text-align": side})
            heading = [{"selector": "th", "props": f"text-align: {side};"}]
            style = style.set_table_styles({c: heading for c in columns}, overwrite=False)
    return style
