"""The spec's target and review keys: a KPI's ``target:`` and the ``review:`` blocks.

Read by :mod:`kpikit._load` through its checker, so every problem is reported with its line, the
field and a hint, at once with the others. The four target forms (docs/kpi-spec.md, "Targets and
status") are told apart by their keys:

- a number, or ``{value, by, from, shape}``: a level target, optionally paced from a baseline;
- ``{2026-10: 1100000, 2026-11: 1300000}``: per-period targets, keyed by period labels;
- ``{change, vs}``: relative to the previous period or the same period a year ago;
- ``{min, max}``: a range, for ``direction: range``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit.errors import KpikitError, did_you_mean
from kpikit.spec import TARGET_SHAPES, TARGET_VS, Calendar, Review, Target

if TYPE_CHECKING:
    from kpikit._load import _Checker

__all__ = ["load_review", "load_target"]

_FORMS = {"value": "level", "change": "relative", "vs": "relative", "min": "range", "max": "range"}
_EXAMPLES = (
    "target: {value: 1300000, by: 2026-12-31}, {2026-10: 1100000, 2026-11: 1300000}, "
    "{change: 0.2, vs: year_ago} or {min: 4.5, max: 4.8}"
)


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number (booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _label(key: Any) -> tuple[str | None, str | None]:
    """``(label, None)`` for a period label key, ``(None, hint)`` otherwise.

    YAML reads ``2026`` as a number and ``2026-11-30`` as a date: both are period labels too.
    """
    from kpikit import periods

    if isinstance(key, dt.date):
        return key.isoformat(), None
    text = str(key).strip() if isinstance(key, str | int) and not isinstance(key, bool) else None
    if text is None:
        return None, None
    try:
        periods.grain_of(text)
    except KpikitError as exc:
        return None, exc.hint
    return text, None


def _per_period(c: _Checker, block: Mapping[Any, Any], kid: str) -> tuple[dict[str, float], bool]:
    """The per-period targets of ``block`` (every key a label); ``ok`` False after problems."""
    from kpikit._load import TARGET_KEYS, _line, _show

    found: dict[str, float] = {}
    ok = True
    for key, value in block.items():
        label, hint = _label(key)
        near = did_you_mean(str(key), TARGET_KEYS) if label is None else None
        if near:  # a misspelt key of the other forms, such as 'vale'
            c.add(_line(block, key), kid, f"target.{key}", "unknown key in target", hint=near)
            ok = False
            continue
        if label is None:
            c.add(
                _line(block, key), kid, f"target.{key}",
                f"expected a period label such as 2026-11, 2026-Q4 or 2026, found {_show(key)}",
                hint=hint or "a per-period target maps period labels to numbers: " + _EXAMPLES,
            )  # fmt: skip
            ok = False
            continue
        number = _number(value)
        if number is None:
            c.add(
                _line(block, key), kid, f"target.{label}",
                f"expected a number, found {_show(value)}",
                hint=f"the target for {label}, e.g. {label}: 1300000",
            )  # fmt: skip
            ok = False
            continue
        found[label] = number
    return found, ok


def _by(c: _Checker, block: Mapping[Any, Any], kid: str) -> tuple[dt.date | None, bool]:
    from kpikit._load import _line, _show

    by = block.get("by")
    if by is None or (isinstance(by, dt.date) and not isinstance(by, dt.datetime)):
        return by, True
    c.add(
        _line(block, "by"), kid, "target.by", f"expected a date YYYY-MM-DD, found {_show(by)}",
        hint="the last day of the target's time frame, e.g. by: 2026-12-31",
    )  # fmt: skip
    return None, False


def _start(
    c: _Checker, block: Mapping[Any, Any], kid: str, by: dt.date | None, calendar: Calendar
) -> tuple[str | None, bool]:
    """The ``from:`` baseline period: a label whose first day comes before ``by``."""
    from kpikit import periods
    from kpikit._load import _line, _show

    if block.get("from") is None:
        return None, True
    line = _line(block, "from")
    label, hint = _label(block["from"])
    if label is None:
        c.add(
            line, kid, "target.from",
            f"expected a period label such as 2026-06, found {_show(block['from'])}",
            hint=hint or "the baseline period the pacing path starts from, e.g. from: 2026-06",
        )  # fmt: skip
        return None, False
    if by is None:
        c.add(
            line, kid, "target.from", "a target with a baseline ('from') needs an end date 'by'",
            hint=f"say by when to reach the value: {{value: ..., by: 2026-12-31, from: {label}}}",
        )  # fmt: skip
        return None, False
    try:
        first = periods.parse_period(label, calendar)[1]
    except KpikitError as exc:  # a fiscal label in a calendar year
        c.add(line, kid, "target.from", str(exc).splitlines()[0], hint=exc.hint)
        return None, False
    if first >= by:
        c.add(
            line, kid, "target.from",
            f"the baseline period {label} starts on {first}, not before the end date "
            f"{by.isoformat()}",
            hint="'from' is the period the path starts from; it must come before 'by'",
        )  # fmt: skip
        return None, False
    return label, True


def _keyed(
    c: _Checker, block: Mapping[Any, Any], kid: str, allowed: tuple[str, ...], calendar: Calendar
) -> Target | None:
    """A target written with keys: level, relative or range."""
    from kpikit._load import _line, _show

    ok = True
    for key in block:
        if key in allowed:
            continue
        label, _ = _label(key)
        if label is not None:
            c.add(
                _line(block, key), kid, f"target.{label}",
                "a target mixes forms: period labels with "
                + ", ".join(str(k) for k in block if k in allowed),
                hint="per-period targets take only period labels: {2026-10: 1100000, "
                "2026-11: 1300000}; or write one value with value: and by:",
            )  # fmt: skip
        else:
            hint = did_you_mean(str(key), allowed) or "allowed keys: " + ", ".join(allowed)
            c.add(_line(block, key), kid, f"target.{key}", "unknown key in target", hint=hint)
        ok = False
    forms = sorted({_FORMS[k] for k in block if k in _FORMS})
    if len(forms) > 1:
        written = ", ".join(str(k) for k in block if k in _FORMS)
        c.add(
            _line(block), kid, "target",
            f"a target mixes forms ({' and '.join(forms)}): {written}",
            hint="write one of " + _EXAMPLES,
        )  # fmt: skip
        return None
    if not forms:
        c.add(
            _line(block), kid, "target", "a target needs value, change and vs, or min and max",
            hint="write one of " + _EXAMPLES,
        )  # fmt: skip
        return None
    by, by_ok = _by(c, block, kid)
    ok = ok and by_ok
    form = forms[0]
    if form != "level":
        for key in ("from", "shape"):
            if key in block:
                c.add(
                    _line(block, key), kid, f"target.{key}",
                    f"'{key}' applies to a target value, not to a {form} target",
                    hint="pacing runs from a baseline to target: {value: ..., by: ..., from: ...}",
                )  # fmt: skip
                ok = False
    numbers: dict[str, float | None] = {}
    wanted = {"level": ("value",), "relative": ("change",), "range": ("min", "max")}[form]
    for key in wanted:
        numbers[key] = _number(block.get(key))
        if numbers[key] is None:
            c.add(
                _line(block, key) if key in block else _line(block), kid, f"target.{key}",
                f"expected a number, found {_show(block.get(key))}"
                if key in block else f"missing '{key}' in a {form} target",
                hint="write one of " + _EXAMPLES,
            )  # fmt: skip
            ok = False
    if form == "level":
        start, start_ok = _start(c, block, kid, by, calendar)
        shape = block.get("shape", "linear")
        if shape not in TARGET_SHAPES:
            c.add(
                _line(block, "shape"), kid, "target.shape",
                f"expected one of {', '.join(TARGET_SHAPES)}, found {_show(shape)}",
                hint=did_you_mean(str(shape), TARGET_SHAPES)
                or "linear: a straight path; seasonal: shaped like the same periods a year ago",
            )  # fmt: skip
            ok = False
        elif "shape" in block and start is None and start_ok:
            c.add(
                _line(block, "shape"), kid, "target.shape",
                "a shape needs a baseline period 'from' to run from",
                hint="e.g. {value: ..., by: 2026-12-31, from: 2026-06, shape: seasonal}",
            )  # fmt: skip
            ok = False
        if not (ok and start_ok):
            return None
        return Target(numbers["value"], by, start, str(shape))
    if form == "relative":
        vs = block.get("vs")
        if vs not in TARGET_VS:
            c.add(
                _line(block, "vs") if "vs" in block else _line(block), kid, "target.vs",
                f"expected one of {', '.join(TARGET_VS)}, found {_show(vs)}"
                if "vs" in block else "a relative target needs 'vs': previous or year_ago",
                hint=did_you_mean(str(vs), TARGET_VS)
                or "change: 0.2 with vs: year_ago aims 20% above the same period a year ago",
            )  # fmt: skip
            ok = False
        change = numbers["change"]
        if change is not None and change <= -1:
            c.add(
                _line(block, "change"), kid, "target.change",
                f"expected a fraction above -1, found {change:g}",
                hint="change is a fraction: -0.1 aims 10% below, 0.2 aims 20% above",
            )  # fmt: skip
            ok = False
        return Target(by=by, change=change, vs=str(vs)) if ok else None
    low, high = numbers["min"], numbers["max"]
    if low is not None and high is not None and low > high:
        c.add(
            _line(block, "min"), kid, "target.min",
            f"min ({low:g}) is above max ({high:g})",
            hint=f"swap them: {{min: {high:g}, max: {low:g}}}",
        )  # fmt: skip
        ok = False
    return Target(by=by, min=low, max=high) if ok else None


def load_target(
    c: _Checker, body: Mapping[Any, Any], kid: str, direction: str | None, calendar: Calendar
) -> Target | None:
    """The KPI's ``target:`` in any of its forms, checked against its ``direction``."""
    from kpikit._load import TARGET_KEYS, _line

    raw = body.get("target")
    target: Target | None = None
    written = raw is not None
    if not written:
        pass
    elif _number(raw) is not None:
        target = Target(_number(raw))
    elif (block := c.mapping(raw, _line(body, "target") or 0, kid, "target")) is not None:
        if not block:
            c.add(
                _line(body, "target"), kid, "target", "expected a target, found an empty mapping",
                hint="write one of " + _EXAMPLES,
            )  # fmt: skip
            return None
        if any(k in TARGET_KEYS for k in block):
            target = _keyed(c, block, kid, TARGET_KEYS, calendar)
        else:
            found, ok = _per_period(c, block, kid)
            target = Target(per_period=found) if ok else None
    else:
        return None
    is_range = target is not None and target.kind == "range"
    line = _line(body, "target") if written else _line(body, "direction")
    if direction == "range" and (not written or (target is not None and not is_range)):
        c.add(
            line, kid, "target",
            "direction: range needs a range target {min, max}"
            + ("" if written else ", and there is no target"),
            hint="e.g. target: {min: 4.5, max: 4.8}; or use direction: up or down",
        )  # fmt: skip
        return None
    if is_range and direction in ("up", "down"):
        c.add(
            line, kid, "target",
            f"a range target {{min, max}} needs direction: range, found direction: {direction}",
            hint="set direction: range (good inside the band), or give a value: target",
        )  # fmt: skip
        return None
    return target


