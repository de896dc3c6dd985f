"""The KPI explorer app: three dropdowns wired to the pure functions in ``_state``.

Every change of a dropdown makes a new :class:`ExplorerState` with :func:`apply`, draws it with
:func:`render`, and puts the figure (as PNG) and the table (as HTML) into an ``Output`` widget by
setting its ``outputs`` directly. So the app works the same in JupyterLab, Voila and a plain
Python process (tests), where no kernel captures ``display()`` calls.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from kpikit.errors import KpikitError
from kpikit.fmt import format_target
from kpikit.widgets._state import ExplorerState, Options, apply, initial, options, render

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from kpikit.spec import Kpi, Spec

__all__ = ["Explorer", "explorer"]

_NONE = ""  # the dimension dropdown's value for "no dimension" (None means "nothing selected")


def _figure_output(figure: Figure) -> dict[str, Any]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {
        "output_type": "display_data",
        "data": {"image/png": png, "text/plain": "<KPI trend figure>"},
        "metadata": {},
    }


def _table_output(table: pd.DataFrame) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {
            "text/html": table.to_html(index=False, border=0, classes="kpikit-table"),
            "text/plain": table.to_string(index=False),
        },
        "metadata": {},
    }


def _about(kpi: Kpi) -> str:
    """One HTML line about a KPI: what it measures, its formula, direction and target."""
    parts = [
        f"<b>{html.escape(kpi.name)}</b>: {html.escape(kpi.description or '')}",
        f"formula <code>{html.escape(kpi.definition)}</code>",
        {"up": "higher is better", "down": "lower is better"}.get(
            kpi.direction, "better inside the target range"
        ),
    ]
    if kpi.target is not None:
        target = format_target(kpi.target, kpi.unit)
        parts.append(f"target {html.escape(target)}")
    return " · ".join(parts)


class Explorer(widgets.VBox):  # type: ignore[misc]
    """The explorer app (a ``VBox``); build it with :func:`explorer`.

    Attributes:
        state: the current :class:`ExplorerState`.
        table: the current table of display strings.
        figure: the current matplotlib figure.
        kpi_dropdown, grain_dropdown, dimension_dropdown: the controls.
        about: an HTML line describing the current KPI.
        output: the ``Output`` widget holding the figure and the table.
    """

    def __init__(
        self, spec: Spec, frames: Mapping[str, Any], choices: Options, state: ExplorerState
    ) -> None:
        self.spec = spec
        self.frames = dict(frames)
        self.choices = choices
        self.state = state
        self.table: pd.DataFrame | None = None
        self.figure: Figure | None = None
        self._syncing = False
        self.kpi_dropdown = widgets.Dropdown(
            options=list(choices.kpis), value=state.kpi, description="KPI"
        )
        self.grain_dropdown = widgets.Dropdown(
            options=list(choices.grains), value=state.grain, description="Grain"
        )
        self.dimension_dropdown = widgets.Dropdown(
            options=self._dimension_options(state.kpi), value=_NONE, description="Split by"
        )
        self.about = widgets.HTML()
        self.output = widgets.Output()
        for name, dropdown in (
            ("kpi", self.kpi_dropdown),
            ("grain", self.grain_dropdown),
            ("dimension", self.dimension_dropdown),
        ):
            dropdown.observe(self._on_change(name), names="value")
        controls = widgets.HBox([self.kpi_dropdown, self.grain_dropdown, self.dimension_dropdown])
        super().__init__([controls, self.about, self.output])
        self.show(state)

    def _dimension_options(self, kpi_id: str) -> list[tuple[str, str]]:
        return [("(none)", _NONE)] + [(d, d) for d in self.choices.dimensions.get(kpi_id, ())]

    def _on_change(self, field: str) -> Any:
        def handler(change: Mapping[str, Any]) -> None:
            if self._syncing:
                return
            value = change["new"]
            self.show(apply(self.state, self.choices, **{field: value or None}))

        return handler

    def show(self, state: ExplorerState) -> None:
        """Set the dropdowns to ``state``, render it, and replace the output."""
        self._syncing = True
        try:
            self.dimension_dropdown.options = self._dimension_options(state.kpi)
            self.kpi_dropdown.value = state.kpi
            self.grain_dropdown.value = state.grain
            self.dimension_dropdown.value = state.dimension or _NONE
        finally:
            self._syncing = False
        self.state = state
        self.about.value = _about(self.spec.kpi(state.kpi))
        try:
            self.table, self.figure = render(state, self.spec, self.frames)
        except KpikitError as exc:
            self.table, self.figure = None, None
            self.output.outputs = ({"output_type": "stream", "name": "stderr", "text": f"{exc}\n"},)
            return
        self.output.outputs = (_figure_output(self.figure), _table_output(self.table))


def explorer(
    spec: Spec, *, data: Mapping[str, Any] | None = None, kpi: str | None = None
) -> Explorer:
    """An app to explore one KPI at a time: pick the KPI, the grain and a dimension to split by.

    The source files are read once, when the app is built; each change recomputes only the
    chosen KPI.

    Args:
        spec: the loaded spec.
        data: optional ``{source_id: frame}`` used instead of the source files.
        kpi: the KPI to show first (default: the spec's first KPI).

    Example:
        >>> from kpikit.widgets import explorer
        >>> explorer(kpikit.load_spec("../data/kpis.yml"))  # doctest: +SKIP
    """
    from kpikit._data import read_source

    given = dict(data or {})
    used = dict.fromkeys(s for k in spec.kpis.values() for s in spec.sources_of(k.id))
    frames = {sid: given[sid] if sid in given else read_source(spec.sources[sid]) for sid in used}
    choices = options(spec, frames)
    return Explorer(spec, frames, choices, initial(choices, kpi))
