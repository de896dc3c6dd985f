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
    "TARGET_SHAPES",
    "TARGET_VS",
    "UNITS",
    "Kpi",
    "Objective",
    "Review",
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
#: ``up``: higher is better; ``down``: lower is better; ``range``: good inside a target band.
DIRECTIONS = ("up", "down", "range")
#: How a target's pacing path runs from its ``from:`` baseline to its value (``shape:``).
TARGET_SHAPES = ("linear", "seasonal")
#: What a relative target's ``change:`` is measured against (``vs:``).
TARGET_VS = ("previous", "year_ago")
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
    """What a KPI aims for: one of four forms, told apart by :attr:`kind`.

    - ``level``: reach ``value`` (by the date ``by``, optionally pacing from the baseline
      period ``start``, written ``from:``, along a ``linear`` or ``seasonal`` path);
    - ``per_period``: a value for each named period, ``{"2026-10": 1.1e6, "2026-11": 1.3e6}``;
    - ``relative``: ``change`` (a fraction: 0.2 is 20% above) against the ``previous`` period
      or the same period a year ago (``vs``);
    - ``range``: stay between ``min`` and ``max`` (with ``direction: range``).

    ``by`` may end any form except ``per_period``: the target does not apply after it.

    Example:
        >>> Target(1_200_000.0, dt.date(2026, 12, 31)).kind
        'level'
        >>> Target(change=0.2, vs="year_ago").kind, Target(min=4.5, max=4.8).kind
        ('relative', 'range')
    """

    value: float | None = None
    by: dt.date | None = None
    start: str | None = None  # the baseline period (``from:`` in YAML)
    shape: str = "linear"  # one of TARGET_SHAPES
    per_period: Mapping[str, float] = field(default_factory=dict, hash=False)
    change: float | None = None
    vs: str | None = None  # one of TARGET_VS
    min: float | None = None
    max: float | None = None

    def __repr__(self) -> str:
        # the fields that are set (a level's value and by always), as the notebooks show them
        shown = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != _TARGET_DEFAULTS[f.name]
            or (f.name in ("value", "by") and self.kind == "level")
        ]
        return f"Target({', '.join(shown)})"

    @property
    def kind(self) -> str:
        """``level``, ``per_period``, ``relative`` or ``range``."""
        if self.per_period:
            return "per_period"
        if self.change is not None:
            return "relative"
        if self.min is not None or self.max is not None:
            return "range"
        return "level"


_TARGET_DEFAULTS: dict[str, Any] = {
    "value": None, "by": None, "start": None, "shape": "linear", "per_period": {}, "change": None,
    "vs": None, "min": None, "max": None,
}  # fmt: skip


@dataclass(frozen=True)
class Review(_Value):
    """How KPIs are judged at a review: the spec's ``review:`` block, or a KPI's.

    ``tolerance``: how far behind the pacing path (a fraction of the path's value, or of a range's
    width) still counts as ``at_risk`` rather than ``off_track``; ``min_denominator``: fewer
    observations than this make a rate ``insufficient_data``; ``alpha``: the significance level
    of the change tests; ``checkins``: the check-in database (resolved against the spec's folder;
    None for the default). ``given`` names the fields the YAML wrote: a KPI's ``review:`` block
    overrides only those (see :meth:`Spec.review_for`).

    Example:
        >>> Review().tolerance, Review().min_denominator, Review().alpha
        (0.05, 30, 0.05)
        >>> Review().merged(Review(tolerance=0.1, given=frozenset({"tolerance"}))).tolerance
        0.1
    """

    tolerance: float = 0.05
    min_denominator: int = 30
    alpha: float = 0.05
    checkins: Path | None = None
    given: frozenset[str] = frozenset()

    def merged(self, over: Review | None) -> Review:
        """These settings with the fields ``over`` wrote (its ``given``) taken from ``over``."""
        if over is None or not over.given:
            return self
        changes = {name: getattr(over, name) for name in over.given}
        return self._replace(**changes, given=self.given | over.given)


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
    review: Review | None = None  # the KPI's own review: block (merged by Spec.review_for)

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
    review: Review = Review()

    def review_for(self, kpi: Kpi | str) -> Review:
        """The review settings for a KPI: the spec's ``review:``, with the KPI's over them.

        Example:
            >>> spec = kpikit.load_spec("data/kpis.yml")  # doctest: +SKIP
            >>> spec.review_for("revenue").tolerance  # doctest: +SKIP
            0.05
        """
        kpi = self.kpi(kpi) if isinstance(kpi, str) else kpi
        return self.review.merged(kpi.review)

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
