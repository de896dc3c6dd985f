"""A KPI's trend over periods: one line per segment, the target as a dashed line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpikit.errors import ParameterError, did_you_mean
from kpikit.fmt import format_target
from kpikit.plot import _style
from kpikit.plot._frames import calendar, kpi_rows, segment_columns, series, wide_series

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from kpikit.spec import Kpi, Target

__all__ = ["plot_trend"]

#: Above this many periods, lines are drawn without point markers.
MARKER_LIMIT = 60


def _per_segment_target(kpi: Kpi) -> bool:
    """Whether a segment's value can be read against the KPI's target.

    True for ratios, means, mins, maxes, medians and quantiles (a channel's ROAS against the ROAS
    target); False for sums and counts, whose target is for the total: one channel's revenue is
    not meant to reach it.
    """
    per_row = ("mean", "min", "max", "median", "quantile")
    return kpi.is_ratio or (kpi.measure is not None and kpi.measure.func in per_row)


def _draw_target(ax: Axes, target: Target, unit: str, labels: list[str]) -> None:
    """Draw a KPI's target on ``ax``.

    A level target is a dashed line, per-period targets are dashes at their periods, a range is a
    shaded band; a relative target (a different number each period) is not drawn.
    """
    label = f"Target {format_target(target, unit)}"
    style: dict[str, Any] = {"color": _style.TARGET, "label": label}
    if target.kind == "level" and target.value is not None:
        ax.axhline(target.value, linestyle="--", linewidth=1.2, **style)
    elif target.kind == "range" and target.min is not None and target.max is not None:
        ax.axhspan(target.min, target.max, alpha=0.15, linewidth=0, **style)
    elif target.kind == "per_period":
        points = [(i, target.per_period[p]) for i, p in enumerate(labels) if p in target.per_period]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, linestyle="--", linewidth=1.2, marker="_", markersize=14, **style)


def plot_trend(
    frame: pd.DataFrame,
    kpi: Kpi,
    *,
    ax: Axes | None = None,
    segment_column: str | None = None,
) -> Axes:
    """Plot a KPI's values over periods from a :func:`kpikit.compute` frame.

    Every period from the first to the last one in the frame gets a place on the x-axis; a
    period with no value (no data, or a zero denominator) is a gap in the line, never a zero.
    The y-axis is labelled with :func:`kpikit.fmt.format_value`, and a KPI with a target gets a
    dashed line at the target value (with segments, only for ratios and means: the target of a
    sum or a count is for the total, not for each segment).

    Args:
        frame: the result of ``kpikit.compute(spec, ...)``; rows of other KPIs are ignored.
        kpi: the KPI to plot, e.g. ``spec.kpi("revenue")``.
        ax: the axes to draw on; a new figure is made when None.
        segment_column: a ``by`` column of the frame: one line per segment.

    Returns:
        The axes. Each line's label is the KPI's name (or the segment), the target's starts
        with ``Target``.

    Example:
        >>> frame = kpikit.compute(spec, grain="month", kpis=["revenue"])  # doctest: +SKIP
        >>> plot_trend(frame, spec.kpi("revenue"));  # doctest: +SKIP
    """
    import matplotlib as mpl
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = kpi_rows(frame, kpi)
    segments = segment_columns(frame)
    if segment_column is not None and segment_column not in segments:
        raise ParameterError(
            f"no segment column {segment_column!r} in the frame",
            expected="one of " + (", ".join(segments) or "the `by` columns given to compute()"),
            found=repr(segment_column),
            hint=did_you_mean(segment_column, segments)
            or f"compute with by=['{segment_column}'] to plot one line per segment",
        )
    labels = calendar(rows["period"])
    with mpl.rc_context(_style.rc()):
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
        positions = list(range(len(labels)))
        style: dict[str, Any] = {"linewidth": 1.8}
        if len(labels) <= MARKER_LIMIT:  # isolated points between gaps stay visible
            style.update(marker="o", markersize=3)
        if segment_column is None:
            lines = {kpi.name: series(rows, labels)}
        else:
            lines = wide_series(rows, labels, segment_column)
        for i, (name, values) in enumerate(lines.items()):
            colour = _style.SERIES[i % len(_style.SERIES)]
            ax.plot(positions, values.to_numpy(), label=name, color=colour, **style)
        if kpi.target is not None and (segment_column is None or _per_segment_target(kpi)):
            _draw_target(ax, kpi.target, kpi.unit, labels)
        long_labels = bool(labels) and len(labels[0]) > 7  # weeks and days
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5 if long_labels else 8, integer=True))
        ax.xaxis.set_major_formatter(
            FuncFormatter(
                lambda x, _pos: labels[int(x)] if x == int(x) and 0 <= x < len(labels) else ""
            )
        )
        _style.value_axis(ax.yaxis, kpi.unit)
        if labels:
            ax.set_xlim(-0.5, len(labels) - 0.5)
        arrow = {"up": "higher is better", "down": "lower is better"}.get(
            kpi.direction, "better inside the band"
        )
        ax.set_title(kpi.name, loc="left", fontweight="bold")
        ax.set_ylabel(f"{kpi.unit}, {arrow}")
        if segment_column is not None or kpi.target is not None:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax
