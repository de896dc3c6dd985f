"""A small, safe parser for spec filters and measures.

Nothing from a spec is ever passed to ``eval`` or ``exec``: filter text is tokenised and parsed
here into a tree of frozen dataclasses, and the engine translates that tree into dataframe
expressions. The language is deliberately tiny: comparisons (``== != < <= > >=``), ``in`` /
``not in`` a list of literals, ``is null`` / ``is not null``, ``and`` / ``or`` / ``not``,
parentheses, literals (numbers, quoted strings, ``true``, ``false``, ``null``) and column names.

Written by hand (about 200 lines) because general expression libraries either evaluate Python
(unsafe) or bring a large grammar we would then have to restrict.

Example:
    >>> tree = parse_filter("refunded == false and region in ('north', 'south')")
    >>> sorted(columns(tree))
    ['refunded', 'region']
    >>> parse_measure("count_distinct(customer_id)")
    Measure(func='count_distinct', column='customer_id', text='count_distinct(customer_id)')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kpikit.errors import KpikitError

__all__ = [
    "MEASURE_FUNCS",
    "NON_ADDITIVE",
    "And",
    "Column",
    "Compare",
    "ExprError",
    "In",
    "IsNull",
    "Literal",
    "Measure",
    "Node",
    "Not",
    "Or",
    "columns",
    "parse_filter",
    "parse_measure",
]

MEASURE_FUNCS = ("sum", "count", "count_distinct", "mean", "min", "max", "median", "quantile")
#: Measures that cannot be rebuilt from the values of smaller periods or segments: the engine
#: always computes them from the rows (of a whole window, or of the ``other`` segment).
NON_ADDITIVE = ("count_distinct", "median", "quantile")
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


class ExprError(KpikitError):
    """A filter or measure could not be parsed."""


@dataclass(frozen=True)
class Column:
    """A reference to a source column."""

    name: str


@dataclass(frozen=True)
class Literal:
    """A constant: number, string, bool or None."""

    value: float | int | str | bool | None


@dataclass(frozen=True)
class Compare:
    """``left op right`` where op is one of ``== != < <= > >=``."""

    op: str
    left: Column | Literal
    right: Column | Literal


@dataclass(frozen=True)
class In:
    """``column in (a, b, ...)``, or ``not in`` when ``negated``."""

    column: Column
    values: tuple[float | int | str | bool | None, ...]
    negated: bool = False


@dataclass(frozen=True)
class IsNull:
    """``column is null``, or ``is not null`` when ``negated``."""

    column: Column
    negated: bool = False


@dataclass(frozen=True)
class And:
    """Both sides hold."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    """Either side holds."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """The operand does not hold."""

    operand: Node


Node = Column | Literal | Compare | In | IsNull | And | Or | Not


@dataclass(frozen=True)
class Measure:
    """An aggregation of one column (``column`` is None for ``count()``).

    ``q`` is the quantile of ``quantile(col, q)`` (0 to 1; None for other functions).
    """

    func: str
    column: str | None
    text: str
    q: float | None = field(default=None, repr=False)

    @property
    def is_additive(self) -> bool:
        """False for measures that must be computed from rows (:data:`NON_ADDITIVE`)."""
        return self.func not in NON_ADDITIVE


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "true", "false", "null", "none"}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    stripped_end = len(text.rstrip())
    while pos < stripped_end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            at = len(text) - len(text[pos:].lstrip())
            bad = text[at]
            raise ExprError(
                f"cannot read '{text}'",
                expected="a column name, a literal, a comparison or and/or/not",
                found=f"'{bad}' at character {at + 1}",
                hint="compare with ==, not ="
                if bad == "="
                else "quote text values, e.g. region == 'north'",
            )
        kind = match.lastgroup or ""
        value = match.group(kind)
        start = match.start(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            kind = "kw"
            value = value.lower()
        tokens.append((kind, value, start))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def accept(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        if tok and tok[0] == kind and (value is None or tok[1] == value):
            self.i += 1
            return True
        return False

    def fail(self, expected: str) -> ExprError:
        tok = self.peek()
        found = f"'{tok[1]}' at character {tok[2] + 1}" if tok else "the end of the text"
        return ExprError(f"cannot read '{self.text}'", expected=expected, found=found)

    def parse(self) -> Node:
        if not self.tokens:
            raise ExprError("empty filter", expected="an expression such as refunded == false")
        node = self.or_()
        if self.peek() is not None:
            raise self.fail("and, or, or the end of the filter")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("kw", "or"):
            node = Or(node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("kw", "and"):
            node = And(node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("kw", "not"):
            return Not(self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        if self.accept("op", "("):
            node = self.or_()
            if not self.accept("op", ")"):
                raise self.fail("')'")
            return node
        left = self.operand()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in COMPARISONS:
            self.i += 1
            right = self.operand()
            if isinstance(left, Literal) and isinstance(right, Literal):
                raise ExprError(
                    f"cannot read '{self.text}'",
                    expected="a comparison that involves a column",
                    found=f"two literals compared with {tok[1]}",
                )
            return Compare(tok[1], left, right)
        negated = False
        if tok and tok[0] == "kw" and tok[1] == "not":
            nxt = self.peek(1)
            if nxt and nxt[1] == "in":
                self.i += 1
                negated = True
        if self.accept("kw", "in"):
            column = self._need_column(left, "in")
            return In(column, self.literal_list(), negated)
        if self.accept("kw", "is"):
            column = self._need_column(left, "is null")
            neg = self.accept("kw", "not")
            if not (self.accept("kw", "null") or self.accept("kw", "none")):
                raise self.fail("null after 'is' or 'is not'")
            return IsNull(column, neg)
        if isinstance(left, Literal):
            raise self.fail("a column name or a comparison")
        return left  # a boolean column on its own

    def _need_column(self, node: Node, what: str) -> Column:
        if not isinstance(node, Column):
            raise ExprError(
                f"cannot read '{self.text}'",
                expected=f"a column name before '{what}'",
                found=repr(node),
            )
        return node

    def operand(self) -> Column | Literal:
        tok = self.peek()
        if tok is None:
            raise self.fail("a column name or a literal")
        kind, value, _ = tok
        if kind == "name":
            self.i += 1
            return Column(value)
        if kind in ("number", "string") or (
            kind == "kw" and value in ("true", "false", "null", "none")
        ):
            self.i += 1
            return Literal(_literal(kind, value))
        raise self.fail("a column name or a literal")

    def literal_list(self) -> tuple[float | int | str | bool | None, ...]:
        closer = ")" if self.accept("op", "(") else "]" if self.accept("op", "[") else None
        if closer is None:
            raise self.fail("a list such as ('north', 'south') after 'in'")
        values = []
        while True:
            operand = self.operand()
            if not isinstance(operand, Literal):
                raise ExprError(
                    f"cannot read '{self.text}'",
                    expected="literals inside the list after 'in'",
                    found=f"the name '{operand.name}'",
                    hint="quote text values, e.g. ('north', 'south')",
                )
            values.append(operand.value)
            if self.accept("op", closer):
                return tuple(values)
            if not self.accept("op", ","):
                raise self.fail(f"',' or '{closer}'")


def _literal(kind: str, value: str) -> float | int | str | bool | None:
    if kind == "number":
        return float(value) if any(c in value for c in ".eE") else int(value)
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return {"true": True, "false": False}.get(value)


def parse_filter(text: str) -> Node:
    """Parse a filter expression into a tree; raise :class:`ExprError` if it cannot be read."""
    return _Parser(str(text)).parse()


_MEASURE = re.compile(
    r"^\s*([A-Za-z_]+)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)?\s*(?:(,)\s*(.*?))?\s*\)\s*$"
)
_QUANTILE_HINT = "give q between 0 and 1, e.g. quantile(amount, 0.9) for the 90th percentile"


def parse_measure(text: str) -> Measure:
    """Parse ``func(column)``, ``count()`` or ``quantile(column, q)`` into a :class:`Measure`.

    ``median(col)`` and ``quantile(col, q)`` interpolate linearly between the two nearest values,
    as pandas, numpy (``method="linear"``), DuckDB's ``quantile_cont`` and Spark's exact
    ``percentile`` do; missing values are left out.

    Example:
        >>> parse_measure("quantile(amount, 0.9)").q
        0.9
    """
    from kpikit.errors import did_you_mean

    text = str(text)
    match = _MEASURE.match(text)
    if not match:
        raise ExprError(
            f"cannot read measure '{text}'",
            expected="func(column), e.g. sum(revenue), count() or quantile(amount, 0.9)",
            found=repr(text),
        )
    func, column = match.group(1), match.group(2)
    if func not in MEASURE_FUNCS:
        raise ExprError(
            f"unknown aggregation '{func}' in '{text}'",
            expected="one of " + ", ".join(MEASURE_FUNCS),
            found=func,
            hint=did_you_mean(func, MEASURE_FUNCS),
        )
    if column is None and func != "count":
        expected = "quantile(column, q)" if func == "quantile" else f"{func}(column)"
        raise ExprError(f"'{text}' needs a column", expected=expected, found=text.strip())
    q = None
    if func == "quantile":
        q = _quantile(text, match)
    elif match.group(3):
        raise ExprError(
            f"'{text}' takes one column",
            expected=f"{func}({column})",
            found=f"',' at character {match.start(3) + 1}",
            hint="only quantile(column, q) takes a second argument",
        )
    return Measure(func, column, text.strip(), q)


def _quantile(text: str, match: re.Match[str]) -> float:
    """The q of ``quantile(col, q)``: a number from 0 to 1, or ExprError saying where it is."""
    raw = match.group(4)
    if not match.group(3) or not raw:
        at = match.end(2) + 1 if not match.group(3) else match.end(3) + 1
        raise ExprError(
            f"'{text}' needs a quantile",
            expected="quantile(column, q) with q from 0 to 1",
            found=f"no q at character {at}",
            hint=_QUANTILE_HINT,
        )
    number = re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", raw)
    q = float(raw) if number else None
    if q is None or not 0 <= q <= 1:
        raise ExprError(
            f"bad quantile in '{text}'",
            expected="a number q from 0 to 1",
            found=f"'{raw}' at character {match.start(4) + 1}",
            hint=_QUANTILE_HINT,
        )
    return q


def columns(node: Node) -> set[str]:
    """The column names a filter tree refers to."""
    if isinstance(node, Column):
        return {node.name}
    if isinstance(node, Literal):
        return set()
    if isinstance(node, Compare):
        return columns(node.left) | columns(node.right)
    if isinstance(node, In | IsNull):
        return {node.column.name}
    if isinstance(node, And | Or):
        return columns(node.left) | columns(node.right)
    return columns(node.operand)
