"""The KPI spec: sources, objectives and KPIs as immutable values.

A spec is declarative data, read from YAML by :func:`load_spec` and computed by the engine.
Version 1 is a user-facing contract: later versions add keys, never rename these.

Example:
    >>> import kpikit
    >>> spec = kpikit.load_spec("data/kpis.yml")  # doctest: +SKIP
    >>> spec.kpi("revenue").direction  # doctest: +SKIP
    'up'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpikit._expr import Measure, Node
from kpikit._formula import Formula, references
from kpikit.errors import KpikitError, did_you_mean

__all__ = [
    "CADENCES",
    "Calendar",
    "DIRECTIONS",
    "FOCUSES",
    "KPI_TYPES",
    "UNITS",
    "Kpi",
    "Objective",
    "Source",
    "Spec",
    "Target",
    "Window",
]

#: The twelve KPI descriptors. They overlap: a KPI usually carries several.
KPI_TYPES = (
    "quantitative",
    "qualitative",
    "leading",
    "lagging",
    "input",
    "output",
    "process",
    "practical",
    "directional",
    "actionable",
    "financial",
    "outcome",
)
UNITS = ("count", "currency", "percent", "ratio", "score", "duration")
DIRECTIONS = ("up", "down")
CADENCES = ("daily", "weekly", "monthly", "quarterly", "yearly")
WEEK_STARTS = ("monday", "sunday")
#: What an objective is about (its optional ``focus:``); the design checks read it.
FOCUSES = (
    "awareness",
    "consideration",
    "acquisition",
    "conversion",
    "retention",
    "satisfaction",
    "profitability",
    "growth",
    "people",
    "operations",
)


class _Value:
    """Mixin: ``_replace(**changes)`` that rejects unknown fields (frozen dataclasses)."""

    def _replace(self, **changes: Any) -> Any:
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = sorted(set(changes) - names)
        if unknown:
            fields = ", ".join(sorted(names))
            raise TypeError(f"{type(self).__name__} has no field {unknown[0]!r}; fields: {fields}")
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class Calendar(_Value):
    """How a spec's periods fall on the calendar: the spec's top-level ``calendar:`` key.

    ``fiscal_year_start`` (1-12) is the month a fiscal year starts in: from 2 on, quarters and
    years are fiscal and named by the calendar year they end in (``FY2027-Q1``, ``FY2027``).
    ``week_start`` is ``monday`` (ISO weeks, ``2026-W05``) or ``sunday`` (``2026-SW05``).

    Example:
        >>> Calendar(fiscal_year_start=4).is_fiscal
        True
    """

    fiscal_year_start: int = 1
    week_start: str = "monday"

    def __post_init__(self) -> None:
        if not (isinstance(self.fiscal_year_start, int) and 1 <= self.fiscal_year_start <= 12):
            raise KpikitError(
                "calendar fiscal_year_start must be a month number",
                expected="a whole number from 1 (January) to 12 (December)",
                found=repr(self.fiscal_year_start),
                hint="fiscal_year_start=4 starts the fiscal year in April",
            )
        if self.week_start not in WEEK_STARTS:
            raise KpikitError(
                "calendar week_start must be monday or sunday",
                expected="monday or sunday",
                found=repr(self.week_start),
                hint=did_you_mean(str(self.week_start), WEEK_STARTS),
            )

    @property
    def is_fiscal(self) -> bool:
        """True when quarters and years are fiscal (the year does not start in January)."""
        return self.fiscal_year_start != 1


@dataclass(frozen=True)
class Source(_Value):
    """A table the KPIs read and its time column.

    The path is a CSV file, a Parquet file, a folder of Parquet files (read recursively) or a
    glob such as ``events/*.parquet``.
    """

    id: str
    path: Path
    time: str
    columns: tuple[str, ...] = ()
    line: int = 0
    timezone: str | None = None  # IANA zone the periods are counted in (None: as the data says)

    @property
    def is_many(self) -> bool:
        """True when the path is a folder or a glob of Parquet files."""
        return self.path.is_dir() or any(char in str(self.path) for char in "*?[")

    @property
    def format(self) -> str:
        """``csv`` or ``parquet`` (a folder or a glob holds Parquet files)."""
        return "parquet" if self.is_many else self.path.suffix.lower().lstrip(".")

    @property
    def files(self) -> list[Path]:
        """The files behind the path, sorted: one file, or the Parquet files it names."""
        if self.path.is_dir():
            return sorted(self.path.rglob("*.parquet"))
        if self.is_many:
            return sorted(Path(p) for p in glob.glob(str(self.path), recursive=True))
        return [self.path] if self.path.exists() else []


@dataclass(frozen=True)
class Objective(_Value):
    """A business goal that KPIs serve (the "why" of a KPI, like the O of an OKR)."""

    id: str
    title: str
    owner: str | None = None
    description: str | None = None
    line: int = 0
    focus: str | None = None  # one of FOCUSES


@dataclass(frozen=True)
class Target(_Value):
    """A target value to reach by a date (a target with a time frame)."""

    value: float
    by: dt.date | None = None


#: The units a ``window: {to_date: ...}`` can run from the start of.
TO_DATE_UNITS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Window(_Value):
    """A KPI's time window, re-aggregated at each period from the periods it spans.

    ``periods=N``: the trailing N periods of the grain, ending with each period;
    ``to_date=unit``: from the start of the enclosing week, month, quarter or year;
    neither: ``all``, a running total from the first data.

    Example:
        >>> Window(periods=3).text, Window(to_date="year").text, Window().text
        ('periods: 3', 'to_date: year', 'all')
    """

    periods: int | None = None
    to_date: str | None = None

    @property
    def text(self) -> str:
        """The window as written in a spec."""
        if self.periods is not None:
            return f"periods: {self.periods}"
        return f"to_date: {self.to_date}" if self.to_date else "all"


@dataclass(frozen=True)
class Kpi(_Value):
    """One KPI: what to aggregate from which source, and how to judge it.

    A KPI is a plain ``measure``, a ratio of ``numerator`` over ``denominator`` (both
    aggregated within each period and segment before dividing), or a ``formula`` over other
    KPIs, evaluated once each input is aggregated for the period and segment, or a ``python``
    KPI computed by a registered function (:mod:`kpikit.functions`) from its source's rows, with
    ``columns`` mapping the function's canonical column names to the source's. A ``window``
    (:class:`Window`) makes each period's value span several periods (trailing, to date, all).
    """

    id: str
    name: str
    source: str | None  # None for a formula KPI
    unit: str
    direction: str
    measure: Measure | None = None
    numerator: Measure | None = None
    denominator: Measure | None = None
    filter: Node | None = None
    filter_text: str | None = None
    formula: Formula | None = None
    formula_text: str | None = None
    description: str | None = None
    objective: str | None = None
    types: tuple[str, ...] = ()
    target: Target | None = None
    cadence: str | None = None
    owner: str | None = None
    line: int = 0
    catalog: str | None = None  # the catalog entry it uses (`use:`), if any
    python: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict, hash=False)  # keeps Kpi hashable
    window: Window | None = None

    @property
    def is_ratio(self) -> bool:
        """True when the KPI is numerator / denominator."""
        return self.numerator is not None

    @property
    def is_formula(self) -> bool:
        """True when the KPI is computed from other KPIs."""
        return self.formula is not None

    @property
    def definition(self) -> str:
        """The formula in words, e.g. ``sum(attributed_sales) / sum(spend)``."""
        if self.formula_text is not None:
            return self.formula_text
        if self.python is not None:
            text = f"python: {self.python}"
            if self.columns:
                text += "(" + ", ".join(f"{k}={v}" for k, v in self.columns.items()) + ")"
            return text + (f" where {self.filter_text}" if self.filter_text else "")
        if self.numerator is not None and self.denominator is not None:
            text = f"{self.numerator.text} / {self.denominator.text}"
        else:
            text = self.measure.text if self.measure else ""
        if self.filter_text:
            text += f" where {self.filter_text}"
        return text


@dataclass(frozen=True)
class Spec(_Value):
    """A whole KPI spec file, validated."""

    path: Path
    version: int
    sources: Mapping[str, Source]
    objectives: Mapping[str, Objective]
    kpis: Mapping[str, Kpi]
    lines: Mapping[str, int] = field(default_factory=dict)
    calendar: Calendar = Calendar()

    def kpi(self, kpi_id: str) -> Kpi:
        """The KPI with this id; a clear error with a did-you-mean hint if there is none."""
        try:
            return self.kpis[kpi_id]
        except KeyError:
            raise KpikitError(
                f"no KPI '{kpi_id}' in {self.path.name}",
                expected="one of " + ", ".join(sorted(self.kpis)),
                found=kpi_id,
                hint=did_you_mean(kpi_id, self.kpis),
            ) from None

    def select(self, kpi_ids: tuple[str, ...] | list[str] | None) -> list[Kpi]:
        """The KPIs with these ids in spec order (all when ``kpi_ids`` is empty or None)."""
        if not kpi_ids:
            return list(self.kpis.values())
        wanted = [self.kpi(k).id for k in kpi_ids]
        return [k for k in self.kpis.values() if k.id in wanted]

    def sources_of(self, kpi_id: str) -> tuple[str, ...]:
        """The ids of the sources a KPI reads, directly or through the KPIs of its formula."""
        kpi = self.kpi(kpi_id)
        if kpi.source is not None:
            return (kpi.source,)
        assert kpi.formula is not None
        found = (s for ref in sorted(references(kpi.formula)) for s in self.sources_of(ref))
        return tuple(dict.fromkeys(found))

    def kpis_for(self, objective_id: str | None) -> list[Kpi]:
        """The KPIs that serve an objective (None: those that serve none)."""
        return [k for k in self.kpis.values() if k.objective == objective_id]
