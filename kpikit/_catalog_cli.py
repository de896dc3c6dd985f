"""The text ``kpikit catalog`` prints: a list of entries, one entry in full, or the Markdown page.

Example:
    >>> print(run("bounce"), end="")
    id               name               unit     direction  stage
    bounce_rate      Bounce rate        percent  down       engagement
    bounce_rate_ga4  Bounce rate (GA4)  percent  down       engagement
    <BLANKLINE>
    2 entries. Show one with `kpikit catalog <id>`.
"""

from __future__ import annotations

import textwrap

from kpikit import catalog
from kpikit.errors import ParameterError

__all__ = ["describe", "run"]


def run(
    word: str | None = None,
    *,
    stage: str | None = None,
    unit: str | None = None,
    markdown: bool = False,
) -> str:
    """The output of ``kpikit catalog [WORD] [--stage S] [--unit U] [--markdown]``."""
    if markdown:
        return catalog.markdown()
    exact = catalog.lookup(word) if word else None
    if exact is not None and stage is None and unit is None:
        return describe(exact)
    found = catalog.search(word, stage=stage, unit=unit)
    if not found:
        raise ParameterError(
            "no catalog KPI matches",
            expected="a word in an id, name or definition",
            found=f"'{word}'"
            + (f" (stage {stage})" if stage else "")
            + (f" (unit {unit})" if unit else ""),
            hint=catalog.suggest(word) if word else "list them all with `kpikit catalog`",
        )
    rows = [("id", "name", "unit", "direction", "stage")]
    rows += [(e.id, e.name, e.unit, e.direction, e.stage or "") for e in found]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    count = f"{len(found)} entr{'y' if len(found) == 1 else 'ies'}"
    return "\n".join([*lines, "", f"{count}. Show one with `kpikit catalog <id>`."]) + "\n"


def describe(e: catalog.Entry) -> str:
    """One entry in full, ending with a YAML snippet to paste under ``kpis:``."""
    fields = [
        ("how", e.how),
        ("window", str(e.window) if e.window is not None else ""),
        ("columns", ", ".join(e.columns)),
        ("inputs", ", ".join(e.inputs)),
        ("unit", f"{e.unit}, direction {e.direction}"),
        ("rate", "a proportion, successes out of trials" if e.proportion else ""),
        ("types", ", ".join(e.types)),
        ("stage", e.stage or ""),
        ("aliases", ", ".join(e.aliases)),
        ("variant", e.variant or ""),
    ]
    lines = [f"{e.id}: {e.name}", f"  {e.definition}"]
    for label, value in fields:
        if value:
            wrapped = textwrap.wrap(value, 86, subsequent_indent=" " * 12)
            lines.append(f"  {label + ':':<10}" + "\n".join(wrapped))
    lines += ["", "Paste under kpis: in your spec:", "", e.snippet()]
    return "\n".join(lines) + "\n"
