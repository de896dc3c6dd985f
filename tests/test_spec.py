"""Loading and validating KPI specs: every problem reported at once, each one located."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from kpikit import KpikitError, lint_spec, load_spec
from kpikit._expr import Column, Compare, Literal, Measure
from kpikit.errors import SpecError

ORDERS = "order_id,order_date,revenue,refunded,region\n1,2026-01-01,10.0,false,north\n"
CAMPAIGNS = "date,spend,attributed_sales,clicks\n2026-01-01,5.0,20.0,3\n"

GOOD = """\
version: 1
sources:
  orders: {path: orders.csv, time: order_date}
  campaigns: {path: campaigns.csv, time: date}
objectives:
  grow-online-sales: {title: Grow online sales, owner: Head of e-commerce}
kpis:
  revenue:
    name: Revenue
    description: Net sales of orders that were not refunded.
    objective: grow-online-sales
    types: [quantitative, lagging, output, financial]
    source: orders
    measure: sum(revenue)
    filter: refunded == false
    unit: currency
    direction: up
    target: {value: 1200000, by: 2026-12-31}
    cadence: monthly
    owner: E-commerce lead
  roas:
    name: Return on ad spend
    description: Sales the ads brought per unit of ad spend.
    objective: grow-online-sales
    source: campaigns
    numerator: sum(attributed_sales)
    denominator: sum(spend)
    unit: ratio
    direction: up
    types: [leading]
    target: {value: 4.8, by: 2026-12-31}
    cadence: weekly
    owner: Performance marketing lead
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "campaigns.csv").write_text(CAMPAIGNS)
    path = tmp_path / "kpis.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_valid_spec_loads_into_immutable_values(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    revenue = spec.kpi("revenue")
    assert revenue.measure == Measure("sum", "revenue", "sum(revenue)")
    assert revenue.filter == Compare("==", Column("refunded"), Literal(False))
    assert revenue.types == ("quantitative", "lagging", "output", "financial")
    assert revenue.target is not None
    assert revenue.target.value == 1_200_000
    assert revenue.target.by == dt.date(2026, 12, 31)
    assert revenue.definition == "sum(revenue) where refunded == false"
    assert revenue.line == 8
    roas = spec.kpi("roas")
    assert roas.is_ratio and not revenue.is_ratio
    assert spec.sources["orders"].path == tmp_path / "orders.csv"
    assert spec.sources["orders"].columns == (
        "order_id",
        "order_date",
        "revenue",
        "refunded",
        "region",
    )
    assert [k.id for k in spec.kpis_for("grow-online-sales")] == ["revenue", "roas"]
    with pytest.raises(AttributeError):
        revenue.name = "x"  # type: ignore[misc]
    assert revenue._replace(name="Net revenue").name == "Net revenue"
    with pytest.raises(TypeError, match="Kpi has no field 'nmae'"):
        revenue._replace(nmae="x")
    assert lint_spec(tmp_path / "kpis.yml") == []


