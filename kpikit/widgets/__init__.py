"""Interactive apps for Jupyter, built on ipywidgets (``pip install 'kpikit[widgets]'``).

``import kpikit`` never imports this package; importing it imports ipywidgets. The apps' logic
lives in :mod:`kpikit.widgets._state` (pure functions, tested without a kernel or a browser);
:mod:`kpikit.widgets.explorer` only wires dropdowns to it.

Example:
    >>> from kpikit.widgets import explorer
    >>> explorer(kpikit.load_spec("data/kpis.yml"))  # doctest: +SKIP
"""

from __future__ import annotations

from kpikit.widgets._state import ExplorerState
from kpikit.widgets.explorer import Explorer, explorer

__all__ = ["Explorer", "ExplorerState", "explorer"]
