"""Export an executed report notebook to one self-contained HTML file that renders offline.

nbconvert's ``lab`` template loads require.js, MathJax, Mermaid and (for notebooks with widget
state) the widget renderer from public CDNs. A KPI report needs none of them: it is markdown,
HTML tables and PNG figures. So the report uses the ``lab`` template with those blocks emptied
(a small Jinja template given to nbconvert through ``extra_loaders``), hides code, and refuses to
write HTML that would still load a script or stylesheet over the network.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from kpikit.errors import ReportError

__all__ = ["export_html", "network_resources"]

#: The lab template minus everything it would fetch from a CDN.
_OFFLINE_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_TEMPLATE_FILE = "kpikit_offline_report.html.j2"

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: A script, stylesheet, iframe or module import that points at another host.
_REMOTE = re.compile(
    r"""<(?:script|iframe)\b[^>]*\bsrc\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|\bimport\s*\(\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE,
)


def network_resources(html: str) -> list[str]:
    """The URLs of scripts, stylesheets, frames and module imports an HTML page loads remotely.

    Links a reader may click (``<a href>``) do not count: they load nothing.

    Example:
        >>> network_resources('<script src="https://cdn.example.com/x.js"></script><a href="https://x">')
        ['https://cdn.example.com/x.js']
    """
    return [next(g for g in match.groups() if g) for match in _REMOTE.finditer(html)]


def _widget_cells(nb: Any) -> list[int]:
    return [
        index
        for index, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if _WIDGET_VIEW in output.get("data", {})
    ]


def export_html(notebook: Path, html: Path, *, title: str) -> Path:
    """Write ``notebook`` as HTML to ``html`` (atomically), without code and without CDN scripts.

    Args:
        notebook: an executed notebook.
        html: where to write; the folder must exist. Written to a temporary file in the same
            folder first, then moved into place, so a reader never sees half a report.
        title: the page title (the browser tab and bookmarks).

    Raises:
        ReportError: the notebook shows widgets (they cannot render in a static page), or the
            HTML would load something over the network (say, a plotting library's CDN script).
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    widgets = _widget_cells(nb)
    if widgets:
        raise ReportError(
            "the report shows interactive widgets, which a static HTML report cannot render",
            found=f"widget output in cell {widgets[0] + 1} of {notebook.name}",
            hint="show a matplotlib figure or a table in templates; keep widgets for notebooks",
        )
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_FILE,
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_FILE: _OFFLINE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    remote = network_resources(body)
    if remote:
        raise ReportError(
            "the HTML report would load resources over the network, so it would not render offline",
            found=", ".join(sorted(set(remote))[:3]),
            hint="show matplotlib figures and plain tables in report templates",
        )
    temporary = html.with_name(f".{html.stem}.{uuid.uuid4().hex[:8]}{html.suffix}")
    try:
        temporary.write_text(body, encoding="utf-8")
        os.replace(temporary, html)
    finally:
        temporary.unlink(missing_ok=True)
    return html
