"""Expand a spec KPI's ``use: <catalog id>`` into ordinary KPI fields; the engine needs no change.

The KPI body is rewritten before it is validated like any other: the catalog entry's measure,
numerator and denominator, filter, formula (and python function or window) are filled in with
the spec's column names (``columns: {canonical: source column}``) and KPI ids
(``inputs: {catalog id: spec KPI id}``); the entry's name, definition, unit, direction and types
are defaults the spec may override. Every problem goes to the loader's checker, with its line.

Example:
    >>> from kpikit._use import rename
    >>> rename("clicks > 0 and channel == 'clicks'", {"clicks": "link_clicks"}, kind="filter")
    "link_clicks > 0 and channel == 'clicks'"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kpikit import _yaml
from kpikit.catalog import HOW_KEYS, Entry, lookup, suggest
from kpikit.errors import did_you_mean

if TYPE_CHECKING:
    from kpikit._load import _Checker
    from kpikit.spec import Source

__all__ = ["expand", "rename"]

#: What a spec KPI may say besides ``use:``, on top of the fields it may override.
_USE_KEYS = ("use", "inputs", "columns")
#: Fields the catalog entry fills in unless the spec gives them.
_DEFAULTS = ("name", "unit", "direction", "types")


def rename(text: str, names: Mapping[str, str], *, kind: str) -> str:
    """``text`` (a ``filter``, ``measure`` or ``formula``) with the names in ``names`` replaced.

    Only names are replaced, never words inside quoted text or function names.
    """
    if not names:
        return text
    if kind == "formula":
        from kpikit._formula import _tokenize as formula_tokens

        tokens = formula_tokens(text)
    else:
        from kpikit._expr import _tokenize as expr_tokens

        tokens = expr_tokens(text)
    out = text
    for i, (token_kind, value, start) in reversed(list(enumerate(tokens))):
        is_call = i + 1 < len(tokens) and tokens[i + 1][1] == "("
        if token_kind == "name" and value in names and not is_call:
            out = out[:start] + names[value] + out[start + len(value) :]
    return out


def _line(value: Any, key: Any = None) -> int | None:
    if isinstance(value, _yaml.LineDict):
        return value.line_of(key) if key is not None else value.line
    return None


def _mapping(
    c: _Checker, body: Mapping[Any, Any], key: str, kid: str, allowed: tuple[str, ...], what: str
) -> dict[str, str]:
    """The ``columns:`` or ``inputs:`` mapping, checked: keys the entry uses, text values."""
    raw = body.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        c.add(
            _line(body, key), kid, key,
            f"expected a mapping {{{what}: yours}}, found {type(raw).__name__} {raw!r}",
        )  # fmt: skip
        return {}
    out: dict[str, str] = {}
    for name, value in raw.items():
        line = _line(raw, name) or _line(body, key)
        if name not in allowed:
            hint = did_you_mean(str(name), allowed) or (
                f"its {what}s: " + ", ".join(allowed) if allowed else f"it has no {what}s"
            )
            c.add(
                line, kid, f"{key}.{name}", f"the catalog entry uses no {what} '{name}'", hint=hint
            )
        elif not isinstance(value, str) or not value.strip():
            c.add(line, kid, f"{key}.{name}", f"expected a name, found {value!r}")
        else:
            out[str(name)] = value.strip()
    return out


def _check_columns(
    c: _Checker, kid: str, body: Mapping[Any, Any], e: Entry, names: dict[str, str],
    sources: Mapping[str, Source],
) -> None:  # fmt: skip
    """Every column the entry reads, once mapped, is in the source."""
    source = sources.get(str(body.get("source")))
    if source is None or not source.columns:
        return  # an unknown or missing source is reported by the loader
    for canonical in e.columns:
        column = names.get(canonical, canonical)
        if column in source.columns:
            continue
        mapped = canonical in names
        c.add(
            _line(body["columns"], canonical) if mapped else _line(body, "use"),
            kid, f"columns.{canonical}" if mapped else "use",
            f"column '{column}' not found in source '{source.id}' ({source.path.name}); "
            f"catalog KPI '{e.id}' reads it as '{canonical}'",
            hint=did_you_mean(column, source.columns)
            or f"map it to your column with columns: {{{canonical}: <column>}}",
        )  # fmt: skip


def _check_inputs(
    c: _Checker, kid: str, body: Mapping[Any, Any], e: Entry, names: dict[str, str],
    kpi_ids: set[str],
) -> None:  # fmt: skip
    """Every KPI the entry's formula uses, once mapped, is in the spec."""
    for catalog_id in e.inputs:
        spec_id = names.get(catalog_id, catalog_id)
        if spec_id in kpi_ids:
            continue
        mapped = catalog_id in names
        c.add(
            _line(body["inputs"], catalog_id) if mapped else _line(body, "use"),
            kid, f"inputs.{catalog_id}" if mapped else "use",
            f"catalog KPI '{e.id}' is computed from KPI '{spec_id}', which the spec does not "
            "define",
            hint=did_you_mean(spec_id, kpi_ids)
            or f"add '{spec_id}: {{use: {catalog_id}, source: ...}}' under kpis, or map an "
            f"existing KPI with inputs: {{{catalog_id}: <KPI id>}}",
        )  # fmt: skip


