"""The JSON Schema for editors: valid, accepts real specs, rejects broken ones, and keeps up with
the loader's keys and spec.py's constants."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kpikit import _load, _schema
from kpikit._expr import MEASURE_FUNCS
from kpikit._time_spec import CALENDAR_KEYS
from kpikit.cli import main
from kpikit.spec import (
    CADENCES,
    DIRECTIONS,
    FOCUSES,
    KPI_TYPES,
    TARGET_SHAPES,
    TARGET_VS,
    TO_DATE_UNITS,
    UNITS,
    WEEK_STARTS,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "kpikit" / "schema" / "kpis.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def as_editor_reads(text: str) -> Any:
    """YAML as an editor's language server reads it (YAML 1.2: a date is text, not a date)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value

    return plain(yaml.safe_load(text))


def errors(spec: Any) -> list[str]:
    """Where the schema rejects ``spec``: the JSON paths of its errors (empty when it is valid)."""
    return sorted(e.json_path for e in VALIDATOR.iter_errors(spec))


MINIMAL: dict[str, Any] = {
    "version": 1,
    "sources": {"orders": {"path": "orders.csv", "time": "order_date"}},
    "kpis": {
        "revenue": {
            "name": "Revenue", "source": "orders", "measure": "sum(revenue)",
            "unit": "currency", "direction": "up",
        },
    },
}  # fmt: skip


def with_kpi(**fields: Any) -> dict[str, Any]:
    """MINIMAL with a second KPI ``k`` made of ``fields`` (a field set to None is left out)."""
    spec = copy.deepcopy(MINIMAL)
    spec["kpis"]["k"] = {k: v for k, v in fields.items() if v is not None}
    return spec


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert _schema.path() == ROOT / "kpikit" / "schema" / "kpis.schema.json"
    assert json.loads(_schema.text()) == SCHEMA


