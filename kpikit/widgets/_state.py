"""The KPI explorer's logic: a frozen state, its choices, and pure rendering.

Nothing here imports ipywidgets, so it is tested in plain pytest: :func:`options` lists what can
be picked, :func:`apply` turns a state and a change into a new valid state, and :func:`render`
turns a state into a table of display strings and a matplotlib figure. ``explorer.py`` only
wires dropdowns to these functions.

Example:
    >>> spec = kpikit.load_spec("data/kpis.yml")  # doctest: +SKIP
    >>> choices = options(spec)  # doctest: +SKIP
    >>> state = apply(initial(choices), choices, kpi="roas", dimension="channel")  # doctest: +SKIP
    >>> table, figure = render(state, spec)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpikit import periods
from kpikit.errors import KpikitError, ParameterError, did_you_mean
from kpikit.fmt import format_segment, format_value

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from kpikit.spec import Spec

__all__ = [
    "MAX_SEGMENTS",
    "TABLE_PERIODS",
    "ExplorerState",
    "Options",
    "apply",
    "initial",
    "options",
    "render",
]

#: Text or true/false columns with more distinct values than this (ids, free text, dates) are
#: not offered as dimensions: one line per value would be unreadable.
MAX_SEGMENTS = 25
#: The explorer's table shows this many most recent periods (the figure shows all of them).
TABLE_PERIODS = 12
_GRAIN_OF_CADENCE = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}


@dataclass(frozen=True)
class ExplorerState:
    """What the explorer shows: a KPI id, a grain and an optional dimension (a ``by`` column)."""

    kpi: str
    grain: str = "month"
    dimension: str | None = None


@dataclass(frozen=True)
class Options:
    """What can be picked: KPIs as (name, id) in spec order, grains, and dimensions per KPI."""

    kpis: tuple[tuple[str, str], ...]
    grains: tuple[str, ...]
    dimensions: Mapping[str, tuple[str, ...]]
    default_grains: Mapping[str, str]


def _source_dimensions(frame: Any, time: str) -> tuple[str, ...]:
    """Text and true/false columns of a frame, other than ``time``, with few distinct values."""
    import narwhals as nw

    table = nw.from_native(frame)
    schema = table.collect_schema()
    textual = (nw.String, nw.Boolean, nw.Categorical, nw.Enum, nw.Object)
    names = [n for n, dtype in schema.items() if n != time and isinstance(dtype, textual)]
    if not names:
        return ()
    counts = table.select(nw.col(n).n_unique() for n in names)
    if isinstance(counts, nw.LazyFrame):
        counts = counts.collect()
    return tuple(n for n, count in zip(names, counts.row(0), strict=True) if count <= MAX_SEGMENTS)


def options(spec: Spec, data: Mapping[str, Any] | None = None) -> Options:
    """The explorer's choices for a spec.

    A KPI's dimensions are the columns of its source that hold text or true/false values
    (other than the time column), with at most :data:`MAX_SEGMENTS` distinct values.

    Args:
        spec: the loaded spec.
        data: optional ``{source_id: frame}`` used instead of the source files (as in compute).
    """
    from kpikit._data import read_source

    frames = dict(data or {})
    by_source: dict[str, tuple[str, ...]] = {}
    for sid in dict.fromkeys(s for k in spec.kpis.values() for s in spec.sources_of(k.id)):
        source = spec.sources[sid]
        frame = frames[sid] if sid in frames else read_source(source)
        by_source[sid] = _source_dimensions(frame, source.time)
    return Options(
        kpis=tuple((k.name, k.id) for k in spec.kpis.values()),
        grains=tuple(periods.GRAINS),
        dimensions={k.id: _shared(by_source, spec.sources_of(k.id)) for k in spec.kpis.values()},
        default_grains={
            k.id: _GRAIN_OF_CADENCE.get(k.cadence or "", "month") for k in spec.kpis.values()
        },
    )


def initial(choices: Options, kpi: str | None = None) -> ExplorerState:
    """The first state: the first KPI (or ``kpi``), at its cadence's grain, no dimension."""
    if not choices.kpis:
        raise ParameterError("the spec has no KPIs to explore", expected="at least one KPI")
    kpi_id = kpi if kpi is not None else choices.kpis[0][1]
    _check_kpi(choices, kpi_id)
    return ExplorerState(kpi_id, choices.default_grains.get(kpi_id, "month"), None)


def _check_kpi(choices: Options, kpi_id: str) -> None:
    ids = [i for _, i in choices.kpis]
    if kpi_id not in ids:
        raise KpikitError(
            f"no KPI {kpi_id!r} to explore",
            expected="one of " + ", ".join(ids),
            found=repr(kpi_id),
            hint=did_you_mean(str(kpi_id), ids),
        )


