"""Parameterized reports: run a template notebook for a period and export it as offline HTML.

The runner checks a template's parameters (names and declared types) before any kernel starts,
executes it with an injected executor (papermill by default), writes the notebook and the HTML
atomically, and keeps the failed notebook as evidence when a cell raises. papermill and nbconvert
are imported only when a report runs, so ``import kpikit.report`` stays cheap. The tables a
template shows come from :mod:`kpikit.tables`.

Example:
    >>> from kpikit.report import run_report
    >>> result = run_report("templates/monthly_report.ipynb", parameters={"period": "2026-08"},
    ...                     output_dir="reports/2026-08")  # doctest: +SKIP
    >>> result.html.name  # doctest: +SKIP
    'monthly_report.html'
"""

from __future__ import annotations

from kpikit.report._executor import ExecutionFailed, Executor, PapermillExecutor
from kpikit.report._html import export_html, network_resources
from kpikit.report._parameters import TemplateParameter, check_parameters, read_parameters
from kpikit.report._runner import ReportResult, run_report

__all__ = [
    "ExecutionFailed",
    "Executor",
    "PapermillExecutor",
    "ReportResult",
    "TemplateParameter",
    "check_parameters",
    "export_html",
    "network_resources",
    "read_parameters",
    "run_report",
]
