"""Spec checks for Python KPIs: ``python: <function>`` and ``columns: {canonical: source column}``.

Called by :mod:`kpikit._load` for each KPI; problems go to its ``_Checker`` with line numbers and
did-you-mean hints, like every other spec problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kpikit.functions import ENTRY_POINT_GROUP, find_function, unknown_details

if TYPE_CHECKING:
    from kpikit._load import _Checker
    from kpikit.spec import Source

__all__ = ["load_columns", "load_python"]

_NOT_WITH_PYTHON = ("measure", "numerator", "denominator", "formula")


def load_python(
    c: _Checker, kid: str, body: Mapping[Any, Any], sources: dict[str, Source]
) -> dict[str, Any] | None:
    """The fields of a Python KPI (``python``, ``source``, ``columns``, ``filter``), or None."""
    from kpikit._load import _filter, _line, _show, _source, _suggest

    for key in _NOT_WITH_PYTHON:
        if key in body:
            c.add(
                _line(body, key), kid, key,
                f"a Python KPI takes no '{key}': its function computes the value",
                hint="remove it, or drop 'python' to aggregate instead",
            )  # fmt: skip
    if "window" in body:
        c.add(
            _line(body, "window"), kid, "window",
            "a Python KPI takes no 'window': its function decides which rows each period uses",
            hint="compute the window inside the function (ctx.rows holds every row)",
        )  # fmt: skip
    source = _source(c, body, kid, sources)
    name = body["python"]
    found = None
    if not isinstance(name, str) or not name.strip():
        c.add(
            _line(body, "python"), kid, "python", f"expected a function name, found {_show(name)}"
        )
    else:
        name = name.strip()
        try:
            found = find_function(name)
        except Exception as exc:  # a broken entry point: say which, do not crash the lint
            c.add(
                _line(body, "python"), kid, "python",
                f"could not load KPI function '{name}' from entry-point group "
                f"{ENTRY_POINT_GROUP}: {type(exc).__name__}: {exc}",
            )  # fmt: skip
            return None
        if found is None:
            details = unknown_details(name)
            c.add(
                _line(body, "python"), kid, "python",
                f"unknown KPI function '{name}' ({details['expected']})", hint=details["hint"],
            )  # fmt: skip
    mapping = load_columns(c, kid, body, source)
    node = _filter(c, body, kid, source)
    if found is not None and source is not None and source.columns and mapping is not None:
        have = set(source.columns) - set(mapping.values()) | set(mapping)
        for needed in found.columns:
            if needed not in have:
                c.add(
                    _line(body, "python"), kid, "python",
                    f"function '{found.name}' needs a column '{needed}', and source "
                    f"'{source.id}' has none",
                    hint=f"map it: columns: {{{needed}: <column of {source.path.name}>}}"
                    + (f" ({_suggest(needed, source.columns, 'columns')})"),
                )  # fmt: skip
    if source is None or found is None or mapping is None:
        return None
    return {
        "source": source.id, "python": found.name, "columns": mapping, "filter": node,
        "filter_text": str(body["filter"]).strip() if node is not None else None,
    }  # fmt: skip


def load_columns(
    c: _Checker, kid: str, body: Mapping[Any, Any], source: Source | None
) -> dict[str, str] | None:
    """``columns: {canonical name: source column}``; every source column must exist."""
    from kpikit._load import _line, _show, _suggest

    raw = body.get("columns")
    if raw is None:
        return {}
    block = c.mapping(raw, _line(body, "columns") or 0, kid, "columns")
    if block is None:
        return None
    out: dict[str, str] = {}
    for canonical, column in block.items():
        line = _line(block, canonical) or _line(body, "columns")
        if not isinstance(column, str) or not column.strip():
            c.add(
                line, kid, f"columns.{canonical}", f"expected a column name, found {_show(column)}"
            )
            continue
        if source is not None and source.columns and column not in source.columns:
            c.add(
                line, kid, f"columns.{canonical}",
                f"column '{column}' not found in source '{source.id}' ({source.path.name})",
                hint=_suggest(column, source.columns, "columns"),
            )  # fmt: skip
            continue
        out[str(canonical)] = column.strip()
    return out if len(out) == len(block) else None
