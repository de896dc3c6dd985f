"""KPI design lint: each design rule on a small hand-written spec, and the objective's `focus:`.

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


def test_a_spec_that_satisfies_every_rule_gets_no_warning(tmp_path: Path) -> None:
    assert lint(tmp_path, CLEAN) == []
    spec = load_spec(tmp_path / "kpis.yml")
    assert spec.objectives["win-customers"].focus == "acquisition"


def test_a_kpi_without_a_target_is_not_measurable(tmp_path: Path) -> None:
    text = edit("    target: {value: 100, by: 2026-12-31}\n", "")
    assert lint(tmp_path, text) == [
        "kpis.yml:10: orders: warning: target: has no target, so nobody can tell success from "
        "failure Hint: add the value to reach and by when: target: {value: 1200000, by: 2026-12-31}"
    ]


@pytest.mark.parametrize("target", ["100", "{value: 100}"])
def test_a_target_without_a_date_has_no_time_frame(tmp_path: Path, target: str) -> None:
    text = edit("target: {value: 100, by: 2026-12-31}", f"target: {target}")
    assert lint(tmp_path, text) == [
        "kpis.yml:10: orders: warning: target: the target has no time frame "
        "Hint: say by when to reach it: target: {value: ..., by: 2026-12-31}"
    ]


def test_a_kpi_without_cadence_or_owner_is_not_tracked(tmp_path: Path) -> None:
    text = edit("    cadence: weekly\n", "")
    text = edit("    owner: E-commerce lead\n", "", text)
    assert lint(tmp_path, text) == [
        "kpis.yml:10: orders: warning: owner: has no owner, so nobody is answerable for it "
        "Hint: add owner: the person or role who checks it and acts on it",
        "kpis.yml:21: page_views: warning: cadence: has no cadence, so nobody knows how often "
        "to check it Hint: add cadence: monthly (or daily, weekly, quarterly, yearly)",
    ]


def test_the_older_rules_still_warn(tmp_path: Path) -> None:
    text = edit("    description: Orders placed on the website.\n", "")
    text = edit(
        "    objective: win-customers\n    types: [lagging]\n", "    types: [lagging]\n", text
    )
    text = edit("    types: [leading]\n", "    types: [leading, lagging]\n", text)
    assert lint(tmp_path, text) == [
        "kpis.yml:10: orders: warning: objective: serves no objective "
        "Hint: tie every KPI to a business goal under 'objectives'",
        "kpis.yml:10: orders: warning: description: has no description "
        "Hint: say in one sentence what it measures, for readers who are not analysts",
    ]


def test_an_objective_without_a_leading_kpi_warns_on_the_objective(tmp_path: Path) -> None:
    text = edit("types: [leading]", "types: [lagging, output]")
    assert lint(tmp_path, text) == [
        "kpis.yml:5: win-customers: warning: types: no leading KPI serves this objective "
        "Hint: add a KPI that moves before the result, and give it types: [leading]"
    ]


def test_an_objective_without_a_lagging_kpi_warns_on_the_objective(tmp_path: Path) -> None:
    text = edit("types: [lagging]", "types: [quantitative]")
    assert lint(tmp_path, text) == [
        "kpis.yml:5: win-customers: warning: types: no lagging KPI serves this objective "
        "Hint: add a KPI that shows the result itself, and give it types: [lagging]"
    ]


def test_an_objective_no_kpi_serves_warns_once(tmp_path: Path) -> None:
    text = edit("kpis:\n", "  spare:\n    title: Spare\nkpis:\n")
    assert lint(tmp_path, text) == [
        "kpis.yml:9: -: warning: objectives.spare: no KPI serves this objective"
    ]


# Both KPIs use catalog entries of the stage reach: impressions and page_views.
REACH_ONLY = edit(
    "  orders:\n    name: Orders\n    description: Orders placed on the website.\n",
    "  ad_impressions:\n    name: Ad impressions\n    description: How often our ads were shown.\n",
    edit(
        "    source: web\n    measure: sum(orders)\n",
        "    use: impressions\n    source: web\n",
        edit("    measure: sum(page_views)\n", "    use: page_views\n"),
    ),
)


@pytest.mark.parametrize("focus", ["acquisition", "conversion"])
def test_an_acquisition_or_conversion_objective_watched_only_by_reach_metrics_warns(
    tmp_path: Path, focus: str
) -> None:
    text = edit("focus: acquisition", f"focus: {focus}", REACH_ONLY)
    assert lint(tmp_path, text) == [
        f"kpis.yml:5: win-customers: warning: focus: the focus is {focus} but every KPI here "
        "measures reach (ad_impressions, page_views); it may be watching the wrong things "
        "Hint: add a KPI of results, such as orders, conversions, conversion_rate or cpa"
    ]


@pytest.mark.parametrize(
    "text",
    [
        edit("focus: acquisition", "focus: awareness", REACH_ONLY),  # reach fits awareness
        edit("    focus: acquisition\n", "", REACH_ONLY),  # no focus: nothing to compare with
        CLEAN,  # orders (sum(orders), no catalog entry) is not a reach metric
    ],
    ids=["awareness", "no-focus", "not-all-reach"],
)
def test_reach_metrics_do_not_warn_when_they_fit_the_focus(tmp_path: Path, text: str) -> None:
    assert lint(tmp_path, text) == []


def kpis(count: int) -> str:
    """CLEAN with ``count`` more lagging KPIs copied from ``orders`` on the same objective."""
    block = CLEAN[CLEAN.index("  orders:\n") : CLEAN.index("  page_views:\n")]
    extra = "".join(block.replace("  orders:", f"  orders_{i}:") for i in range(count))
    return CLEAN + extra


def test_more_than_seven_kpis_on_one_objective_warns(tmp_path: Path) -> None:
    assert lint(tmp_path, kpis(5)) == []  # 7 KPIs
    assert lint(tmp_path, kpis(6)) == [
        "kpis.yml:5: win-customers: warning: kpis: 8 KPIs serve this objective, more than 7; "
        "too many to keep in view Hint: keep the few that matter most, or split the objective "
        "in two"
    ]


def test_objective_warnings_come_in_file_order_with_kpi_warnings(tmp_path: Path) -> None:
    text = edit("types: [leading]", "types: [lagging]", kpis(6))
    text = edit("    cadence: weekly\n", "", text)
    assert lint(tmp_path, text) == [
        "kpis.yml:5: win-customers: warning: types: no leading KPI serves this objective "
        "Hint: add a KPI that moves before the result, and give it types: [leading]",
        "kpis.yml:5: win-customers: warning: kpis: 8 KPIs serve this objective, more than 7; "
        "too many to keep in view Hint: keep the few that matter most, or split the objective "
        "in two",
        "kpis.yml:22: page_views: warning: cadence: has no cadence, so nobody knows how often "
        "to check it Hint: add cadence: monthly (or daily, weekly, quarterly, yearly)",
    ]


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
