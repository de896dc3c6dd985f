"""Formula KPIs: the safe arithmetic parser and the spec's checks on references and cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpikit import load_spec
from kpikit._expr import ExprError
from kpikit._formula import BinOp, Lag, Neg, Num, Ref, parse_formula, references
from kpikit.errors import SpecError


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("revenue", Ref("revenue")),
        ("revenue - cost", BinOp("-", Ref("revenue"), Ref("cost"))),
        ("a + b * c", BinOp("+", Ref("a"), BinOp("*", Ref("b"), Ref("c")))),
        ("(a + b) * c", BinOp("*", BinOp("+", Ref("a"), Ref("b")), Ref("c"))),
        ("a - b - c", BinOp("-", BinOp("-", Ref("a"), Ref("b")), Ref("c"))),
        ("a / b / 2", BinOp("/", BinOp("/", Ref("a"), Ref("b")), Num(2.0))),
        ("-a + 1.5", BinOp("+", Neg(Ref("a")), Num(1.5))),
        (
            "revenue/lag(revenue,12)-1",
            BinOp("-", BinOp("/", Ref("revenue"), Lag("revenue", 12)), Num(1.0)),
        ),
        (
            "100 * clicks / impressions",
            BinOp("/", BinOp("*", Num(100.0), Ref("clicks")), Ref("impressions")),
        ),
    ],
)
def test_formulas_parse_with_the_usual_precedence(text: str, tree: object) -> None:
    assert parse_formula(text) == tree


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty formula"),
        ("revenue -", "found the end of the formula"),
        ("revenue ** 2", r"found '\*' at character 10"),
        ("revenue revenue", "expected an operator"),
        ("(revenue - cost", "expected '\\)'"),
        ("sqrt(revenue)", "unknown function 'sqrt'"),
        ("lag(revenue)", "expected ',' and a number of periods"),
        ("lag(revenue, 0)", "a whole number of periods, 1 or more"),
        ("lag(revenue, 1.5)", "a whole number of periods, 1 or more"),
        ("lag(2, 3)", "a KPI id as lag's first argument"),
        ("__import__('os')", r"found ''' at character 12"),
        ("revenue; cost", "found ';'"),
    ],
)
def test_bad_formulas_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=message):
        parse_formula(text)


def test_references_lists_every_kpi_a_formula_reads() -> None:
    assert references(parse_formula("(a - b) / lag(c, 1) + -d * 2")) == {"a", "b", "c", "d"}


SPEC = """\
version: 1
sources:
  orders: {path: orders.csv, time: day}
kpis:
  revenue: {name: Revenue, source: orders, measure: sum(revenue), unit: currency, direction: up}
  cost: {name: Cost, source: orders, measure: sum(cost), unit: currency, direction: down}
  margin:
    name: Gross margin
    formula: (revenue - cost) / revenue
    unit: percent
    direction: up
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "orders.csv").write_text("day,revenue,cost\n2026-01-01,10,4\n")
    (tmp_path / "kpis.yml").write_text(text)
    return tmp_path / "kpis.yml"


def test_a_formula_kpi_loads_with_its_tree(tmp_path: Path) -> None:
    margin = load_spec(write(tmp_path, SPEC)).kpi("margin")
    assert margin.is_formula and margin.source is None
    assert margin.formula == BinOp("/", BinOp("-", Ref("revenue"), Ref("cost")), Ref("revenue"))
    assert margin.definition == "(revenue - cost) / revenue"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("(revenue - cost) / revenue", "(revenue - cots) / revenue"),
            r":7: margin: error: formula: unknown KPI 'cots' in formula Hint: did you mean 'cost'\?",
        ),
        (
            ("(revenue - cost) / revenue", "margin * 2"),
            r"formulas refer to each other in a cycle: margin -> margin",
        ),
        (
            ("    unit: percent\n", "    unit: percent\n    source: orders\n"),
            "margin: error: source: a formula KPI takes no 'source'",
        ),
        (
            ("(revenue - cost) / revenue", "revenue +"),
            r"margin: error: formula: cannot read formula 'revenue \+'",
        ),
        (
            ("(revenue - cost) / revenue", "2 * 21"),
            r"margin: error: formula: formula '2 \* 21' uses no KPI",
        ),
    ],
)
def test_formula_mistakes_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, SPEC.replace(*change)))


def test_a_cycle_through_several_kpis_is_reported_with_its_path(tmp_path: Path) -> None:
    text = SPEC + "  a: {name: A, formula: b + 1, unit: count, direction: up}\n"
    text += "  b: {name: B, formula: a * 2, unit: count, direction: up}\n"
    with pytest.raises(SpecError, match="a cycle: a -> b -> a"):
        load_spec(write(tmp_path, text))
