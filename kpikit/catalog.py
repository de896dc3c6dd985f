"""The built-in KPI catalog: standard KPI definitions a spec uses with ``use: <id>``.

The definitions live in ``kpikit/catalog.yaml``, shipped with the package and read once. Each
:class:`Entry` carries its formula, unit, direction, default descriptors, marketing stage, a
one-line definition and the variant it uses where definitions differ. Measures and filters use
canonical column names, which a spec maps to its own with ``columns:``.

Example:
    >>> from kpikit import catalog
    >>> ctr = catalog.entry("ctr")
    >>> ctr.name, ctr.how, ctr.unit, ctr.stage
    ('Click-through rate', 'sum(clicks) / sum(impressions)', 'percent', 'engagement')
    >>> [e.id for e in catalog.search("email", stage="reach")]
    ['delivery_rate', 'email_sends']
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kpikit.errors import ParameterError, did_you_mean
from kpikit.spec import UNITS

__all__ = ["STAGES", "Entry", "entries", "entry", "markdown", "search"]

#: Marketing funnel stages an entry may belong to.
STAGES = ("reach", "engagement", "results")
#: The keys that say how an entry is computed; a spec that uses an entry may not give them.
HOW_KEYS = ("measure", "numerator", "denominator", "formula", "python")
_ENTRY_KEYS = (
    "name", "definition", "measure", "numerator", "denominator", "formula", "python", "filter",
    "window", "columns", "unit", "direction", "types", "stage", "variant", "aliases", "proportion",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One catalog KPI definition.

    Exactly one of ``measure``, ``numerator`` and ``denominator``, ``formula`` (over other
    catalog ids) or ``python`` (a registered KPI function) says how it is computed.
    """

    id: str
    name: str
    definition: str
    unit: str
    direction: str
    types: tuple[str, ...] = ()
    stage: str | None = None
    variant: str | None = None
    aliases: tuple[str, ...] = ()
    measure: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    formula: str | None = None
    python: str | None = None
    filter: str | None = None
    window: Any = None
    python_columns: tuple[str, ...] = ()
    #: A share of counted things (successes out of trials, e.g. clicks out of impressions), so a
    #: review gives it a Wilson interval, a z-test of its change and a minimum denominator.
    proportion: bool = False

    @property
    def kind(self) -> str:
        """``measure``, ``ratio``, ``formula`` or ``python``."""
        if self.formula is not None:
            return "formula"
        if self.python is not None:
            return "python"
        return "ratio" if self.numerator is not None else "measure"

    @property
    def how(self) -> str:
        """How it is computed, in the spec's words, e.g. ``sum(clicks) / sum(impressions)``."""
        if self.formula is not None:
            return self.formula
        if self.python is not None:
            return f"python: {self.python}({', '.join(self.python_columns)})"
        text = (
            f"{self.numerator} / {self.denominator}"
            if self.numerator is not None
            else str(self.measure)
        )
        return f"{text} where {self.filter}" if self.filter else text

    @property
    def columns(self) -> tuple[str, ...]:
        """The canonical source columns it reads, sorted (none for a formula entry)."""
        if self.python is not None:
            return tuple(sorted(self.python_columns))
        from kpikit._expr import columns, parse_filter, parse_measure

        found = {
            m.column
            for text in (self.measure, self.numerator, self.denominator)
            if text is not None and (m := parse_measure(text)).column is not None
        }
        if self.filter is not None:
            found |= columns(parse_filter(self.filter))
        return tuple(sorted(found))

    @property
    def inputs(self) -> tuple[str, ...]:
        """The catalog ids a formula entry is computed from, sorted (empty otherwise)."""
        if self.formula is None:
            return ()
        from kpikit._formula import parse_formula, references

        return tuple(sorted(references(parse_formula(self.formula))))

    def snippet(self, kpi_id: str | None = None, source: str = "my_source") -> str:
        """A YAML block to paste under ``kpis:`` in a spec.

        Example:
            >>> print(entry("ctr").snippet())
            ctr:
              use: ctr
              source: my_source
              # columns: {clicks: clicks, impressions: impressions}
              # objective, description, target, cadence, owner: as for any KPI
        """
        lines = [f"{kpi_id or self.id}:", f"  use: {self.id}"]
        if self.kind == "formula":
            lines.append("  # inputs: {catalog id: your KPI id}, only where your ids differ")
        else:
            mapping = ", ".join(f"{c}: {c}" for c in self.columns)
            lines.append(f"  source: {source}")
            if mapping:
                lines.append(f"  # columns: {{{mapping}}}")
        lines.append("  # objective, description, target, cadence, owner: as for any KPI")
        if kpi_id is None:  # the KPIs a formula is computed from, once each
            for input_id in dict.fromkeys(self._input_ids()):
                sub = entry(input_id).snippet(input_id, source).splitlines()
                lines += [line for line in sub if "objective, description" not in line]
        return "\n".join(lines)

    def _input_ids(self) -> list[str]:
        """The catalog ids this entry is computed from, directly or not, inputs first."""
        found: list[str] = []
        for input_id in self.inputs:
            found += [*entry(input_id)._input_ids(), input_id]
        return found


