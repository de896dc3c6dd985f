"""Read and validate a KPI spec file, reporting every problem at once.

:func:`load_spec` returns a :class:`~kpikit.spec.Spec` or raises :class:`~kpikit.errors.SpecError`
listing all errors, each with file, line, KPI id and field, what was expected and what was found,
and a did-you-mean hint for unknown keys, columns, sources and ids. :func:`lint_spec` returns the
same errors plus warnings, for ``kpikit lint``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kpikit import _use, _yaml
from kpikit._design import design_problems
from kpikit._expr import ExprError, Measure, Node, columns, parse_filter, parse_measure
from kpikit._formula import parse_formula, references
from kpikit._target_spec import load_review, load_target
from kpikit._time_spec import load_calendar, load_timezone
from kpikit._windowspec import (
    CADENCE_GRAINS,
    WindowProblem,
    nesting_units,
    read_window,
    window_fits,
)
from kpikit.errors import KpikitError, Problem, SpecError, did_you_mean
from kpikit.spec import (
    CADENCES,
    DIRECTIONS,
    FOCUSES,
    KPI_TYPES,
    UNITS,
    Kpi,
    Objective,
    Source,
    Spec,
    Window,
)

__all__ = ["lint_spec", "load_spec"]

TOP_KEYS = ("version", "calendar", "review", "sources", "objectives", "kpis")
SOURCE_KEYS = ("path", "time", "timezone", "description")
OBJECTIVE_KEYS = ("title", "owner", "description", "focus")
KPI_KEYS = (
    "name", "description", "objective", "types", "source", "measure", "numerator",
    "denominator", "filter", "formula", "unit", "direction", "target", "cadence", "owner",
    "use", "inputs", "columns", "python", "window", "review",
)  # fmt: skip
TARGET_KEYS = ("value", "by", "from", "shape", "change", "vs", "min", "max")  # see _target_spec
REVIEW_KEYS = ("tolerance", "min_denominator", "alpha", "checkins")  # a KPI's: all but checkins
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
SUPPORTED_VERSIONS = (1,)


def _read_columns(path: Path) -> tuple[str, ...]:
    """Column names of a CSV (its header) or a Parquet file (its schema), without reading rows."""
    if path.suffix.lower() == ".parquet":
        from kpikit._parquet import column_names  # the footer, without importing pyarrow

        return column_names(path)
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(next(csv.reader(handle), []))


class _Checker:
    """Collects problems while building the spec's values."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = []

    def add(
        self,
        line: int | None,
        kpi: str | None,
        field: str | None,
        message: str,
        *,
        hint: str | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(Problem(self.file, line, kpi, field, message, severity, hint))  # type: ignore[arg-type]

    def mapping(
        self, value: Any, line: int, who: str | None, field: str
    ) -> Mapping[Any, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.add(line, who, field, f"expected a mapping (key: value lines), found {_show(value)}")
        return None

    def keys(
        self, value: Mapping[Any, Any], allowed: tuple[str, ...], who: str | None, where: str
    ) -> None:
        for key in value:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed) or "allowed keys: " + ", ".join(allowed)
                self.add(_line(value, key), who, str(key), f"unknown key in {where}", hint=hint)

    def text(
        self, value: Mapping[Any, Any], key: str, who: str | None, *, required: bool
    ) -> str | None:
        if key not in value or value[key] is None:
            if required:
                self.add(_line(value), who, key, f"missing required field '{key}'")
            return None
        item = value[key]
        if not isinstance(item, str) or not item.strip():
            self.add(_line(value, key), who, key, f"expected text, found {_show(item)}")
            return None
        return item.strip()

    def choice(
        self,
        value: Mapping[Any, Any],
        key: str,
        choices: tuple[str, ...],
        who: str,
        *,
        required: bool,
    ) -> str | None:
        item = self.text(value, key, who, required=required)
        if item is not None and item not in choices:
            self.add(
                _line(value, key), who, key,
                f"expected one of {', '.join(choices)}, found '{item}'",
                hint=did_you_mean(item, choices),
            )  # fmt: skip
            return None
        return item


def _suggest(word: str, choices: Any, what: str) -> str:
    """A did-you-mean hint, or the list of valid choices when nothing is close."""
    return did_you_mean(word, choices) or f"{what}: " + ", ".join(str(c) for c in choices)


def _line(value: Any, key: Any = None) -> int | None:
    if isinstance(value, _yaml.LineDict):
        return value.line_of(key) if key is not None else value.line
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _load_sources(c: _Checker, raw: Any, base: Path) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    block = c.mapping(raw, _line(raw) or 1, None, "sources") if raw is not None else None
    if raw is None:
        c.add(1, None, "sources", "missing required section 'sources'")
    for sid, body in (block or {}).items():
        line = _line(block, sid)
        if not _ID.match(str(sid)):
            c.add(
                line,
                None,
                f"sources.{sid}",
                "a source id must start with a letter and use letters, digits, - or _",
            )
        body = c.mapping(body, line or 0, None, f"sources.{sid}")
        if body is None:
            continue
        c.keys(body, SOURCE_KEYS, None, f"source '{sid}'")
        rel = c.text(body, "path", None, required=True)
        time = c.text(body, "time", None, required=True)
        if rel is None or time is None:
            continue
        source = Source(str(sid), (base / rel).resolve(), time, (), line or 0)
        path, cols = source.path, tuple[str, ...]()
        if not source.is_many and path.suffix.lower() not in (".csv", ".parquet"):
            c.add(
                _line(body, "path"), None, f"sources.{sid}.path",
                f"expected a .csv or .parquet file, a folder or a glob of .parquet files, "
                f"found '{rel}'",
            )  # fmt: skip
            continue
        files = source.files
        if not files:
            c.add(
                _line(body, "path"), None, f"sources.{sid}.path",
                f"no .parquet file in {path}" if source.is_many else f"file not found: {path}",
                hint="paths are relative to the spec file's folder",
            )  # fmt: skip
        else:
            try:
                cols = _read_columns(files[0])
            except (OSError, ValueError) as exc:  # not a CSV or Parquet file (ArrowInvalid too)
                c.add(
                    _line(body, "path"), None, f"sources.{sid}.path",
                    f"cannot read the columns of {files[0].name}: {_first_line(exc)}",
                    hint="a source is a UTF-8 CSV file with a header line, or Parquet files",
                )  # fmt: skip
            else:
                if time not in cols:
                    c.add(
                        _line(body, "time"), None, f"sources.{sid}.time",
                        f"column '{time}' not found in {path.name}",
                        hint=_suggest(time, cols, "columns"),
                    )  # fmt: skip
        zone = load_timezone(c, body, str(sid))
        sources[str(sid)] = Source(str(sid), path, time, cols, line or 0, zone)
    return sources


def _load_objectives(c: _Checker, raw: Any) -> dict[str, Objective]:
    objectives: dict[str, Objective] = {}
    if raw is None:
        return objectives
    block = c.mapping(raw, _line(raw) or 1, None, "objectives")
    for oid, body in (block or {}).items():
        line = _line(block, oid) or 0
        body = c.mapping(body, line, None, f"objectives.{oid}")
        if body is None:
            continue
        c.keys(body, OBJECTIVE_KEYS, None, f"objective '{oid}'")
        title = c.text(body, "title", None, required=True) or str(oid)
        objectives[str(oid)] = Objective(
            str(oid), title, c.text(body, "owner", None, required=False),
            c.text(body, "description", None, required=False), line,
            focus=c.choice(body, "focus", FOCUSES, str(oid), required=False),
        )  # fmt: skip
    return objectives


def _measure(
    c: _Checker, body: Mapping[Any, Any], key: str, kid: str, source: Source | None
) -> Measure | None:
    if key not in body:
        return None
    try:
        measure = parse_measure(body[key])
    except ExprError as exc:
        c.add(_line(body, key), kid, key, str(exc))
        return None
    if (
        measure.column
        and source is not None
        and source.columns
        and measure.column not in source.columns
    ):
        c.add(
            _line(body, key), kid, key,
            f"column '{measure.column}' not found in source '{source.id}' ({source.path.name})",
            hint=_suggest(measure.column, source.columns, "columns"),
        )  # fmt: skip
    return measure


def _filter(c: _Checker, body: Mapping[Any, Any], kid: str, source: Source | None) -> Node | None:
    if body.get("filter") is None:
        return None
    try:
        node = parse_filter(str(body["filter"]))
    except ExprError as exc:
        c.add(_line(body, "filter"), kid, "filter", str(exc))
        return None
    if source is not None and source.columns:
        for name in sorted(columns(node) - set(source.columns)):
            c.add(
                _line(body, "filter"), kid, "filter",
                f"column '{name}' not found in source '{source.id}' ({source.path.name})",
                hint=_suggest(name, source.columns, "columns"),
            )  # fmt: skip
    return node


def _source(
    c: _Checker, body: Mapping[Any, Any], kid: str, sources: dict[str, Source]
) -> Source | None:
    """The KPI's (required) source, or None after reporting it missing or unknown."""
    source_id = c.text(body, "source", kid, required=True)
    source = sources.get(source_id) if source_id else None
    if source_id and source is None:
        c.add(
            _line(body, "source"), kid, "source", f"unknown source '{source_id}'",
            hint=_suggest(source_id, sources, "sources"),
        )  # fmt: skip
    return source


def _aggregation(
    c: _Checker, kid: str, body: Mapping[Any, Any], sources: dict[str, Source]
) -> dict[str, Any] | None:
    """The fields of a KPI aggregated from a source: a measure, or a numerator and denominator.

    A ``columns:`` mapping without ``use:`` or ``python:`` is reported by ``_use.expand``.
    """
    source = _source(c, body, kid, sources)
    has_measure = "measure" in body
    has_ratio = "numerator" in body or "denominator" in body
    if has_measure == has_ratio:
        c.add(
            _line(body), kid, "measure",
            "expected 'measure', both 'numerator' and 'denominator', or 'formula'",
            hint="e.g. numerator: sum(attributed_sales) and denominator: sum(spend)",
        )  # fmt: skip
    elif has_ratio and not ("numerator" in body and "denominator" in body):
        missing = "denominator" if "numerator" in body else "numerator"
        c.add(
            _line(body), kid, missing,
            f"a ratio KPI needs both numerator and denominator; '{missing}' is missing",
        )  # fmt: skip
    measure = _measure(c, body, "measure", kid, source)
    numerator = _measure(c, body, "numerator", kid, source)
    denominator = _measure(c, body, "denominator", kid, source)
    node = _filter(c, body, kid, source)
    if source is None or (measure is None and (numerator is None or denominator is None)):
        return None
    return {
        "source": source.id, "measure": measure, "numerator": numerator,
        "denominator": denominator, "filter": node,
        "filter_text": str(body["filter"]).strip() if node is not None else None,
    }  # fmt: skip


def _formula(c: _Checker, kid: str, body: Mapping[Any, Any]) -> dict[str, Any] | None:
    """The fields of a formula KPI, computed from other KPIs; ids are checked once all are read."""
    for key in ("source", "measure", "numerator", "denominator", "filter", "python", "columns"):
        if key in body:
            c.add(
                _line(body, key), kid, key,
                f"a formula KPI takes no '{key}': it is computed from other KPIs",
                hint="put the aggregation in its own KPI and refer to that KPI's id",
            )  # fmt: skip
    text = body["formula"]
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        c.add(_line(body, "formula"), kid, "formula", f"expected text, found {_show(text)}")
        return None
    try:
        tree = parse_formula(str(text))
    except ExprError as exc:
        c.add(_line(body, "formula"), kid, "formula", str(exc))
        return None
    if not references(tree):
        c.add(
            _line(body, "formula"), kid, "formula", f"formula '{text}' uses no KPI",
            hint="a formula computes a KPI from other KPIs' ids, e.g. (revenue - cost) / revenue",
        )  # fmt: skip
        return None
    return {"source": None, "formula": tree, "formula_text": str(text).strip()}


def _load_kpi(
    c: _Checker, kid: str, body: Mapping[Any, Any], spec_parts: dict[str, Any]
) -> Kpi | None:
    objectives: dict[str, Objective] = spec_parts["objectives"]
    c.keys(body, KPI_KEYS, kid, f"KPI '{kid}'")
    name = c.text(body, "name", kid, required=True)
    if "formula" in body:
        how = _formula(c, kid, body)
    elif "python" in body:  # a Python KPI: see kpikit._load_python
        from kpikit._load_python import load_python

        how = load_python(c, kid, body, spec_parts["sources"])
    else:
        how = _aggregation(c, kid, body, spec_parts["sources"])
    unit = c.choice(body, "unit", UNITS, kid, required=True)
    direction = c.choice(body, "direction", DIRECTIONS, kid, required=True)
    cadence = c.choice(body, "cadence", CADENCES, kid, required=False)
    objective = c.text(body, "objective", kid, required=False)
    if objective is not None and objective not in objectives:
        c.add(
            _line(body, "objective"), kid, "objective", f"unknown objective '{objective}'",
            hint=_suggest(objective, objectives, "objectives"),
        )  # fmt: skip
    types = body.get("types") or []
    if not isinstance(types, list):
        c.add(
            _line(body, "types"), kid, "types",
            f"expected a list such as [quantitative, lagging], found {_show(types)}",
        )  # fmt: skip
        types = []
    for item in types:
        if item not in KPI_TYPES:
            c.add(
                _line(body, "types"), kid, "types", f"unknown KPI type '{item}'",
                hint=_suggest(str(item), KPI_TYPES, "types"),
            )  # fmt: skip
    target = load_target(c, body, kid, direction, spec_parts["calendar"])
    window = _window(c, body, kid, cadence)
    review = load_review(c, body, kid, None)
    if not (name and unit and direction) or how is None:
        return None
    return Kpi(
        id=kid, name=name, unit=unit, direction=direction, **how,
        description=c.text(body, "description", kid, required=False), objective=objective,
        types=tuple(str(t) for t in types if t in KPI_TYPES), target=target, cadence=cadence,
        owner=c.text(body, "owner", kid, required=False), line=_line(body) or 0, window=window,
        review=review,
    )  # fmt: skip


def _window(c: _Checker, body: Mapping[Any, Any], kid: str, cadence: str | None) -> Window | None:
    """The KPI's ``window:`` (see :mod:`kpikit._windowspec`), checked against its cadence."""
    if body.get("window") is None:
        return None
    line = _line(body, "window")
    if "formula" in body:
        c.add(
            line, kid, "window", "a formula KPI takes no 'window'",
            hint="put the window on the KPIs the formula uses: it is computed from their values",
        )  # fmt: skip
        return None
    try:
        window = read_window(body["window"])
    except WindowProblem as exc:
        c.add(line, kid, "window", str(exc), hint=exc.hint)
        return None
    grain = CADENCE_GRAINS.get(cadence or "")
    if grain and not window_fits(window.text, grain):
        fits = nesting_units(grain)
        c.add(
            line, kid, "window",
            f"a {cadence} KPI cannot have window {{{window.text}}}: the unit must be longer "
            f"than a {grain} and made of whole {grain}s",
            hint=f"use to_date: {' or '.join(fits)}" if fits else "use periods: N or all",
        )  # fmt: skip
        return None
    return window


def _check_formulas(c: _Checker, kpis: dict[str, Kpi], known: set[str]) -> None:
    """Formula references name existing KPIs (did-you-mean otherwise) and form no cycle."""
    for kpi in kpis.values():
        if kpi.formula is None:
            continue
        for ref in sorted(references(kpi.formula)):
            if ref not in known:
                c.add(
                    kpi.line, kpi.id, "formula", f"unknown KPI '{ref}' in formula",
                    hint=_suggest(ref, sorted(known), "KPIs"),
                )  # fmt: skip
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(kid: str, path: list[str]) -> None:
        if state.get(kid) == 2 or kid not in kpis:
            return
        if state.get(kid) == 1:
            loop = path[path.index(kid) :] + [kid]
            c.add(
                kpis[kid].line, kid, "formula", "formulas refer to each other in a cycle: "
                + " -> ".join(loop), hint="a KPI cannot be computed from itself",
            )  # fmt: skip
            return
        state[kid] = 1
        formula = kpis[kid].formula
        for ref in sorted(references(formula)) if formula is not None else []:
            visit(ref, [*path, kid])
        state[kid] = 2

    for kid in kpis:
        visit(kid, [])


def _check(path: str | Path) -> tuple[Spec | None, list[Problem]]:
    path = Path(path)
    c = _Checker(path)
    if not path.exists():
        raise KpikitError(f"spec file not found: {path}", hint="give the path to a kpis.yml file")
    raw = _yaml.loads(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(raw, Mapping):
        c.add(1, None, None, f"expected a mapping with {', '.join(TOP_KEYS)}, found {_show(raw)}")
        return None, c.problems
    c.keys(raw, TOP_KEYS, None, "the spec")
    version = raw.get("version")
    if version not in SUPPORTED_VERSIONS:
        c.add(
            _line(raw, "version") or 1, None, "version",
            f"expected version: 1, found {_show(version)}",
            hint="start the file with 'version: 1'",
        )  # fmt: skip
    parts: dict[str, Any] = {
        "sources": _load_sources(c, raw.get("sources"), path.parent),
        "objectives": _load_objectives(c, raw.get("objectives")),
        "calendar": load_calendar(c, raw),
    }
    review = load_review(c, raw, None, path.parent)
    kpis: dict[str, Kpi] = {}
    block = c.mapping(raw.get("kpis"), _line(raw, "kpis") or 1, None, "kpis")
    if block is not None and not block:
        c.add(_line(raw, "kpis"), None, "kpis", "no KPIs defined")
    for kid, body in (block or {}).items():
        line = _line(block, kid)
        if not _ID.match(str(kid)):
            c.add(
                line,
                str(kid),
                None,
                "a KPI id must start with a letter and use letters, digits, - or _",
            )
            continue
        body = c.mapping(body, line or 0, str(kid), "kpi")
        if isinstance(body, _yaml.LineDict) and line is not None:
            body.line = line  # problems about the KPI as a whole point at its id
        entry_id = None
        if body is not None:  # use: <catalog id> becomes ordinary KPI fields
            known = {str(k) for k in block or {}}
            body, entry_id = _use.expand(c, str(kid), body, parts["sources"], known)
        if body is not None:
            kpi = _load_kpi(c, str(kid), body, parts)
            if kpi is not None:
                kpis[kpi.id] = kpi if entry_id is None else kpi._replace(catalog=entry_id)
    _check_formulas(c, kpis, {str(k) for k in block or {}})
    calendar = parts["calendar"]
    if any(p.severity == "error" for p in c.problems):
        return None, c.problems
    spec = Spec(path.resolve(), int(version), parts["sources"], parts["objectives"], kpis)  # type: ignore[arg-type]
    spec = spec._replace(calendar=calendar, review=review or spec.review)
    _warn(c, spec)
    return spec, c.problems


def _warn(c: _Checker, spec: Spec) -> None:
    """Design warnings: things that make a KPI hard to act on, though computable."""
    for problem in design_problems(spec, c.file):
        c.problems.append(problem)


def load_spec(path: str | Path) -> Spec:
    """Load and validate a KPI spec file.

    Raises:
        SpecError: listing every problem, each with file, line, KPI id and field.

    Example:
        >>> spec = load_spec("data/kpis.yml")  # doctest: +SKIP
        >>> sorted(spec.kpis)[:2]  # doctest: +SKIP
        ['aov', 'bounce_rate']
    """
    spec, problems = _check(path)
    if spec is None:
        raise SpecError(problems)
    return spec


def lint_spec(path: str | Path) -> list[Problem]:
    """Every error and warning about a spec file, in file order; empty when it is clean."""
    try:
        _, problems = _check(path)
    except SpecError as exc:
        problems = exc.problems
    return sorted(problems, key=lambda p: (p.line or 0, p.severity))
