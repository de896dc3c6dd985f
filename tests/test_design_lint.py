"""KPI design lint: the objective's `focus:`.

Every expected warning line is written out by hand, line number included, from the spec text
above it; line 1 is `version: 1`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpikit import lint_spec, load_spec
from kpikit.errors import SpecError

WEB = "date,page_views,impressions,orders\n2026-01-05,120,1000,3\n"

# A spec that satisfies every design rule: two KPIs, one leading and one lagging, on one
# objective whose focus is acquisition; each KPI has a description, a target with a date, a
# cadence and an owner.
CLEAN = """\
version: 1
sources:
  web: {path: web.csv, time: date}
objectives:
  win-customers:
    title: Win new customers
    owner: Head of marketing
    focus: acquisition
kpis:
  orders:
    name: Orders
    description: Orders placed on the website.
    objective: win-customers
    types: [lagging]
    source: web
    measure: sum(orders)
    unit: count
    direction: up
    target: {value: 100, by: 2026-12-31}
    cadence: monthly
    owner: E-commerce lead
  page_views:
    name: Page views
    description: Pages our visitors looked at.
    objective: win-customers
    types: [leading]
    source: web
    measure: sum(page_views)
    unit: count
    direction: up
    target: {value: 5000, by: 2026-12-31}
    cadence: weekly
    owner: Web analytics lead
"""


def lint(tmp_path: Path, text: str) -> list[str]:
    """The lint lines of ``text`` written as tmp_path/kpis.yml, with the folder cut off."""
    (tmp_path / "web.csv").write_text(WEB, encoding="utf-8")
    path = tmp_path / "kpis.yml"
    path.write_text(text, encoding="utf-8")
    return [str(p).replace(f"{tmp_path}/", "") for p in lint_spec(path)]


def edit(old: str, new: str, text: str = CLEAN) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- focus: --------------------------------------------------------------------------------------

FOCUS_LIST = (
    "awareness, consideration, acquisition, conversion, retention, satisfaction, "
    "profitability, growth, people, operations"
)


@pytest.mark.parametrize(
    ("focus", "problem"),
    [
        ("aquisition", f"focus: expected one of {FOCUS_LIST}, found 'aquisition' "
                       "Hint: did you mean 'acquisition'?"),
        ("sales", f"focus: expected one of {FOCUS_LIST}, found 'sales'"),
        ("3", "focus: expected text, found int 3"),
        ("[growth]", "focus: expected text, found a list"),
    ],
)  # fmt: skip
def test_a_wrong_focus_is_an_error_on_its_line(tmp_path: Path, focus: str, problem: str) -> None:
    text = edit("focus: acquisition", f"focus: {focus}")
    assert lint(tmp_path, text) == [f"kpis.yml:8: win-customers: error: {problem}"]
    with pytest.raises(SpecError, match="kpis.yml:8: win-customers: error: focus: expected"):
        load_spec(tmp_path / "kpis.yml")


def test_a_misspelt_focus_key_is_caught(tmp_path: Path) -> None:
    text = edit("focus: acquisition", "focsu: acquisition")
    assert lint(tmp_path, text) == [
        "kpis.yml:8: -: error: focsu: unknown key in objective 'win-customers' "
        "Hint: did you mean 'focus'?"
    ]


def test_focus_is_optional(tmp_path: Path) -> None:
    assert lint(tmp_path, edit("    focus: acquisition\n", "")) == []
    assert load_spec(tmp_path / "kpis.yml").objectives["win-customers"].focus is None
