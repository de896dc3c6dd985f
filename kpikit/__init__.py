"""kpikit: create, compute and review KPIs in Jupyter.

The top level is deliberately light: names are imported on first use, so ``import kpikit``
pulls in neither pandas-heavy code nor matplotlib, ipywidgets or papermill.

Example:
    >>> import kpikit
    >>> spec = kpikit.load_spec("data/kpis.yml")  # doctest: +SKIP
    >>> kpikit.compute(spec, grain="quarter", by=["channel"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from kpikit.errors import KpikitError

if TYPE_CHECKING:
    from kpikit._load import lint_spec, load_spec
    from kpikit.engine import compute, last_complete_period
    from kpikit.functions import kpi_function
    from kpikit.review import review
    from kpikit.scorecard import scorecard
    from kpikit.spec import Kpi, Spec

__version__ = "0.1.0"

__all__ = [
    "Kpi",
    "KpikitError",
    "Spec",
    "__version__",
    "compute",
    "kpi_function",
    "last_complete_period",
    "lint_spec",
    "load_spec",
    "review",
    "scorecard",
]

_LAZY = {
    "Kpi": "kpikit.spec",
    "Spec": "kpikit.spec",
    "compute": "kpikit.engine",
    "kpi_function": "kpikit.functions",
    "last_complete_period": "kpikit.engine",
    "lint_spec": "kpikit._load",
    "load_spec": "kpikit._load",
    "review": "kpikit.review",
    "scorecard": "kpikit.scorecard",
}


def __getattr__(name: str) -> Any:
    if name == "functions":  # the registry module itself: kpikit.functions.function_names()
        return importlib.import_module("kpikit.functions")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kpikit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package, whose functions named like their modules stay functions.

    ``kpikit.review`` and ``kpikit.scorecard`` are functions defined in modules of the same name.
    Importing such a module (``from kpikit.review import REVIEW_COLUMNS``) makes Python set the
    package's attribute to the module, and ``kpikit.review(...)`` would then fail with "'module'
    object is not callable". Setting a module over one of those names keeps the function instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
