"""Errors raised by kpikit.

Every mistake a user can make (in a spec, the data, arguments or report parameters) raises a
subclass of :class:`KpikitError` whose message says what was expected, what was found, and how to
fix it. The CLI prints ``str(error)`` on one line and exits with status 2.

Example:
    >>> from kpikit.errors import DataError
    >>> str(DataError("column not found", expected="a column 'revenue'", found="revnue",
    ...               hint="did you mean 'revenue'?"))
    "column not found: expected a column 'revenue', found revnue. Hint: did you mean 'revenue'?"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DataError",
    "FunctionError",
    "KpikitError",
    "KpikitWarning",
    "ParameterError",
    "Problem",
    "ReportError",
    "SpecError",
    "did_you_mean",
]

Severity = Literal["error", "warning"]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a ``did you mean 'x'?`` hint for the closest of ``choices``, or None.

    Written by hand on top of :func:`difflib.get_close_matches` (stdlib) because the hint's
    wording is part of every message.

    Example:
        >>> did_you_mean("revnue", ["revenue", "cost"])
        "did you mean 'revenue'?"
    """
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _compose(message: str, expected: str | None, found: str | None, hint: str | None) -> str:
    parts = [message]
    details = []
    if expected is not None:
        details.append(f"expected {expected}")
    if found is not None:
        details.append(f"found {found}")
    if details:
        parts = [f"{message}: {', '.join(details)}"]
    text = parts[0]
    if hint:
        text = f"{text}. Hint: {hint}"
    return text


class KpikitError(Exception):
    """Root of every error kpikit raises for a user's mistake."""

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(_compose(message, expected, found, hint))


class KpikitWarning(UserWarning):
    """Something the user should know that did not stop the work, e.g. KPIs left out of a result.

    The CLI prints each one as a single line ``kpikit: warning: ...`` on stderr.
    """


class DataError(KpikitError):
    """The data does not match the spec: a missing file or column, or a value of the wrong type."""


class FunctionError(KpikitError):
    """A Python KPI's function is unknown, or returned something kpikit cannot use."""


class ParameterError(KpikitError):
    """An argument or report parameter is wrong: unknown name, wrong type or bad value."""


class ReportError(KpikitError):
    """A report could not be produced (a cell failed or the kernel died); the evidence is kept."""


@dataclass(frozen=True)
class Problem:
    """One finding about a spec: where it is, how bad it is, and what to do.

    ``str(problem)`` gives the lint line ``FILE:LINE: KPI: severity: message``.
    """

    file: str
    line: int | None
    kpi: str | None
    field: str | None
    message: str
    severity: Severity = "error"
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line if self.line is not None else 0}"
        who = self.kpi or "-"
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {who}: {self.severity}: {what}"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class SpecError(KpikitError):
    """A KPI spec is invalid. ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        suffix = (
            f" (and {more} more problem{'s' if more > 1 else ''}; run `kpikit lint {first.file}`)"
            if more
            else ""
        )
        super().__init__(f"invalid KPI spec: {first}{suffix}")

    def report(self) -> str:
        """All problems, one lint line each."""
        return "\n".join(str(p) for p in self.problems)
