"""Plots of KPIs with matplotlib: a trend per KPI, a one-figure dashboard and the review's statuses.

matplotlib is imported inside the functions (install it with ``pip install 'kpikit[plot]'``), and
styles apply through ``matplotlib.rc_context`` only while a plot is drawn, never globally.
``with matplotlib.rc_context(kpikit.plot.style()):`` gives your own figures the same look.

Example:
    >>> from kpikit.plot import plot_trend
    >>> plot_trend(kpikit.compute(spec), spec.kpi("revenue"));  # doctest: +SKIP
"""

from __future__ import annotations

from kpikit.plot._style import rc as style
from kpikit.plot.dashboard import render_dashboard
from kpikit.plot.status import render_status
from kpikit.plot.trend import plot_trend

__all__ = ["plot_trend", "render_dashboard", "render_status", "style"]