def test_draft_07_tools_give_the_same_verdicts() -> None:
    """The YAML extension of VS Code validates with draft 7: the schema uses only its keywords."""
    draft7 = jsonschema.Draft7Validator(
        {**SCHEMA, "$schema": "http://json-schema.org/draft-07/schema#"},
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    sample = as_editor_reads((ROOT / "data" / "kpis.yml").read_text(encoding="utf-8"))
    assert list(draft7.iter_errors(sample)) == []
    for why, spec, _ in BROKEN:
        assert list(draft7.iter_errors(spec)), why


def test_the_sample_spec_validates() -> None:
    spec = as_editor_reads((ROOT / "data" / "kpis.yml").read_text(encoding="utf-8"))
    assert len(spec["kpis"]) > 20
    assert errors(spec) == []


def test_the_yaml_examples_of_the_spec_docs_validate() -> None:
    docs = (ROOT / "docs" / "kpi-spec.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, re.S)
    whole = [b for b in blocks if b.lstrip().startswith(("version: 1", "# yaml-language-server"))]
    assert len(whole) >= 2  # "A whole file" and the "Editor support" example
    for block in whole:
        assert errors(as_editor_reads(block)) == [], block


RATIO = {"name": "R", "source": "orders", "numerator": "sum(a)", "denominator": "count()",
         "unit": "ratio", "direction": "up"}  # fmt: skip
AGG = {"name": "K", "source": "orders", "unit": "count", "direction": "up"}


@pytest.mark.parametrize(
    "spec",
    [
        {**MINIMAL, "calendar": {"fiscal_year_start": 4, "week_start": "sunday"}},
        {**MINIMAL, "calendar": {}},
        {**MINIMAL, "objectives": {"grow": {"title": "Grow", "owner": "Ann"}}},
        {**MINIMAL, "objectives": {"grow": {"title": "Grow", "focus": "acquisition"}}},
        {**MINIMAL, "sources": {"o": {"path": "o/*.parquet", "time": "at",
                                      "timezone": "Europe/Paris", "description": "d"}}},
        with_kpi(**AGG, measure="median(amount)"),
        with_kpi(**AGG, measure="quantile(amount, 0.9)"),
        with_kpi(**AGG, measure=" quantile( amount ,1 ) "),
        with_kpi(**AGG, measure="quantile(amount, 0)"),
        with_kpi(**AGG, measure="count()", filter="refunded == false"),
        with_kpi(**AGG, measure="count_distinct(customer_id)", window="all"),
        with_kpi(**AGG, measure="sum(x)", window={"periods": 3}),
        with_kpi(**AGG, measure="sum(x)", window={"to_date": "year"}),
        with_kpi(**RATIO, target=0.5, cadence="weekly", types=["input", "leading"]),
        with_kpi(**RATIO, target={"value": 2, "by": "2026-12-31"}),
        with_kpi(**RATIO, target={"value": 2, "by": "2026-12-31", "from": "2026-06"}),
        with_kpi(**RATIO, target={"value": 2, "by": "2026-12-31", "from": "2026-06",
                                  "shape": "seasonal"}),
        with_kpi(**RATIO, target={"2026-10": 1.1, "2026-11": 1.3, "2026-Q4": 1.2, "2027": 1.4,
                                  "FY2027-Q1": 1.0, "2026-W05": 1.0, "2026-12-31": 1.0}),
        with_kpi(**RATIO, target={"change": 0.2, "vs": "year_ago"}),
        with_kpi(**RATIO, target={"change": -0.1, "vs": "previous", "by": "2026-12-31"}),
        with_kpi(**{**RATIO, "direction": "range"}, target={"min": 4.5, "max": 4.8}),
        with_kpi(**RATIO, target=0.5, review={"tolerance": 0.1, "alpha": 0.01,
                                              "min_denominator": 50}),
        {**MINIMAL, "review": {"tolerance": 0.1, "min_denominator": 30, "alpha": 0.05,
                               "checkins": "kpis.checkins.sqlite"}},
        with_kpi(name="F", formula="(revenue - cost) / revenue", unit="percent", direction="up"),
        with_kpi(name="F", formula="revenue / lag(revenue, 12) - 1", unit="ratio",
                 direction="down"),
        with_kpi(**AGG, python="customer_retention", columns={"customer_id": "buyer"},
                 filter="not refunded"),
        with_kpi(use="ctr"),
        with_kpi(use="ctr", source="orders", columns={"clicks": "link_clicks"}, name="CTR",
                 target=0.05, window={"periods": 3}),
        with_kpi(use="roas", inputs={"revenue": "sales"}, direction="up"),
    ],
)  # fmt: skip
def test_specs_with_every_kind_of_kpi_and_the_agreed_additions_validate(spec) -> None:
    assert errors(spec) == []


BROKEN: list[tuple[str, Any, str]] = [
    ("unknown top-level key", {**MINIMAL, "kpi": {}}, "$"),
    ("version 2", {**MINIMAL, "version": 2}, "$.version"),
    ("no sources", {k: v for k, v in MINIMAL.items() if k != "sources"}, "$"),
    ("no KPIs", {**MINIMAL, "kpis": {}}, "$.kpis"),
    ("a KPI id with a space", {**MINIMAL, "kpis": {"my kpi": MINIMAL["kpis"]["revenue"]}},
     "$.kpis"),
    ("a source without time", {**MINIMAL, "sources": {"o": {"path": "o.csv"}}}, "$.sources.o"),
    ("a misspelt source key",
     {**MINIMAL, "sources": {"o": {"path": "o.csv", "time": "t", "timezon": "UTC"}}},
     "$.sources.o"),
    ("an objective without a title", {**MINIMAL, "objectives": {"g": {"owner": "Ann"}}},
     "$.objectives.g"),
    ("an unknown focus", {**MINIMAL, "objectives": {"g": {"title": "G", "focus": "sales"}}},
     "$.objectives.g.focus"),
    ("fiscal year starting in month 13", {**MINIMAL, "calendar": {"fiscal_year_start": 13}},
     "$.calendar.fiscal_year_start"),
    ("weeks starting on tuesday", {**MINIMAL, "calendar": {"week_start": "tuesday"}},
     "$.calendar.week_start"),
    ("unit dollars", with_kpi(**{**AGG, "unit": "dollars"}, measure="sum(x)"), "$.kpis.k.unit"),
    ("direction higher", with_kpi(**{**AGG, "direction": "higher"}, measure="sum(x)"),
     "$.kpis.k.direction"),
    ("cadence hourly", with_kpi(**AGG, measure="sum(x)", cadence="hourly"),
     "$.kpis.k.cadence"),
    ("an unknown type", with_kpi(**AGG, measure="sum(x)", types=["lagging", "vanity"]),
     "$.kpis.k.types[1]"),
    ("types as text", with_kpi(**AGG, measure="sum(x)", types="lagging"), "$.kpis.k.types"),
    ("avg is no measure", with_kpi(**AGG, measure="avg(x)"), "$.kpis.k.measure"),
    ("sum without a column", with_kpi(**AGG, measure="sum()"), "$.kpis.k.measure"),
    ("quantile above 1", with_kpi(**AGG, measure="quantile(x, 1.5)"), "$.kpis.k.measure"),
    ("quantile without q", with_kpi(**AGG, measure="quantile(x)"), "$.kpis.k.measure"),
    ("median of two columns", with_kpi(**AGG, measure="median(x, y)"), "$.kpis.k.measure"),
    ("a misspelt KPI key", with_kpi(**AGG, measure="sum(x)", cadense="monthly"), "$.kpis.k"),
    ("no name", with_kpi(**{**AGG, "name": None}, measure="sum(x)"), "$.kpis.k"),
    ("a blank name", with_kpi(**{**AGG, "name": "  "}, measure="sum(x)"), "$.kpis.k.name"),
    ("a formula that is a number",
     with_kpi(name="F", formula=3, unit="ratio", direction="up"), "$.kpis.k.formula"),
    ("no way to compute it", with_kpi(**AGG), "$.kpis.k"),
    ("measure and ratio together", with_kpi(**RATIO, measure="sum(x)"), "$.kpis.k"),
    ("a numerator alone", with_kpi(**AGG, numerator="sum(x)"), "$.kpis.k"),
    ("a measure without source", with_kpi(**{**AGG, "source": None}, measure="sum(x)"),
     "$.kpis.k"),
    ("a formula with a source",
     with_kpi(name="F", formula="a / b", source="orders", unit="ratio", direction="up"),
     "$.kpis.k"),
    ("a formula with a window",
     with_kpi(name="F", formula="a / b", window="all", unit="ratio", direction="up"),
     "$.kpis.k"),
    ("python and measure together", with_kpi(**AGG, measure="sum(x)", python="f"), "$.kpis.k"),
    ("use and measure together", with_kpi(use="ctr", measure="sum(x)"), "$.kpis.k"),
    ("inputs without use", with_kpi(**AGG, measure="sum(x)", inputs={"a": "b"}), "$.kpis.k"),
    ("columns on a plain measure", with_kpi(**AGG, measure="sum(x)", columns={"a": "b"}),
     "$.kpis.k"),
    ("a column mapped to a number", with_kpi(use="ctr", columns={"clicks": 3}),
     "$.kpis.k.columns.clicks"),
    ("a window of 0 periods", with_kpi(**AGG, measure="sum(x)", window={"periods": 0}),
     "$.kpis.k.window"),
    ("a window to date of a decade",
     with_kpi(**AGG, measure="sum(x)", window={"to_date": "decade"}), "$.kpis.k.window"),
    ("a window of both kinds",
     with_kpi(**AGG, measure="sum(x)", window={"periods": 3, "to_date": "year"}),
     "$.kpis.k.window"),
    ("window: 3", with_kpi(**AGG, measure="sum(x)", window=3), "$.kpis.k.window"),
    ("a target by a month", with_kpi(**AGG, measure="sum(x)", target={"value": 1, "by": "2026-12"}),
     "$.kpis.k.target"),
    ("a target without a value", with_kpi(**AGG, measure="sum(x)", target={"by": "2026-12-31"}),
     "$.kpis.k.target"),
    ("a target mixing value and range",
     with_kpi(**AGG, measure="sum(x)", target={"value": 1, "min": 0, "max": 2}), "$.kpis.k"),
    ("a target mixing value and periods",
     with_kpi(**AGG, measure="sum(x)", target={"value": 1, "2026-10": 2}), "$.kpis.k.target"),
    ("a per-period target with a bad label",
     with_kpi(**AGG, measure="sum(x)", target={"2026-13-1": 2}), "$.kpis.k.target"),
    ("a per-period target that is text",
     with_kpi(**AGG, measure="sum(x)", target={"2026-10": "lots"}), "$.kpis.k.target"),
    ("a baseline without an end date",
     with_kpi(**AGG, measure="sum(x)", target={"value": 1, "from": "2026-06"}),
     "$.kpis.k.target"),
    ("a shape without a baseline",
     with_kpi(**AGG, measure="sum(x)", target={"value": 1, "by": "2026-12-31",
                                               "shape": "seasonal"}), "$.kpis.k.target"),
    ("a curvy shape",
     with_kpi(**AGG, measure="sum(x)", target={"value": 1, "by": "2026-12-31",
                                               "from": "2026-06", "shape": "curvy"}),
     "$.kpis.k.target"),
    ("a change without vs", with_kpi(**AGG, measure="sum(x)", target={"change": 0.2}),
     "$.kpis.k.target"),
    ("vs last_year", with_kpi(**AGG, measure="sum(x)", target={"change": 0.2, "vs": "last_year"}),
     "$.kpis.k.target"),
    ("a change of -100%", with_kpi(**AGG, measure="sum(x)", target={"change": -1, "vs": "previous"}),
     "$.kpis.k.target"),
    ("a range without direction: range",
     with_kpi(**AGG, measure="sum(x)", target={"min": 1, "max": 2}), "$.kpis.k"),
    ("direction: range with a number target",
     with_kpi(**{**AGG, "direction": "range"}, measure="sum(x)", target=3), "$.kpis.k"),
    ("direction: range without a target",
     with_kpi(**{**AGG, "direction": "range"}, measure="sum(x)"), "$.kpis.k"),
    ("a range without max",
     with_kpi(**{**AGG, "direction": "range"}, measure="sum(x)", target={"min": 1}), "$.kpis.k"),
    ("a review tolerance of 5", with_kpi(**AGG, measure="sum(x)", review={"tolerance": 5}),
     "$.kpis.k.review"),
    ("a misspelt review key", {**MINIMAL, "review": {"tolerence": 0.1}}, "$.review"),
    ("checkins on a KPI", with_kpi(**AGG, measure="sum(x)", review={"checkins": "x.db"}),
     "$.kpis.k.review"),
    ("min_denominator 2.5", {**MINIMAL, "review": {"min_denominator": 2.5}},
     "$.review.min_denominator"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "spec", "where"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_specs_are_rejected_where_they_are_broken(why, spec, where) -> None:
    found = errors(spec)
    assert found, why
    assert all(path.startswith(where) for path in found), (why, found)


def test_what_the_schema_rejects_lint_rejects_too(tmp_path) -> None:
    """The loader is the independent judge: every broken spec also gets a lint error."""
    columns = "order_date,revenue,a,x,y,amount,customer_id,refunded\n2026-01-05,1,1,1,1,1,c,false\n"
    (tmp_path / "orders.csv").write_text(columns, encoding="utf-8")
    for i, (why, spec, _) in enumerate(BROKEN):
        path = tmp_path / f"broken{i}.yml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        found = [p for p in _load.lint_spec(path) if p.severity == "error"]
        assert found, why
    clean = tmp_path / "clean.yml"
    clean.write_text(yaml.safe_dump(MINIMAL, sort_keys=False), encoding="utf-8")
    assert [p for p in _load.lint_spec(clean) if p.severity == "error"] == []


def _properties(*pointer: str) -> set[str]:
    node: Any = SCHEMA
    for part in pointer:
        node = node[part]
    return set(node["properties"])


def test_every_key_the_loader_knows_is_in_the_schema() -> None:
    where = {
        "TOP_KEYS": (),
        "SOURCE_KEYS": ("$defs", "source"),
        "OBJECTIVE_KEYS": ("$defs", "objective"),
        "KPI_KEYS": ("$defs", "kpi"),
        "TARGET_KEYS": ("$defs", "target", "anyOf", "1"),
        "CALENDAR_KEYS": ("$defs", "calendar"),
        "REVIEW_KEYS": ("$defs", "review"),
    }
    constants = {n: v for n, v in vars(_load).items() if n.endswith("_KEYS")}
    constants["CALENDAR_KEYS"] = CALENDAR_KEYS
    assert {
        "TOP_KEYS", "SOURCE_KEYS", "OBJECTIVE_KEYS", "KPI_KEYS", "TARGET_KEYS", "REVIEW_KEYS"
    } <= set(constants)  # fmt: skip
    for name, keys in constants.items():
        assert name in where, f"say where {name} lives in the schema"
        pointer = [int(p) if p.isdigit() else p for p in where[name]]
        node: Any = SCHEMA
        for part in pointer:
            node = node[part]
        assert set(keys) == set(node["properties"]), name
    kpi_review = set(_properties("$defs", "kpi_review"))
    assert kpi_review == set(_load.REVIEW_KEYS) - {"checkins"}  # checkins: top level only


def test_enums_are_spec_pys_constants() -> None:
    kpi = SCHEMA["$defs"]["kpi"]["properties"]
    assert tuple(kpi["unit"]["enum"]) == UNITS
    assert tuple(kpi["direction"]["enum"]) == DIRECTIONS
    assert tuple(kpi["cadence"]["enum"]) == CADENCES
    assert tuple(kpi["types"]["items"]["enum"]) == KPI_TYPES
    objective = SCHEMA["$defs"]["objective"]["properties"]
    assert tuple(objective["focus"]["enum"]) == FOCUSES
    calendar = SCHEMA["$defs"]["calendar"]["properties"]
    assert tuple(calendar["week_start"]["enum"]) == WEEK_STARTS
    target = SCHEMA["$defs"]["target"]["anyOf"][1]["properties"]
    assert tuple(target["shape"]["enum"]) == TARGET_SHAPES
    assert tuple(target["vs"]["enum"]) == TARGET_VS
    windows = SCHEMA["$defs"]["window"]["oneOf"]
    assert tuple(windows[2]["properties"]["to_date"]["enum"]) == TO_DATE_UNITS


def test_the_measure_pattern_takes_exactly_the_loaders_functions() -> None:
    pattern = re.compile(SCHEMA["$defs"]["measure"]["pattern"])
    functions = set(MEASURE_FUNCS)
    for func in functions:
        example = f"{func}(amount, 0.5)" if func == "quantile" else f"{func}(amount)"
        assert pattern.match(example), func
    assert pattern.match("count()")
    for word in ("avg", "average", "stddev", "sum_distinct", "percentile", "Sum", "eval"):
        assert not pattern.match(f"{word}(amount)"), word


# --- kpikit schema -------------------------------------------------------------------------------


def test_kpikit_schema_prints_the_path_of_the_shipped_file(capsys) -> None:
    assert main(["schema"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.is_file() and printed.parent.parent == ROOT / "kpikit"
    assert json.loads(printed.read_text(encoding="utf-8")) == SCHEMA


def test_kpikit_schema_output_writes_a_copy(tmp_path, capsys) -> None:
    target = tmp_path / ".vscode" / "kpis.schema.json"
    assert main(["schema", "-o", str(target)]) == 2  # no such folder: one line, exit 2
    assert capsys.readouterr().err.startswith("kpikit: error: cannot write the output file")
    target.parent.mkdir()
    assert main(["schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == SCHEMA
    assert f"wrote the spec's JSON Schema to {target}" in capsys.readouterr().err
