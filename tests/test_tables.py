from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import kpikit
from kpikit import tables
from kpikit.errors import ParameterError
from kpikit.fmt import format_value
from kpikit.spec import KPI_TYPES
from kpikit.tables import (
    kpi_definitions,
    kpi_table,
    objective_table,
    scorecard_table,
    styled_table,
    types_table,
)

ROOT = Path(__file__).resolve().parents[1]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(tables)
    assert result.attempted > 0
    assert result.failed == 0


def test_import_tables_is_light() -> None:
    code = (
        "import sys, kpikit.tables\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'matplotlib'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------- scorecards


def _card() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": ["revenue", "nps", "bounce_rate", "aov"],
            "name": ["Revenue", "NPS", "Bounce rate", "Average order value"],
            "objective": ["grow", None, "engage", "grow"],
            "objective_title": ["Grow sales", None, "Engage", "Grow sales"],
            "unit": ["currency", "score", "percent", "currency"],
            "direction": ["up", "up", "down", "up"],
            "value": [1234567.0, 41.0, 0.455, float("nan")],
            "previous": [1200000.0, float("nan"), 0.46, 160.0],
            "change": [34567.0, float("nan"), -0.005, float("nan")],
            "change_pct": [0.0288, float("nan"), -0.0109, float("nan")],
            "better": pd.array([True, pd.NA, True, pd.NA], dtype="boolean"),
            "target": [1.5e6, float("nan"), 0.36, 180.0],
            "target_by": ["2026-12-31", None, "2026-12-31", None],
        }
    )


def test_scorecard_table_groups_by_objective_in_spec_order() -> None:
    card = _card()
    before = card.copy()
    table = scorecard_table(card)
    pd.testing.assert_frame_equal(card, before)  # the input is not changed
    assert list(table.columns) == ["Objective", "KPI", "Value", "Previous", "Change", "Target"]
    assert table.to_dict("records") == [
        {
            "Objective": "Grow sales",
            "KPI": "Revenue",
            "Value": "1,234,567",
            "Previous": "1,200,000",
            "Change": "+2.9%",
            "Target": "1,500,000 by 2026-12-31",
        },
        {
            "Objective": "",
            "KPI": "Average order value",
            "Value": "–",
            "Previous": "160.00",
            "Change": "–",
            "Target": "180.00",
        },
        {
            "Objective": "Engage",
            "KPI": "Bounce rate",
            "Value": "45.5%",
            "Previous": "46.0%",
            "Change": "−0.5 pts",  # 46.0% to 45.5%: a percent KPI moves in points
            "Target": "36.0% by 2026-12-31",
        },
        {
            "Objective": "(no objective)",
            "KPI": "NPS",
            "Value": "41.0",
            "Previous": "–",
            "Change": "–",
            "Target": "–",
        },
    ]
    assert all(str(dtype) == "str" for dtype in table.dtypes)


def test_scorecard_table_of_an_empty_scorecard_has_the_columns() -> None:
    table = scorecard_table(_card().iloc[0:0])
    assert list(table.columns) == ["Objective", "KPI", "Value", "Previous", "Change", "Target"]
    assert len(table) == 0


def test_scorecard_table_rejects_other_frames() -> None:
    with pytest.raises(ParameterError, match=r"not a scorecard frame.*no column 'unit'"):
        scorecard_table(
            pd.DataFrame({"name": ["x"], "value": [1.0], "previous": [1.0], "change_pct": [0.0]})
        )


# ------------------------------------------------------------------------ tables of the spec


@pytest.fixture(scope="module")
def spec() -> kpikit.Spec:
    return kpikit.load_spec(ROOT / "data" / "kpis.yml")


def test_objective_table_lists_each_objective_with_its_kpis(spec: kpikit.Spec) -> None:
    table = objective_table(spec)
    assert list(table.columns) == ["Objective", "Owner", "Description", "KPIs"]
    assert list(table["Objective"]) == [o.title for o in spec.objectives.values()]
    first = next(iter(spec.objectives.values()))
    assert table.loc[0, "KPIs"] == ", ".join(k.name for k in spec.kpis_for(first.id))


def test_kpi_table_shows_definition_direction_and_target(spec: kpikit.Spec) -> None:
    table = kpi_table(spec)
    assert list(table["Id"]) == list(spec.kpis)
    row = table.set_index("Id").loc["roas"]
    roas = spec.kpi("roas")
    assert roas.target is not None and roas.target.by is not None
    assert row["Definition"] == "sum(attributed_sales) / sum(spend)"
    assert row["Direction"] == "up (higher is better)"
    assert row["Target"] == f"{format_value(roas.target.value, 'ratio')} by {roas.target.by}"
    assert row["Types"] == ", ".join(roas.types)
    cpc = table.set_index("Id").loc["cost_per_click"]
    assert cpc["Direction"] == "down (lower is better)"


def test_kpi_table_for_one_objective(spec: kpikit.Spec) -> None:
    table = kpi_table(spec, objective="make-advertising-pay")
    assert list(table["Id"]) == [k.id for k in spec.kpis_for("make-advertising-pay")]
    with pytest.raises(ParameterError, match=r"no objective 'make-ads-pay'.*did you mean"):
        kpi_table(spec, objective="make-ads-pay")


def test_types_table_has_all_twelve_descriptors(spec: kpikit.Spec) -> None:
    table = types_table(spec)
    assert list(table["Type"]) == list(KPI_TYPES)
    assert len(table) == 12
    for kind, names in zip(table["Type"], table["KPIs"], strict=True):
        carriers = [k.name for k in spec.kpis.values() if kind in k.types]
        assert names == (", ".join(carriers) or "–")


def test_kpi_definitions_lists_every_kpi_with_its_formula_and_owner(spec: kpikit.Spec) -> None:
    table = kpi_definitions(spec)
    assert list(table.columns) == ["Objective", "KPI", "Definition", "Description", "Owner"]
    assert len(table) == len(spec.kpis)
    roas = table[table["KPI"] == "Return on ad spend"].iloc[0]
    assert roas["Definition"] == "sum(attributed_sales) / sum(spend)"
    assert roas["Owner"] == "Performance marketing lead"
    assert table["Objective"].iloc[0] == "Grow online sales"


def test_styled_table_hides_the_index_aligns_columns_and_is_deterministic() -> None:
    table = pd.DataFrame({"KPI": ["Revenue", "Orders"], "Value": ["1,234", "56"]})
    html = styled_table(table).to_html()
    assert html == styled_table(table).to_html()  # no random ids: reports diff cleanly
    assert re.search(r"th\.col0 \{\s*text-align: left;", html)
    assert re.search(r"th\.col1 \{\s*text-align: right;", html)
    assert "row_heading" not in html and ">0<" not in html
    assert table.equals(pd.DataFrame({"KPI": ["Revenue", "Orders"], "Value": ["1,234", "56"]}))
