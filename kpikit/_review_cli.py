"""``kpikit review``: the scorecard of one period, as a terminal table, CSV, JSON or HTML.

Kept out of :mod:`kpikit.cli` so the command line's module stays small; the CLI calls
:func:`run` with the parsed arguments.
"""

from __future__ import annotations

import html
import os
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "render", "run"]

FORMATS = ("table", "csv", "json", "html")
COLOR_CHOICES = ("auto", "always", "never")

#: ANSI colours per status for a terminal: green, cyan, yellow, red, dim, dim.
_ANSI = {
    "achieved": "\033[32m",
    "on_track": "\033[36m",
    "at_risk": "\033[33m",
    "off_track": "\033[31m",
    "no_target": "\033[2m",
    "insufficient_data": "\033[2m",
}
_RESET = "\033[0m"
_NUMBERS = ("Value", "Previous", "Change", "Target", "Progress", "Chance")


def run(
    spec_path: str,
    *,
    period: str,
    kpis: list[str] | None,
    backend: str | None,
    form: str,
    save: bool,
    database: str | None,
    color: str,
    stream: IO[str],
) -> tuple[str, int, str]:
    """Review the spec for ``period`` and render it; returns (text, rows, period)."""
    from kpikit._load import load_spec
    from kpikit.review import review

    spec = load_spec(spec_path)
    card = review(spec, period=period, kpis=kpis, backend=backend, save=save, checkins=database)
    resolved = str(card["period"].iloc[0]) if len(card) else period
    title = f"KPI review: {spec.path.name}, {resolved}"
    return render(card, form, title=title, color=_use_color(color, stream)), len(card), resolved


def render(card: pd.DataFrame, form: str, *, title: str, color: bool = False) -> str:
    """The review as text in one of :data:`FORMATS`."""
    if form == "csv":
        return str(card.to_csv(index=False, na_rep="", lineterminator="\n"))
    if form == "json":
        from kpikit.tables import json_records

        return json_records(card)
    if form == "html":
        return _html(card, title)
    return _text(card, title, color)


def _use_color(choice: str, stream: IO[str]) -> bool:
    """Colours when asked, or on a terminal unless NO_COLOR is set (https://no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _text(card: pd.DataFrame, title: str, color: bool) -> str:
    """An aligned table, one block per objective, status cells coloured on a terminal."""
    from kpikit.tables import objective_groups, review_summary, review_table

    table = review_table(card)
    statuses = [str(r["status"]) for _, _, records in objective_groups(card) for r in records]
    columns = [str(c) for c in table.columns]
    rows = table.to_dict(orient="records")
    widths = [max([len(c), *(len(str(r[c])) for r in rows)]) for c in columns]

    def line(cells: list[str], status: str | None = None) -> str:
        parts = []
        for cell, width, column in zip(cells, widths, columns, strict=True):
            text = cell.rjust(width) if column in _NUMBERS else cell.ljust(width)
            if color and column == "Status" and status in _ANSI:
                text = f"{_ANSI[status]}{text}{_RESET}"
            parts.append(text)
        return "  ".join(parts).rstrip()

    out = [title, "", line(columns)]
    out += [
        line([str(r[c]) for c in columns], status) for r, status in zip(rows, statuses, strict=True)
    ]
    out += ["", review_summary(card)]
    return "\n".join(out) + "\n"


def _html(card: pd.DataFrame, title: str) -> str:
    """A standalone page (no script, no fetch): the styled review and the reason for each KPI."""
    from kpikit.tables import styled_review

    reasons = "".join(
        f"<li><b>{html.escape(str(r['name']))}</b>: {html.escape(str(r['reason']))}</li>"
        for r in card.to_dict(orient="records")
    )
    body = styled_review(card).to_html()
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse}th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}<h2>Why each status</h2><ul>{reasons}</ul>"
        "</body></html>\n"
    )
