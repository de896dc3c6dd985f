"""The safe filter and measure parser: what it reads, and what it refuses."""

from __future__ import annotations

import pytest

from kpikit._expr import (
    And,
    Column,
    Compare,
    ExprError,
    In,
    IsNull,
    Literal,
    Measure,
    Not,
    Or,
    columns,
    parse_filter,
    parse_measure,
)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("refunded == false", Compare("==", Column("refunded"), Literal(False))),
        ("revenue >= 10.5", Compare(">=", Column("revenue"), Literal(10.5))),
        ("0 < revenue", Compare("<", Literal(0), Column("revenue"))),
        ("channel != 'social'", Compare("!=", Column("channel"), Literal("social"))),
        ('name == "it\\"s"', Compare("==", Column("name"), Literal('it"s'))),
        ("region in ('north', \"south\")", In(Column("region"), ("north", "south"))),
        ("rating not in [1, 2]", In(Column("rating"), (1, 2), negated=True)),
        ("region is null", IsNull(Column("region"))),
        ("region is not null", IsNull(Column("region"), negated=True)),
        ("refunded", Column("refunded")),
        ("not refunded", Not(Column("refunded"))),
        (
            "a == 1 or b == 2 and c == 3",
            Or(
                Compare("==", Column("a"), Literal(1)),
                And(Compare("==", Column("b"), Literal(2)), Compare("==", Column("c"), Literal(3))),
            ),
        ),
        (
            "(a == 1 or b == 2) and not c",
            And(
                Or(Compare("==", Column("a"), Literal(1)), Compare("==", Column("b"), Literal(2))),
                Not(Column("c")),
            ),
        ),
        ("x == -3", Compare("==", Column("x"), Literal(-3))),
        ("x == TRUE", Compare("==", Column("x"), Literal(True))),
    ],
)
def test_parse_filter_builds_the_expected_tree(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty filter"),
        ("revenue > ", "found the end of the text"),
        ("revenue = 3", "found '=' at character 9"),
        ("__import__('os').system('ls')", "found '.' at character 17"),
        ("region in north", r"expected a list such as \('north', 'south'\)"),
        ("region in (north, south)", "found the name 'north'"),
        ("1 == 2", "expected a comparison that involves a column"),
        ("(a == 1", "expected '\\)'"),
        ("a == 1 b == 2", "expected and, or, or the end of the filter"),
        ("region is 'x'", "expected null after 'is'"),
        ("a; b", "found ';'"),
    ],
)
def test_parse_filter_rejects_bad_text_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=message):
        parse_filter(text)


def test_columns_lists_every_column_a_filter_reads() -> None:
    tree = parse_filter("a == 1 and (b in (1, 2) or not c) and d is null and 2 < e")
    assert columns(tree) == {"a", "b", "c", "d", "e"}


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("sum(revenue)", Measure("sum", "revenue", "sum(revenue)")),
        (" count() ", Measure("count", None, "count()")),
        ("count(order_id)", Measure("count", "order_id", "count(order_id)")),
        (
            "count_distinct( customer_id )",
            Measure("count_distinct", "customer_id", "count_distinct( customer_id )"),
        ),
        ("mean(rating)", Measure("mean", "rating", "mean(rating)")),
        ("median(amount)", Measure("median", "amount", "median(amount)")),
        ("quantile(amount, 0.9)", Measure("quantile", "amount", "quantile(amount, 0.9)", 0.9)),
        ("quantile( amount ,1 )", Measure("quantile", "amount", "quantile( amount ,1 )", 1.0)),
        ("quantile(amount, .25)", Measure("quantile", "amount", "quantile(amount, .25)", 0.25)),
        ("quantile(amount, 0)", Measure("quantile", "amount", "quantile(amount, 0)", 0.0)),
    ],
)
def test_parse_measure(text: str, measure: Measure) -> None:
    assert parse_measure(text) == measure


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("summ(revenue)", "unknown aggregation 'summ'.*did you mean 'sum'"),
        ("sum()", r"'sum\(\)' needs a column"),
        ("revenue", r"expected func\(column\)"),
        ("sum(revenue) + 1", r"expected func\(column\)"),
        ("quantile(amount)", r"needs a quantile.*found no q at character 16.*Hint: give q"),
        ("quantile(amount, )", r"needs a quantile.*found no q at character 17"),
        ("quantile(amount, 1.5)", r"from 0 to 1, found '1.5' at character 18.*Hint: give q"),
        ("quantile(amount, -0.1)", r"found '-0.1' at character 18"),
        ("quantile(amount, ninety)", r"found 'ninety' at character 18"),
        ("quantile(, 0.5)", r"needs a column: expected quantile\(column, q\)"),
        ("median(amount, 0.5)", r"takes one column.*found ',' at character 14.*only quantile"),
        ("medain(amount)", r"unknown aggregation 'medain'.*did you mean 'median'"),
    ],
)
def test_parse_measure_rejects_bad_text(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=message):
        parse_measure(text)
