"""The review at a glance: one bar per objective, split by how many of its KPIs are in each status.

Example:
    >>> from kpikit.plot import render_status
    >>> render_status(kpikit.review(spec, period="2026-11"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpikit.errors import ParameterError
from kpikit.fmt import STATUS_COLORS, STATUS_INK, STATUS_LABELS
from kpikit.plot import _style
from kpikit.tables import objective_groups

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["render_status"]


def render_status(card: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a horizontal bar per objective, its segments the KPIs in each status.

    Objectives keep the review's order (spec order, top to bottom); segments follow the order
    achieved, on track, at risk, off track, no target, too little data, each in
    :data:`kpikit.fmt.STATUS_COLORS` and labelled with its count, so the chart reads without
    colour too.

    Args:
        card: the frame :func:`kpikit.review` returns.
        ax: the axes to draw on (default: a new figure sized to the number of objectives).
        title: the axes' title (default: ``KPI status by objective · <period>``).

    Returns:
        The axes. Each segment is a bar patch with gid ``status:<objective id>:<status>``.

    Raises:
        ParameterError: ``card`` is not a review frame.

    Example:
        >>> ax = render_status(kpikit.review("data/kpis.yml", period="2026-11"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    missing = [c for c in ("kpi", "status", "objective", "period") if c not in card]
    if missing:
        raise ParameterError(
            "not a review frame",
            expected="the columns of kpikit.review()",
            found="no column " + ", ".join(repr(c) for c in missing),
            hint="pass the frame returned by kpikit.review(spec, period=...)",
        )
    groups = objective_groups(card)
    with plt.rc_context(_style.rc()):
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * max(len(groups), 1)))
        seen: set[str] = set()
        for row, (objective, _, records) in enumerate(groups):
            statuses = [str(r["status"]) for r in records]
            left = 0
            for status in STATUS_LABELS:
                count = statuses.count(status)
                if not count:
                    continue
                label = STATUS_LABELS[status] if status not in seen else None
                seen.add(status)
                bars = ax.barh(
                    row,
                    count,
                    left=left,
                    color=STATUS_COLORS[status],
                    edgecolor="white",
                    height=0.7,
                    label=label,
                    gid=f"status:{objective}:{status}",
                )
                bars.patches[0].set_gid(f"status:{objective}:{status}")
                ax.text(
                    left + count / 2,
                    row,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=STATUS_INK[status],
                )
                left += count
        ax.set_yticks(range(len(groups)), [title for _, title, _ in groups])
        ax.invert_yaxis()
        ax.set_xlabel("KPIs")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        period = str(card["period"].iloc[0]) if len(card) else ""
        ax.set_title(title or f"KPI status by objective · {period}", loc="left", pad=24)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=max(len(seen), 1),
            frameon=False,
            fontsize=8,
            handlelength=1.2,
            borderaxespad=0.2,
        )
    return ax
