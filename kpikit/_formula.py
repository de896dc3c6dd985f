"""A safe parser for formula KPIs: arithmetic over other KPIs' ids.

A formula KPI is computed from other KPIs *after* each of them is aggregated for the period and
segment, so ``(revenue - cost) / revenue`` is right at every grain. The language: KPI ids,
numbers, ``+ - * /``, unary minus, parentheses, and ``lag(kpi_id, n)`` for the value ``n``
periods earlier (``revenue / lag(revenue, 12) - 1`` is year-over-year growth on months).
Like filters, formulas are parsed into a tree of frozen dataclasses and never evaluated by
Python's ``eval``.

Written by hand (about 150 lines) for the same reason as :mod:`kpikit._expr`: general
expression libraries either evaluate Python or accept far more than a KPI formula needs.

Example:
    >>> parse_formula("(revenue - cost) / revenue")
    BinOp(op='/', left=BinOp(op='-', left=Ref(kpi='revenue'), right=Ref(kpi='cost')), right=Ref(kpi='revenue'))
    >>> sorted(references(parse_formula("revenue / lag(revenue, 12) - 1")))
    ['revenue']
"""  # noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass

from kpikit._expr import ExprError

__all__ = ["BinOp", "Formula", "Lag", "Neg", "Num", "Ref", "parse_formula", "references"]

FUNCTIONS = ("lag",)


@dataclass(frozen=True)
class Ref:
    """The value of another KPI in the same period and segment."""

    kpi: str


@dataclass(frozen=True)
class Num:
    """A number written in the formula."""

    value: float


@dataclass(frozen=True)
class Lag:
    """The value of another KPI ``periods`` periods earlier (same segment)."""

    kpi: str
    periods: int


@dataclass(frozen=True)
class Neg:
    """Minus its operand."""

    operand: Formula


@dataclass(frozen=True)
class BinOp:
    """``left op right`` with op one of ``+ - * /``."""

    op: str
    left: Formula
    right: Formula


Formula = Ref | Num | Lag | Neg | BinOp

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/(),]))"
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            at = len(text) - len(text[pos:].lstrip())
            raise ExprError(
                f"cannot read formula '{text}'",
                expected="KPI ids, numbers, + - * /, parentheses or lag(kpi, n)",
                found=f"'{text[at]}' at character {at + 1}",
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.i = text, _tokenize(text), 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def accept(self, value: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == value:
            self.i += 1
            return True
        return False

    def fail(self, expected: str) -> ExprError:
        tok = self.peek()
        found = f"'{tok[1]}' at character {tok[2] + 1}" if tok else "the end of the formula"
        return ExprError(f"cannot read formula '{self.text}'", expected=expected, found=found)

    def parse(self) -> Formula:
        if not self.tokens:
            raise ExprError("empty formula", expected="e.g. (revenue - cost) / revenue")
        node = self.sum()
        if self.peek() is not None:
            raise self.fail("an operator (+ - * /) or the end of the formula")
        return node

    def sum(self) -> Formula:
        node = self.product()
        while (tok := self.peek()) is not None and tok[1] in ("+", "-") and tok[0] == "op":
            self.i += 1
            node = BinOp(tok[1], node, self.product())
        return node

    def product(self) -> Formula:
        node = self.unary()
        while (tok := self.peek()) is not None and tok[1] in ("*", "/") and tok[0] == "op":
            self.i += 1
            node = BinOp(tok[1], node, self.unary())
        return node

    def unary(self) -> Formula:
        if self.accept("-"):
            return Neg(self.unary())
        if self.accept("+"):
            return self.unary()
        return self.atom()

    def atom(self) -> Formula:
        tok = self.peek()
        if tok is None:
            raise self.fail("a KPI id, a number or '('")
        kind, value, _ = tok
        if kind == "number":
            self.i += 1
            return Num(float(value))
        if self.accept("("):
            node = self.sum()
            if not self.accept(")"):
                raise self.fail("')'")
            return node
        if kind != "name":
            raise self.fail("a KPI id, a number or '('")
        self.i += 1
        if not self.accept("("):
            return Ref(value)
        return self.call(value)

    def call(self, name: str) -> Formula:
        if name not in FUNCTIONS:
            raise ExprError(
                f"unknown function '{name}' in formula '{self.text}'",
                expected="lag(kpi, n)",
                found=name,
            )
        tok = self.peek()
        if tok is None or tok[0] != "name":
            raise self.fail("a KPI id as lag's first argument")
        self.i += 1
        if not self.accept(","):
            raise self.fail("',' and a number of periods")
        count = self.peek()
        if count is None or count[0] != "number" or not count[1].isdigit() or int(count[1]) < 1:
            raise self.fail("a whole number of periods, 1 or more, e.g. lag(revenue, 12)")
        self.i += 1
        if not self.accept(")"):
            raise self.fail("')'")
        return Lag(tok[1], int(count[1]))


def parse_formula(text: str) -> Formula:
    """Parse a formula into a tree; raise :class:`~kpikit._expr.ExprError` if it cannot be read."""
    return _Parser(str(text)).parse()


def references(node: Formula) -> set[str]:
    """The KPI ids a formula reads (directly or through ``lag``)."""
    if isinstance(node, Ref | Lag):
        return {node.kpi}
    if isinstance(node, Num):
        return set()
    if isinstance(node, Neg):
        return references(node.operand)
    return references(node.left) | references(node.right)
