"""Shared look of kpikit's plots: palette, rc settings and axis formatters.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common kinds of
colour blindness. Settings are applied with ``matplotlib.rc_context`` inside each plot function,
never to the global ``rcParams``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpikit.fmt import format_value

if TYPE_CHECKING:
    from matplotlib.axis import Axis

__all__ = [
    "BETTER",
    "INK",
    "LINE",
    "MUTED",
    "NEUTRAL",
    "RC",
    "SERIES",
    "TARGET",
    "WORSE",
    "rc",
    "value_axis",
]

#: Okabe-Ito: bluish green for a change for the better, vermillion for worse, grey otherwise.
BETTER = "#009E73"
WORSE = "#D55E00"
NEUTRAL = "#7F7F7F"
#: Text and lines.
INK = "#222222"
MUTED = "#6B6B6B"
#: Targets are dashed dark grey lines, so they never look like one of the data's lines.
TARGET = "#4A4A4A"
#: A sparkline's colour (Okabe-Ito blue).
LINE = "#0072B2"
#: Colours for one line per segment (Okabe-Ito, without the yellow that fades on white).
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999")

RC: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelcolor": MUTED,
    "axes.edgecolor": "#BBBBBB",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#E6E6E6",
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
    "svg.hashsalt": "kpikit",  # deterministic SVG ids
}


def rc() -> Any:
    """The matplotlib settings of kpikit's plots, for ``with matplotlib.rc_context(style()):``.

    Figures and axes made inside the context get kpikit's look (colours, grid, fonts); nothing
    changes outside it. Typed Any because matplotlib's stubs want a dict of literal keys.
    """
    from cycler import cycler  # a matplotlib dependency, imported only when plotting

    return {**RC, "axes.prop_cycle": cycler(color=list(SERIES))}


def value_axis(axis: Axis, unit: str) -> None:
    """Label an axis's ticks with :func:`kpikit.fmt.format_value` in compact form."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_value(v, unit, compact=True)))
