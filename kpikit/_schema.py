"""The JSON Schema of the spec format, shipped for editors, and the ``kpikit schema`` command.

``kpikit/schema/kpis.schema.json`` (JSON Schema draft 2020-12, using only keywords draft-07 tools
also understand) describes every key of ``docs/kpi-spec.md`` with its description and allowed
values, so an editor that speaks JSON Schema (VS Code with the YAML extension, JetBrains IDEs)
completes keys, shows their meaning and underlines mistakes while you type. It checks the shape of
a spec; ``kpikit lint`` also checks what a schema cannot: that files, columns, KPI ids, catalog
entries and functions exist.

Example:
    >>> path().name
    'kpis.schema.json'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["path", "text"]

_PATH = Path(__file__).resolve().parent / "schema" / "kpis.schema.json"


def path() -> Path:
    """The installed schema file (inside the kpikit package)."""
    return _PATH


def text() -> str:
    """The schema as JSON text."""
    return _PATH.read_text(encoding="utf-8")