def _entry(eid: str, raw: Mapping[str, Any]) -> Entry:
    unknown = sorted(set(raw) - set(_ENTRY_KEYS))
    if unknown:  # the shipped file is checked by tests; this guards edits to it
        raise ValueError(f"catalog entry '{eid}': unknown key {unknown[0]!r}")
    texts = {k: str(raw[k]).strip() for k in (*HOW_KEYS, "filter") if raw.get(k) is not None}
    return Entry(
        id=eid, name=raw["name"], definition=raw["definition"], unit=raw["unit"],
        direction=raw["direction"], types=tuple(raw.get("types", ())), stage=raw.get("stage"),
        variant=raw.get("variant"), aliases=tuple(raw.get("aliases", ())), window=raw.get("window"),
        python_columns=tuple(raw.get("columns", ())), proportion=bool(raw.get("proportion")),
        **texts,
    )  # fmt: skip


@functools.cache
def _catalog() -> dict[str, Entry]:
    from kpikit import _yaml

    text = importlib.resources.files("kpikit").joinpath("catalog.yaml").read_text("utf-8")
    raw = _yaml.loads(text, "kpikit/catalog.yaml")
    return {str(eid): _entry(str(eid), body) for eid, body in raw.items()}


@functools.cache
def _aliases() -> dict[str, str]:
    return {alias: e.id for e in _catalog().values() for alias in e.aliases}


def entries() -> tuple[Entry, ...]:
    """Every catalog entry, in catalog order.

    Example:
        >>> len(entries()) > 50
        True
    """
    return tuple(_catalog().values())


def entry(entry_id: str) -> Entry:
    """The entry with this id or alias; a did-you-mean error when there is none.

    Example:
        >>> entry("click_through_rate").id
        'ctr'
    """
    found = lookup(entry_id)
    if found is None:
        raise ParameterError(
            f"no KPI '{entry_id}' in the catalog",
            expected="a catalog id (list them with `kpikit catalog`)",
            found=entry_id,
            hint=suggest(entry_id),
        )
    return found


def lookup(entry_id: str) -> Entry | None:
    """The entry with this id or alias, or None."""
    catalog = _catalog()
    return catalog.get(entry_id) or catalog.get(_aliases().get(entry_id, ""))


def suggest(entry_id: str) -> str:
    """A did-you-mean hint over ids and aliases, or how to list them."""
    close = did_you_mean(entry_id, [*_catalog(), *_aliases()])
    if close is None:
        words = [e.id for e in search(entry_id)]
        if words:
            return "catalog entries about it: " + ", ".join(words[:6])
        return "list the catalog with `kpikit catalog`"
    return close


def search(
    word: str | None = None, *, stage: str | None = None, unit: str | None = None
) -> list[Entry]:
    """Entries whose id, alias, name or definition contains ``word``, optionally by stage and unit.

    Results are sorted by id.

    Example:
        >>> [e.id for e in search("bounce")]
        ['bounce_rate', 'bounce_rate_ga4']
    """
    for what, value, known in (("marketing stage", stage, STAGES), ("unit", unit, UNITS)):
        if value is not None and value not in known:
            raise ParameterError(
                f"unknown {what}",
                expected="one of " + ", ".join(known),
                found=value,
                hint=did_you_mean(value, known),
            )
    needle = (word or "").lower().replace("-", "_")
    found = []
    for e in _catalog().values():
        haystack = " ".join((e.id, *e.aliases, e.name, e.definition)).lower().replace("-", "_")
        text_ok = not needle or needle in haystack or needle in haystack.replace("_", " ")
        if text_ok and stage in (None, e.stage) and unit in (None, e.unit):
            found.append(e)
    return sorted(found, key=lambda e: e.id)


def markdown() -> str:
    """The catalog as a Markdown page (``docs/kpi-catalog.md`` is this text).

    Example:
        >>> markdown().splitlines()[0]
        '# The KPI catalog'
    """
    out = [
        "# The KPI catalog",
        "",
        "<!-- Generated by `kpikit catalog --markdown > docs/kpi-catalog.md`; do not edit. -->",
        "",
        "Standard KPI definitions built into kpikit. Use one in a spec with `use: <id>` (see",
        "[the spec's Catalog section](kpi-spec.md#catalog)); list and search them with",
        "`kpikit catalog [WORD] [--stage S] [--unit U]`, and see one with `kpikit catalog <id>`.",
        "Measures and filters are written with canonical column names: map them to yours with",
        "`columns: {canonical: yours}`. A formula entry is computed from other KPIs of the spec,",
        "by default with the same ids (map them with `inputs: {catalog id: your KPI id}`).",
        "",
        "| id | name | how | unit | direction | stage |",
        "|---|---|---|---|---|---|",
    ]
    for e in entries():
        how = e.how.replace("|", "\\|")
        out.append(
            f"| [`{e.id}`](#{e.id}) | {e.name} | `{how}` | {e.unit} | {e.direction} "
            f"| {e.stage or ''} |"
        )
    for e in entries():
        out += ["", f"## {e.id}", "", f"**{e.name}.** {e.definition}", ""]
        out.append(f"- how: `{e.how}`")
        if e.window is not None:
            out.append(f"- window: `{e.window}`")
        if e.columns:
            out.append("- canonical columns: " + ", ".join(f"`{c}`" for c in e.columns))
        if e.inputs:
            out.append("- computed from: " + ", ".join(f"[`{i}`](#{i})" for i in e.inputs))
        out.append(f"- unit: {e.unit}; direction: {e.direction}")
        out.append("- types: " + ", ".join(e.types))
        if e.stage:
            out.append(f"- marketing stage: {e.stage}")
        if e.aliases:
            out.append("- aliases: " + ", ".join(f"`{a}`" for a in e.aliases))
        if e.variant:
            out.append(f"- variant: {e.variant}")
        out += ["", "```yaml", e.snippet(), "```"]
    return "\n".join(out) + "\n"
