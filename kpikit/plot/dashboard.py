"""The KPI dashboard: every KPI for one period on one figure, grouped by objective.

Each KPI gets a tile: its name, the period's value, the change since the previous period (green
when better, red when worse, grey when there is nothing to judge, with an arrow so the colour is
never the only cue), its target, and a sparkline of the last 13 periods. The figure is laid out
in inches, so its text stays the same size whatever the number of KPIs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit.errors import ParameterError
from kpikit.fmt import (
    EMPTY,
    STATUS_COLORS,
    STATUS_INK,
    format_kpi_change,
    format_status,
    format_value,
    is_empty,
)
from kpikit.plot import _style
from kpikit.plot._frames import calendar, segment_columns, series
from kpikit.tables import objective_groups

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["SPARK_PERIODS", "render_dashboard"]

#: Periods in each sparkline, ending with the dashboard's period.
SPARK_PERIODS = 13
COLUMNS = 4
WIDTH = 11.0  # inches, about the width of a report page on screen at 100 dpi
MARGIN = 0.3
GAP = 0.18
TILE_HEIGHT = 1.9
HEADER_HEIGHT = 0.5
TITLE_HEIGHT = 0.95
TILE_FACE = "#F5F6F7"
#: Tile values from this size on are abbreviated (1.04M); smaller ones are written in full.
COMPACT_FROM = 10_000


def _change_text(row: dict[str, Any], before: str) -> tuple[str, str]:
    """The change line and its colour; the arrow gives the change's sign, the colour its meaning."""
    unit, change = str(row.get("unit")), row.get("change")
    text = format_kpi_change(unit, change, row.get("change_pct"))
    if text == EMPTY:
        return f"{EMPTY} no comparison with {before}", _style.NEUTRAL
    rose = float(change) > 0 if isinstance(change, int | float) else False
    arrow = "■" if text.lstrip("+").startswith("0.0") else "▲" if rose else "▼"
    better = row.get("better")
    if is_empty(better):
        return f"{arrow} {text} vs {before}", _style.NEUTRAL
    if better:
        return f"{arrow} {text} better vs {before}", _style.BETTER
    return f"{arrow} {text} worse vs {before}", _style.WORSE


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _spark(
    ax: Axes, history: pd.DataFrame, row: dict[str, Any], labels: list[str], colour: str
) -> None:
    """Draw the sparkline of the last periods, the target line and a dot on the last value."""
    rows = history.loc[history["kpi"] == row["kpi"]]
    values = series(rows, labels) if len(rows) else None
    ax.set_axis_off()
    if values is None or values.isna().all():
        ax.text(
            0.5,
            0.5,
            "no history",
            ha="center",
            va="center",
            color=_style.MUTED,
            fontsize=8,
            transform=ax.transAxes,
        )
        return
    xs = list(range(len(labels)))
    ax.plot(xs, values.to_numpy(), color=_style.LINE, linewidth=1.5, gid=f"spark-line:{row['kpi']}")
    last = values.iloc[-1]
    if last == last:
        ax.plot([xs[-1]], [last], marker="o", markersize=5, color=colour, linestyle="none")
    low, high = float(values.min()), float(values.max())
    target = row.get("target")
    if isinstance(target, float) and not math.isnan(target):
        ax.axhline(
            target, linestyle="--", linewidth=1.0, color=_style.TARGET, gid=f"target:{row['kpi']}"
        )
        low, high = min(low, target), max(high, target)
    pad = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(-0.4, len(labels) - 0.6)


def _tile(
    fig: Figure,
    box: tuple[float, float, float, float],
    row: dict[str, Any],
    history: pd.DataFrame,
    labels: list[str],
    before: str,
) -> None:
    """One KPI tile in the figure-fraction box (left, bottom, width, height)."""
    from matplotlib.patches import FancyBboxPatch

    left, bottom, width, height = box
    ax = fig.add_axes(box, gid=f"tile:{row['kpi']}")
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.add_patch(
        FancyBboxPatch(
            (0, 0),
            1,
            1,
            boxstyle="round,pad=0,rounding_size=0.04",
            facecolor=TILE_FACE,
            edgecolor=STATUS_COLORS.get(str(row.get("status")), "#E1E4E8"),
            linewidth=1.6 if row.get("status") in STATUS_COLORS else 0.8,
            transform=ax.transAxes,
            clip_on=False,
            mutation_aspect=width / height,
        )
    )
    unit = row["unit"]
    value = row["value"]
    compact = isinstance(value, float) and abs(value) >= COMPACT_FROM
    change, colour = _change_text(row, before)
    ax.text(
        0.06,
        0.91,
        _shorten(str(row["name"]), 30),
        fontsize=9.5,
        fontweight="bold",
        color=_style.INK,
        va="top",
        gid="name",
    )
    ax.text(
        0.06,
        0.76,
        format_value(value, unit, compact=compact),
        fontsize=19,
        color=_style.INK,
        va="top",
        gid="value",
    )
    ax.text(0.06, 0.49, change, fontsize=8.5, color=colour, va="top", gid="change")
    status = row.get("status")
    if isinstance(status, str) and status in STATUS_COLORS:  # a review row: its status badge
        ax.text(
            0.94,
            0.6,
            format_status(status),
            fontsize=7.5,
            fontweight="bold",
            color=STATUS_INK[status],
            va="top",
            ha="right",
            bbox={"boxstyle": "round,pad=0.25", "facecolor": STATUS_COLORS[status], "linewidth": 0},
            gid="status",
        )
    if not is_empty(row.get("target")):
        by = row.get("target_by")
        target = format_value(row["target"], unit, compact=abs(row["target"]) >= COMPACT_FROM)
        text = f"target {target}" + ("" if is_empty(by) else f"\nby {by}")
        ax.text(
            0.94,
            0.745,
            text,
            fontsize=8,
            color=_style.TARGET,
            va="top",
            ha="right",
            linespacing=1.3,
            gid="target",
        )
    spark = fig.add_axes(
        (left + width * 0.06, bottom + height * 0.06, width * 0.88, height * 0.30),
        gid=f"spark:{row['kpi']}",
    )
    _spark(spark, history, row, labels, colour)