def apply(state: ExplorerState, choices: Options, **changes: Any) -> ExplorerState:
    """A new state with ``changes`` applied, kept valid.

    Picking a KPI whose source lacks the current dimension resets the dimension to None (all
    segments together). Naming a dimension the KPI does not have is an error.

    Raises:
        TypeError: a change names a field the state does not have.
        KpikitError: unknown KPI. ParameterError: unknown grain or dimension.

    Example:
        >>> choices = Options(kpis=(("Revenue", "revenue"), ("NPS", "nps")),
        ...                   grains=("month", "quarter"), default_grains={},
        ...                   dimensions={"revenue": ("channel",), "nps": ()})
        >>> state = apply(ExplorerState("revenue"), choices, dimension="channel")
        >>> apply(state, choices, kpi="nps")
        ExplorerState(kpi='nps', grain='month', dimension=None)
    """
    fields = {f.name for f in dataclasses.fields(ExplorerState)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise TypeError(
            f"ExplorerState has no field {unknown[0]!r}; fields: {', '.join(sorted(fields))}"
        )
    kpi_id = changes.get("kpi", state.kpi)
    _check_kpi(choices, kpi_id)
    grain = periods.check_grain(changes.get("grain", state.grain))
    available = choices.dimensions.get(kpi_id, ())
    dimension = changes.get("dimension", state.dimension) or None
    if dimension is not None and dimension not in available:
        if "dimension" in changes:
            raise ParameterError(
                f"KPI {kpi_id!r} cannot be split by {dimension!r}",
                expected="one of " + (", ".join(available) or "no dimension: its source has none"),
                found=repr(dimension),
                hint=did_you_mean(str(dimension), available),
            )
        dimension = None
    return ExplorerState(kpi_id, grain, dimension)


def _table(frame: pd.DataFrame, state: ExplorerState, unit: str, name: str) -> pd.DataFrame:
    """The last :data:`TABLE_PERIODS` periods, newest first, one column per segment."""
    import pandas as pd

    rows = frame.loc[frame["kpi"] == state.kpi]
    if state.dimension is None:
        wide = pd.DataFrame({name: rows["value"].to_numpy()}, index=rows["period"].to_numpy())
    else:
        keyed = rows.assign(_segment=rows[state.dimension].map(format_segment))
        wide = keyed.pivot(index="period", columns="_segment", values="value")
        wide.columns = [str(c) for c in wide.columns]
    wide = wide.sort_index(ascending=False).head(TABLE_PERIODS)
    shown = pd.DataFrame({"Period": wide.index.astype(str)}, dtype="str")
    for column in wide.columns:
        shown[column] = [format_value(v, unit) for v in wide[column].to_numpy()]
    return shown.astype("str")


def _shared(by_source: Mapping[str, tuple[str, ...]], sources: tuple[str, ...]) -> tuple[str, ...]:
    """The dimensions every one of ``sources`` has (a formula KPI reads several)."""
    first, *rest = sources
    return tuple(d for d in by_source[first] if all(d in by_source[s] for s in rest))


def render(
    state: ExplorerState, spec: Spec, data: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, Figure]:
    """Compute the state's KPI and draw it: a table of display strings and a trend figure.

    Only complete periods are shown (from the first period the KPI's source covers in full, up
    to :func:`kpikit.last_complete_period`), so a week or a year with a few days of data does
    not look like a collapse. The figure is a standalone
    :class:`matplotlib.figure.Figure` (not registered with pyplot, so it never pops up on its
    own in a notebook, and is freed when dropped).

    Returns:
        ``(table, figure)``: the table has a ``Period`` column (newest first, the last
        :data:`TABLE_PERIODS` periods) and one column per segment, or one column named after the
        KPI when there is no dimension.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from kpikit.engine import compute, last_complete_period
    from kpikit.plot import plot_trend, style

    kpi = spec.kpi(state.kpi)
    by = [state.dimension] if state.dimension else []
    end = last_complete_period(spec, state.grain, data=data)
    frame = compute(spec, grain=state.grain, by=by, kpis=[kpi.id], end=end, data=data)
    whole = frame.loc[frame["complete"], "period"]
    if len(whole):  # from the first whole period; with less than one, show what there is
        frame = frame[frame["period"] >= whole.min()].reset_index(drop=True)
    with mpl.rc_context(style()):
        figure = Figure(figsize=(8.5, 3.6), layout="constrained")
        plot_trend(frame, kpi, ax=figure.add_subplot(), segment_column=state.dimension)
    return _table(frame, state, kpi.unit, kpi.name), figure