def test_unknown_kpi_id_suggests_the_closest(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    with pytest.raises(KpikitError, match="no KPI 'revnue'.*did you mean 'revenue'"):
        spec.kpi("revnue")


def test_every_problem_is_reported_at_once_with_file_line_kpi_and_hint(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("measure: sum(revenue)", "measure: sum(revnue)")
        .replace("filter: refunded == false", "filter: refundd == false")
        .replace("unit: currency", "unit: dollars")
        .replace("direction: up\n    target", "direction: upward\n    target")
        .replace("objective: grow-online-sales\n    types", "objective: grow-sales\n    types")
        .replace("cadence: monthly", "cadense: monthly")
        .replace("source: campaigns", "source: campaign")
        .replace("types: [quantitative, lagging", "types: [quantitive, lagging")
    )
    path = write(tmp_path, bad)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    lines = caught.value.report().splitlines()
    expected = [
        f"{path}:11: revenue: error: objective: unknown objective 'grow-sales' Hint: did you mean 'grow-online-sales'?",
        f"{path}:12: revenue: error: types: unknown KPI type 'quantitive' Hint: did you mean 'quantitative'?",
        f"{path}:14: revenue: error: measure: column 'revnue' not found in source 'orders' (orders.csv) Hint: did you mean 'revenue'?",
        f"{path}:15: revenue: error: filter: column 'refundd' not found in source 'orders' (orders.csv) Hint: did you mean 'refunded'?",
        f"{path}:16: revenue: error: unit: expected one of count, currency, percent, ratio, score, duration, found 'dollars'",
        f"{path}:17: revenue: error: direction: expected one of up, down, range, found 'upward'",
        f"{path}:19: revenue: error: cadense: unknown key in KPI 'revenue' Hint: did you mean 'cadence'?",
        f"{path}:25: roas: error: source: unknown source 'campaign' Hint: did you mean 'campaigns'?",
    ]
    assert sorted(lines) == sorted(expected)
    assert str(caught.value).startswith(f"invalid KPI spec: {path}:")
    assert "and 7 more problems" in str(caught.value)


def test_duplicate_keys_are_an_error_not_a_silent_override(tmp_path: Path) -> None:
    text = GOOD + "  revenue:\n    name: Another revenue\n"
    path = write(tmp_path, text)
    with pytest.raises(
        SpecError, match=r"kpis.yml:34: .*duplicate key 'revenue' \(first written on line 8\)"
    ):
        load_spec(path)
    inner = GOOD.replace("    unit: currency\n", "    unit: currency\n    unit: count\n", 1)
    with pytest.raises(
        SpecError, match=r":17: .*duplicate key 'unit' \(first written on line 16\)"
    ):
        load_spec(write(tmp_path, inner))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("version: 1", "version: 2"), r":1: -: error: version: expected version: 1, found int 2"),
        (("kpis:", "kpi:"), r"kpi: unknown key in the spec Hint: did you mean 'kpis'\?"),
        (("orders.csv, time", "missing.csv, time"), r"file not found: .*missing.csv"),
        (
            ("time: order_date", "time: orderdate"),
            r"column 'orderdate' not found in orders.csv Hint: did you mean 'order_date'",
        ),
        (("measure: sum(revenue)", "measure: total(revenue)"), r"unknown aggregation 'total'"),
        (("filter: refunded == false", "filter: refunded = false"), r"compare with ==, not ="),
        (
            ("    denominator: sum(spend)\n", ""),
            r"roas: error: denominator: a ratio KPI needs both",
        ),
        (
            ("measure: sum(revenue)", "numerator: sum(revenue)"),
            r"revenue: error: denominator: a ratio KPI needs both",
        ),
        (
            ("by: 2026-12-31", "by: next year"),
            r"target.by: expected a date YYYY-MM-DD, found str 'next year'",
        ),
        (("value: 1200000", "value: lots"), r"target.value: expected a number, found str 'lots'"),
        (
            ("types: [quantitative, lagging, output, financial]", "types: quantitative"),
            "types: expected a list",
        ),
        (("  revenue:\n", "  1revenue:\n"), "a KPI id must start with a letter"),
        (("    name: Revenue\n", ""), "revenue: error: name: missing required field 'name'"),
    ],
)
def test_single_mistakes_are_named_precisely(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    unit: currency", "   unit: [currency"))
    with pytest.raises(SpecError, match=r"kpis.yml:\d+: -: error: YAML syntax error"):
        load_spec(path)


def test_a_missing_spec_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KpikitError, match="spec file not found: .*nope.yml"):
        load_spec(tmp_path / "nope.yml")


def test_lint_warns_about_kpis_that_serve_no_objective(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    objective: grow-online-sales\n    source: campaigns", "    source: campaigns"
    )
    text = text.replace("    description: Sales the ads brought per unit of ad spend.\n", "")
    path = write(tmp_path, text)
    load_spec(path)  # warnings do not stop loading
    found = [str(p) for p in lint_spec(path)]
    assert found == [
        f"{path}:6: grow-online-sales: warning: types: no leading KPI serves this objective Hint: add a KPI that moves before the result, and give it types: [leading]",
        f"{path}:21: roas: warning: objective: serves no objective Hint: tie every KPI to a business goal under 'objectives'",
        f"{path}:21: roas: warning: description: has no description Hint: say in one sentence what it measures, for readers who are not analysts",
    ]


def test_a_source_may_be_a_folder_or_a_glob_of_parquet_files(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "events" / "2026").mkdir(parents=True)
    for month in ("01", "02"):
        frame = pd.DataFrame({"day": [f"2026-{month}-03"], "amount": [1.0]})
        frame.to_parquet(tmp_path / "events" / "2026" / f"{month}.parquet")
    kpis = "kpis:\n  amount: {name: Amount, source: events, measure: sum(amount), unit: count, direction: up}\n"
    for path in ("events", "'events/*/*.parquet'"):
        spec_file = tmp_path / "kpis.yml"
        spec_file.write_text(f"version: 1\nsources:\n  events: {{path: {path}, time: day}}\n{kpis}")
        source = load_spec(spec_file).sources["events"]
        assert source.format == "parquet" and source.columns == ("day", "amount")
        assert [p.name for p in source.files] == ["01.parquet", "02.parquet"]
    spec_file.write_text(
        f"version: 1\nsources:\n  events: {{path: 'nothing/*.parquet', time: day}}\n{kpis}"
    )
    with pytest.raises(
        SpecError,
        match=r"kpis.yml:3: -: error: sources.events.path: no .parquet file in .*nothing/\*.parquet",
    ):
        load_spec(spec_file)
