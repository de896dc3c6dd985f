"""Run a report template: check its parameters, execute it, export HTML; all or nothing.

Nothing a reader could open is ever half-written: the notebook is executed into a hidden
temporary file in the output folder and moved into place (``os.replace``) only when every cell
has run; the HTML is written the same way. When a cell fails, the partial notebook (papermill's
red banner on top) is kept as ``<name>.failed.ipynb`` beside the last good report, which stays
as it was.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpikit.errors import ParameterError, ReportError
from kpikit.report._executor import ExecutionFailed, Executor, PapermillExecutor
from kpikit.report._html import export_html
from kpikit.report._parameters import check_parameters, read_parameters

__all__ = ["ReportResult", "run_report"]


@dataclass(frozen=True)
class ReportResult:
    """Where a report run wrote its files."""

    notebook: Path
    html: Path | None


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "%")):
            text = line.strip()
            return text if len(text) <= 60 else text[:57] + "..."
    return ""


def _failure(exc: ExecutionFailed, kept: Path | None) -> ReportError:
    cell = f"In [{exc.execution_count}]" if exc.execution_count is not None else "a cell"
    line = _first_line(exc.source)
    where = f"{cell} (`{line}`)" if line else cell
    evidence = (
        f"the failed notebook is kept at {kept}" if kept else "the kernel wrote no notebook to keep"
    )
    hint = None
    if exc.error.startswith("ModuleNotFoundError") and "kpikit" in exc.error:
        hint = "the kernel cannot import kpikit: install kpikit in the kernel's environment"
    return ReportError(f"the report failed in {where}: {exc.error}; {evidence}", hint=hint)


def _title(parameters: Mapping[str, Any], defaults: Mapping[str, Any], template: Path) -> str:
    title = parameters.get("title", defaults.get("title"))
    period = parameters.get("period", defaults.get("period"))
    text = title if isinstance(title, str) and title.strip() else template.stem.replace("_", " ")
    return f"{text} — {period}" if isinstance(period, str) else text


def run_report(
    template: str | Path,
    *,
    parameters: Mapping[str, Any],
    output_dir: str | Path,
    executor: Executor | None = None,
    cwd: str | Path | None = None,
    html: bool = True,
    progress: bool = True,
) -> ReportResult:
    """Execute a report template with ``parameters`` into ``output_dir``; optionally export HTML.

    Args:
        template: the template notebook (its first code cell tagged ``parameters``).
        parameters: values for the template's parameters, with the declared types. Checked
            before any kernel starts; ``period`` must be a month (``2026-11``).
        output_dir: the folder for ``<template name>.ipynb`` and ``.html`` (created if missing).
        executor: runs the notebook; :class:`PapermillExecutor` when None.
        cwd: the kernel's working folder; the template's folder when None, so paths in the
            template's defaults (``../data/kpis.yml``) resolve as they do in Jupyter.
        html: also write the HTML report (code hidden, renders offline).
        progress: print a line per stage and papermill's cell progress bar on stderr.

    Returns:
        The paths written.

    Raises:
        ParameterError: an unknown parameter, a value of the wrong type, or a bad period.
        ReportError: a cell failed (the partial notebook is kept as ``<name>.failed.ipynb``).

    Example:
        >>> run_report("templates/monthly_report.ipynb", parameters={"period": "2026-08"},
        ...            output_dir="reports/2026-08")  # doctest: +SKIP
        ReportResult(notebook=PosixPath('.../reports/2026-08/monthly_report.ipynb'), html=...)
    """
    template = Path(template).resolve()
    steps = 3 if html else 2

    def say(step: int, text: str) -> None:
        if progress:
            print(f"[{step}/{steps}] {text}", file=sys.stderr, flush=True)

    if not template.is_file():
        raise ParameterError(
            "report template not found",
            expected="a notebook file",
            found=str(template),
            hint="templates live in templates/<name>.ipynb",
        )
    say(1, f"checking parameters of {template.name}")
    declared = read_parameters(template)
    values = check_parameters(template, declared, parameters)
    defaults = {name: p.default for name, p in declared.items()}

    folder = Path(output_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{template.stem}.ipynb"
    failed = folder / f"{template.stem}.failed.ipynb"
    run_in = Path(cwd).resolve() if cwd is not None else template.parent
    # papermill insists on an .ipynb suffix; the leading dot keeps the temporary file out of sight.
    temporary = folder / f".{template.stem}.{uuid.uuid4().hex[:8]}.ipynb"
    say(2, f"running the notebook in {run_in}")
    try:
        (executor or PapermillExecutor())(
            template, temporary, parameters=values, cwd=run_in, progress=progress
        )
        if not temporary.is_file():
            raise ReportError(f"the executor wrote no notebook to {temporary}")
        temporary.replace(final)
    except ExecutionFailed as exc:
        kept = None
        if temporary.is_file() and temporary.stat().st_size > 0:
            temporary.replace(failed)
            kept = failed
        raise _failure(exc, kept) from exc
    finally:
        temporary.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)  # an earlier run's failure is superseded by this report
    if not html:
        return ReportResult(final, None)
    say(3, "exporting HTML (code hidden, renders offline)")
    page = folder / f"{template.stem}.html"
    try:
        export_html(final, page, title=_title(values, defaults, template))
    except BaseException:
        page.unlink(missing_ok=True)  # never leave an older page beside the new notebook
        raise
    return ReportResult(final, page)
