"""Read a template's parameters and check the values given for them, before any kernel starts.

papermill does not check parameters: an unknown name is only a logged warning and ``-p`` guesses
types. The report runner calls :func:`check_parameters` first, so a typo or a value of the wrong
type fails in a second with a clear message instead of after a kernel has run half the notebook.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpikit.errors import ParameterError, did_you_mean

__all__ = ["TemplateParameter", "check_parameters", "read_parameters"]

#: The annotations the runner checks; any other (or none) accepts what papermill can write.
CHECKED_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float, int),
    "bool": (bool,),
}


@dataclass(frozen=True)
class TemplateParameter:
    """One assignment of a template's ``parameters`` cell, as papermill inspects it.

    ``type`` is the annotation (``str``, ``int``, ``float``, ``bool``), or the type of the
    default literal when there is no annotation, or None when neither says. ``default`` is the
    default's value, or its source text when it is not a literal; ``help`` is the comment.
    """

    name: str
    type: str | None
    default: Any
    help: str = ""


_NOT_A_LITERAL = object()


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_A_LITERAL


def read_parameters(template: str | Path) -> dict[str, TemplateParameter]:
    """The parameters of a template notebook, by name, in the order of its parameters cell.

    Uses :func:`papermill.inspect_notebook`, which reads the first cell tagged ``parameters``
    without starting a kernel. A template without such a cell has no parameters.

    Example:
        >>> read_parameters("templates/monthly_report.ipynb")["period"].type  # doctest: +SKIP
        'str'
    """
    import papermill

    try:
        inspected = papermill.inspect_notebook(str(template))
    except ValueError as exc:  # nbformat's NotJSONError and ValidationError are ValueErrors
        raise ParameterError(
            f"cannot read the report template {Path(template).name}",
            expected="a Jupyter notebook (.ipynb)",
            found=_first_line(str(exc)),
        ) from None
    found = {}
    for name, info in inspected.items():
        text = str(info.get("default", ""))
        default = _literal(text)
        kind = str(info.get("inferred_type_name") or "None").strip()
        if kind in ("None", "NoneType", ""):
            literal = type(default).__name__
            kind = literal if literal in CHECKED_TYPES else "None"
        found[name] = TemplateParameter(
            name=name,
            type=None if kind == "None" else kind,
            default=text if default is _NOT_A_LITERAL else default,
            help=str(info.get("help") or "").strip(),
        )
    return found


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _type_name(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def check_parameters(
    template: str | Path,
    declared: Mapping[str, TemplateParameter],
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """Check ``given`` against the template's ``declared`` parameters; return the values to pass.

    Names must be declared; values must have the declared type (a str is never turned into an
    int: ``"3"`` for an ``int`` is an error). An int given for a ``float`` becomes a float, the
    one widening that loses nothing. A ``period`` must be a month label such as ``2026-11``.

    Raises:
        ParameterError: naming the parameter, the type or form expected, what was found, and a
            did-you-mean hint for a misspelt name.
    """
    from kpikit import periods

    name_of_template = Path(template).name
    values: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            if not declared:
                raise ParameterError(
                    f"template {name_of_template} takes no parameters",
                    found=f"parameter '{name}'",
                    hint="tag the template's first code cell 'parameters' to declare them",
                )
            raise ParameterError(
                f"unknown report parameter '{name}' for {name_of_template}",
                expected="one of " + ", ".join(declared),
                found=f"'{name}'",
                hint=did_you_mean(name, declared),
            )
        kind = declared[name].type
        allowed = CHECKED_TYPES.get(kind or "")
        numeric = kind in ("int", "float") and isinstance(value, str)
        if allowed is not None and (
            not isinstance(value, allowed) or (isinstance(value, bool) and kind != "bool")
        ):
            raise ParameterError(
                f"report parameter '{name}' has the wrong type",
                expected=f"{kind} (as declared in the parameters cell of {name_of_template})",
                found=_type_name(value),
                hint="give a number, not text" if numeric else None,
            )
        if kind == "float" and isinstance(value, int):
            value = float(value)
        values[name] = value
    if "period" in values and isinstance(values["period"], str):
        grain = periods.grain_of(values["period"])
        if grain != "month":
            raise ParameterError(
                "the report period must be a month",
                expected="a month label YYYY-MM such as 2026-11",
                found=f"{values['period']!r} (a {grain})",
            )
    return values