def render_dashboard(
    scorecard: pd.DataFrame,
    history: pd.DataFrame,
    *,
    period: str,
    title: str | None = None,
) -> Figure:
    """Draw every KPI of a scorecard as a tile on one figure, grouped by objective.

    Args:
        scorecard: ``kpikit.scorecard(spec, period=period)``.
        history: a :func:`kpikit.compute` frame at the period's grain, without ``by`` columns,
            covering at least the last 13 periods (for the sparklines).
        period: the period the scorecard is for, e.g. ``"2026-11"``.
        title: the figure's title; ``KPI dashboard · <period>`` by default.

    Returns:
        The figure. Tiles are axes with gid ``tile:<kpi id>``, sparklines ``spark:<kpi id>``,
        objective headers are figure texts with gid ``objective:<id>``. Nothing in it depends
        on the time it was drawn.

    Example:
        >>> card = kpikit.scorecard(spec, period="2026-11")  # doctest: +SKIP
        >>> history = kpikit.compute(spec, start="2025-11", end="2026-11")  # doctest: +SKIP
        >>> fig = render_dashboard(card, history, period="2026-11")  # doctest: +SKIP
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    grain = periods.grain_of(period)
    extra = segment_columns(history)
    if extra:
        raise ParameterError(
            "history has segment columns",
            expected="a compute() frame without by=",
            found="columns " + ", ".join(repr(c) for c in extra),
            hint="compute the history with by=() for the dashboard's sparklines",
        )
    if (
        len(history)
        and calendar(history["period"])
        and periods.grain_of(str(history["period"].iloc[0])) != grain
    ):
        raise ParameterError(
            "history and period have different grains",
            expected=f"{grain} periods in history, like {period!r}",
            found=repr(str(history["period"].iloc[0])),
            hint=f"compute the history with grain={grain!r}",
        )
    labels = periods.period_range(periods.previous(period, SPARK_PERIODS - 1), period)
    before = periods.previous(period, 1)
    groups = objective_groups(scorecard)
    tile_rows = sum(math.ceil(len(rows) / COLUMNS) for _, _, rows in groups)
    height = TITLE_HEIGHT + MARGIN + len(groups) * HEADER_HEIGHT + tile_rows * (TILE_HEIGHT + GAP)
    tile_width = (WIDTH - 2 * MARGIN - (COLUMNS - 1) * GAP) / COLUMNS
    with mpl.rc_context(_style.rc()):
        fig = plt.figure(figsize=(WIDTH, height), facecolor="white")
        fig.text(
            MARGIN / WIDTH,
            1 - 0.32 / height,
            title or f"KPI dashboard · {period}",
            fontsize=17,
            fontweight="bold",
            color=_style.INK,
            va="top",
            gid="title",
        )
        fig.text(
            MARGIN / WIDTH,
            1 - 0.68 / height,
            f"Change vs {before}: green is better, red is worse, grey has nothing to compare. "
            f"Lines: the last {SPARK_PERIODS} {grain}s; dashed: target.",
            fontsize=8.5,
            color=_style.MUTED,
            va="top",
        )
        top = height - TITLE_HEIGHT  # inches from the bottom
        for objective, label, rows in groups:
            fig.text(
                MARGIN / WIDTH,
                (top - HEADER_HEIGHT * 0.55) / height,
                label,
                fontsize=12.5,
                fontweight="bold",
                color=_style.INK,
                va="center",
                gid=f"objective:{objective or ''}",
            )
            fig.add_artist(
                Line2D(
                    [MARGIN / WIDTH, 1 - MARGIN / WIDTH],
                    [(top - HEADER_HEIGHT * 0.95) / height] * 2,
                    color="#D0D4D9",
                    linewidth=0.8,
                )
            )
            top -= HEADER_HEIGHT
            for start in range(0, len(rows), COLUMNS):
                bottom = top - TILE_HEIGHT
                for column, row in enumerate(rows[start : start + COLUMNS]):
                    left = MARGIN + column * (tile_width + GAP)
                    box = (left / WIDTH, bottom / height, tile_width / WIDTH, TILE_HEIGHT / height)
                    _tile(fig, box, row, history, labels, before)
                top = bottom - GAP
    return fig