def _fill(body: _yaml.LineDict, fields: dict[str, Any], line: int) -> _yaml.LineDict:
    """A copy of ``body`` without the ``use:`` keys, plus ``fields`` written on ``line``."""
    out = _yaml.LineDict()
    out.line = body.line
    out.key_lines = {}
    for key, value in body.items():
        if key not in _USE_KEYS:
            out[key] = value
            out.key_lines[key] = body.line_of(key)
    for key, value in fields.items():
        out[key] = value
        out.key_lines.setdefault(key, line)
    return out


def expand(
    c: _Checker, kid: str, body: Mapping[Any, Any], sources: Mapping[str, Source],
    kpi_ids: set[str],
) -> tuple[Mapping[Any, Any] | None, str | None]:  # fmt: skip
    """The KPI body with ``use:`` expanded, and the catalog id; ``(None, id)`` after a problem.

    A body without ``use:`` comes back as it is (after checking it gives no ``inputs:``).
    """
    if "use" not in body:
        if "inputs" in body:
            c.add(
                _line(body, "inputs"), kid, "inputs", "'inputs' maps a catalog formula's KPIs",
                hint="add use: <catalog id>, or refer to your KPI ids in formula: directly",
            )  # fmt: skip
        if "columns" in body and "python" not in body:
            c.add(
                _line(body, "columns"), kid, "columns",
                "'columns' maps a catalog entry's (or a Python KPI's) column names",
                hint="add use: <catalog id>, or write your column names in the measure",
            )  # fmt: skip
        return body, None
    use, use_line = body["use"], _line(body, "use") or 0
    e = lookup(use) if isinstance(use, str) else None
    if e is None:
        c.add(use_line, kid, "use", f"unknown catalog KPI {use!r}", hint=suggest(str(use)))
        return None, None
    before = len(c.problems)
    for key in HOW_KEYS:
        if key in body:
            c.add(
                _line(body, key), kid, key,
                f"'{key}' conflicts with 'use: {use}': the catalog entry says how it is computed",
                hint=f"remove '{key}', or remove 'use' and define the KPI yourself",
            )  # fmt: skip
    fields: dict[str, Any] = {k: getattr(e, k) for k in _DEFAULTS if k not in body}
    if "types" in fields:
        fields["types"] = list(e.types)
    if "description" not in body:
        fields["description"] = e.definition
    if e.kind == "formula":
        for key in ("source", "columns", "filter"):
            if key in body:
                c.add(
                    _line(body, key), kid, key,
                    f"catalog KPI '{e.id}' is a formula over other KPIs; it takes no '{key}'",
                    hint="give it to the KPIs it is computed from; map them with inputs:",
                )  # fmt: skip
        names = _mapping(c, body, "inputs", kid, e.inputs, "KPI")
        _check_inputs(c, kid, body, e, names, kpi_ids)
        fields["formula"] = rename(str(e.formula), names, kind="formula")
    else:
        if "inputs" in body:
            c.add(
                _line(body, "inputs"), kid, "inputs",
                f"catalog KPI '{e.id}' is not a formula; it has no inputs",
                hint="map its column names with columns: {canonical: yours}",
            )  # fmt: skip
        names = _mapping(c, body, "columns", kid, e.columns, "column")
        _check_columns(c, kid, body, e, names, sources)
        for key in ("measure", "numerator", "denominator"):
            if getattr(e, key) is not None:
                fields[key] = rename(getattr(e, key), names, kind="measure")
        if e.filter is not None:
            own = rename(e.filter, names, kind="filter")
            extra = body.get("filter")
            fields["filter"] = f"({own}) and ({extra})" if extra is not None else own
        if e.python is not None:
            fields["python"] = e.python
            if names:
                fields["columns"] = names
    if e.window is not None and "window" not in body:
        fields["window"] = e.window
    if len(c.problems) > before:
        return None, e.id
    return _fill(body, fields, use_line), e.id  # type: ignore[arg-type]