def load_review(
    c: _Checker, raw: Mapping[Any, Any], kid: str | None, base: Path | None
) -> Review | None:
    """The ``review:`` block of the spec (``kid`` None, ``base`` its folder) or of a KPI."""
    from kpikit._load import REVIEW_KEYS, _line, _show

    if raw.get("review") is None:
        return None
    where = "review" if kid is None else f"KPI '{kid}' review"
    block = c.mapping(raw["review"], _line(raw, "review") or 1, kid, "review")
    if block is None:
        return None
    c.keys(block, REVIEW_KEYS, kid, where)
    if kid is not None and "checkins" in block:
        c.add(
            _line(block, "checkins"), kid, "review.checkins",
            "the check-in database is set once, in the spec's top-level review:",
            hint="move checkins: to the review: block at the top of the file",
        )  # fmt: skip
    values: dict[str, Any] = {}
    checks: tuple[tuple[str, str, Any], ...] = (
        ("tolerance", "a fraction from 0 to 1, e.g. 0.05", lambda v: 0 <= v <= 1),
        ("alpha", "a significance level between 0 and 1, e.g. 0.05", lambda v: 0 < v < 1),
    )
    for key, expected, fits in checks:
        if key in block:
            number = _number(block[key])
            if number is None or not fits(number):
                c.add(
                    _line(block, key), kid, f"review.{key}",
                    f"expected {expected}, found {_show(block[key])}",
                    hint=f"{key} is a fraction: 0.05 means 5%",
                )  # fmt: skip
            else:
                values[key] = number
    if "min_denominator" in block:
        count = block["min_denominator"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            c.add(
                _line(block, "min_denominator"), kid, "review.min_denominator",
                f"expected a whole number of 0 or more, found {_show(count)}",
                hint="the fewest observations a rate needs, e.g. min_denominator: 30",
            )  # fmt: skip
        else:
            values["min_denominator"] = count
    if kid is None and block.get("checkins") is not None:
        rel = block["checkins"]
        if isinstance(rel, str) and rel.strip():
            values["checkins"] = ((base or Path(".")) / rel.strip()).resolve()
        else:
            c.add(
                _line(block, "checkins"), None, "review.checkins",
                f"expected the path of a SQLite file, found {_show(rel)}",
                hint="relative to the spec file, e.g. checkins: kpis.checkins.sqlite",
            )  # fmt: skip
    return Review(**values, given=frozenset(values))
