"""Calendar periods: grains, labels, parsing and arithmetic.

A period is named by a label whose form says its grain:

=========  ==============  ==========================================
grain      label           example
=========  ==============  ==========================================
day        ``YYYY-MM-DD``  ``2026-11-30``
week       ``YYYY-Www``    ``2026-W05`` (ISO week: Monday to Sunday,
                           numbered within its ISO year)
month      ``YYYY-MM``     ``2026-11``
quarter    ``YYYY-Qn``     ``2026-Q4``
year       ``YYYY``        ``2026``
=========  ==============  ==========================================

Labels of one grain sort as text in time order. Everything here is pure Python on
:class:`datetime.date`; the engine buckets rows in the dataframe and uses this module only
to name the few resulting periods.

Example:
    >>> import datetime as dt
    >>> label(dt.date(2027, 1, 1), "week")
    '2026-W53'
    >>> parse_period("2026-Q4")
    ('quarter', datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    >>> previous("2026-01", 2)
    '2025-11'
    >>> last_complete(dt.date(2026, 11, 30), "month")
    '2026-11'
"""

from __future__ import annotations

import datetime as dt
import re

from kpikit.errors import ParameterError, did_you_mean

__all__ = [
    "GRAINS",
    "bounds",
    "check_grain",
    "grain_of",
    "label",
    "last_complete",
    "parse_period",
    "period_range",
    "previous",
]

GRAINS = ("day", "week", "month", "quarter", "year")

_FORMS = "YYYY-MM-DD (day), YYYY-Www (week), YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year)"
_PATTERNS = (
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q(\d)$")),
    ("year", re.compile(r"^(\d{4})$")),
)


def check_grain(grain: object) -> str:
    """Return ``grain`` if it is one of :data:`GRAINS`, else raise ParameterError.

    Example:
        >>> check_grain("month")
        'month'
    """
    if grain not in GRAINS:
        raise ParameterError(
            f"unknown grain {grain!r}",
            expected="one of " + ", ".join(GRAINS),
            found=repr(grain),
            hint=did_you_mean(str(grain), GRAINS) or "grain='month' gives one row per month",
        )
    return str(grain)


def _start(day: dt.date, grain: str) -> dt.date:
    """First day of the period of ``grain`` that contains ``day``."""
    if grain == "day":
        return dt.date(day.year, day.month, day.day)
    if grain == "week":
        return dt.date(day.year, day.month, day.day) - dt.timedelta(days=day.weekday())
    if grain == "month":
        return dt.date(day.year, day.month, 1)
    if grain == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def _index(grain: str, start: dt.date) -> int:
    """A period's position on its grain's number line (consecutive periods differ by 1)."""
    if grain == "day":
        return start.toordinal()
    if grain == "week":
        return start.toordinal() // 7  # Mondays are 7 days apart, all with the same remainder
    if grain == "month":
        return start.year * 12 + start.month - 1
    if grain == "quarter":
        return start.year * 4 + (start.month - 1) // 3
    return start.year


def _from_index(grain: str, index: int) -> dt.date:
    """The first day of the period at ``index`` (inverse of :func:`_index`)."""
    if grain == "day":
        return dt.date.fromordinal(index)
    if grain == "week":
        return dt.date.fromordinal(index * 7 + 1)  # ordinal 1 (0001-01-01) is a Monday
    if grain == "month":
        return dt.date(index // 12, index % 12 + 1, 1)
    if grain == "quarter":
        return dt.date(index // 4, 3 * (index % 4) + 1, 1)
    return dt.date(index, 1, 1)


def _end(start: dt.date, grain: str) -> dt.date:
    """Last day of the period that starts on ``start``."""
    return _from_index(grain, _index(grain, start) + 1) - dt.timedelta(days=1)


def label(start: dt.date, grain: str) -> str:
    """The label of the period of ``grain`` that contains the day ``start``.

    ``start`` is usually a period's first day, but any day of the period gives the same label;
    a datetime (or pandas Timestamp) counts by its calendar day.

    Example:
        >>> label(dt.date(2026, 12, 31), "week"), label(dt.date(2026, 11, 15), "quarter")
        ('2026-W53', '2026-Q4')
    """
    grain = check_grain(grain)
    if grain == "day":
        return f"{start.year:04d}-{start.month:02d}-{start.day:02d}"
    if grain == "week":
        iso = start.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if grain == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def _bad(text: object, why: str, hint: str | None = None) -> ParameterError:
    return ParameterError(
        f"invalid period {text!r}",
        expected=f"a period label {_FORMS}",
        found=f"{text!r}{why}",
        hint=hint or "e.g. '2026-11' for November 2026, '2026-Q4' or '2026-W05'",
    )


def parse_period(text: str) -> tuple[str, dt.date, dt.date]:
    """Read a period label into ``(grain, first_day, last_day)`` (both days inclusive).

    Raises:
        ParameterError: the text is not a label, or names a day, week, month or quarter that does
            not exist (``2026-13``, ``2026-02-30``, ``2025-W53``).

    Example:
        >>> parse_period("2026-W53")
        ('week', datetime.date(2026, 12, 28), datetime.date(2027, 1, 3))
    """
    if not isinstance(text, str):
        raise _bad(text, f" of type {type(text).__name__}", "write the period as text, e.g. '2026'")
    clean = text.strip()
    for grain, pattern in _PATTERNS:
        match = pattern.match(clean)
        if match is None:
            continue
        parts = [int(p) for p in match.groups()]
        try:
            if grain == "day":
                start = dt.date(*parts)
            elif grain == "week":
                start = dt.date.fromisocalendar(parts[0], parts[1], 1)
            elif grain == "month":
                start = dt.date(parts[0], parts[1], 1)
            elif grain == "quarter":
                if not 1 <= parts[1] <= 4:
                    raise ValueError(f"quarter {parts[1]} does not exist")
                start = dt.date(parts[0], 3 * parts[1] - 2, 1)
            else:
                start = dt.date(parts[0], 1, 1)
        except ValueError as exc:
            raise _bad(text, f" ({exc})") from None
        return grain, start, _end(start, grain)
    hint = None
    if re.match(r"^\d{4}[/._ ]\d", clean):
        hint = f"separate the parts with '-', e.g. {re.sub(r'[/._ ]', '-', clean)!r}"
    elif re.match(r"^\d{4}-[qw]\d", clean):
        hint = f"write Q and W in capitals, e.g. {clean.upper()!r}"
    elif re.match(r"^\d{4}-W\d$", clean):
        hint = f"weeks have two digits, e.g. {clean[:-1] + '0' + clean[-1]!r}"
    elif re.match(r"^\d{4}-\d(-|$)", clean):
        hint = "months and days have two digits, e.g. '2026-03'"
    raise _bad(text, "", hint)


def grain_of(text: str) -> str:
    """The grain of a period label.

    Example:
        >>> grain_of("2026-Q1")
        'quarter'
    """
    return parse_period(text)[0]


def previous(text: str, n: int = 1) -> str:
    """The label ``n`` periods before ``text`` (after it when ``n`` is negative).

    Example:
        >>> previous("2026-W01"), previous("2026-Q1", 4), previous("2026-12", -1)
        ('2025-W52', '2025-Q1', '2027-01')
    """
    grain, start, _ = parse_period(text)
    return label(_from_index(grain, _index(grain, start) - n), grain)


def period_range(first: str, last: str) -> list[str]:
    """All labels from ``first`` to ``last`` inclusive; both must have the same grain.

    Example:
        >>> period_range("2026-11", "2027-02")
        ['2026-11', '2026-12', '2027-01', '2027-02']
    """
    grain, start, _ = parse_period(first)
    last_grain, last_start, _ = parse_period(last)
    if last_grain != grain:
        raise ParameterError(
            f"cannot make a range from '{first}' to '{last}'",
            expected=f"two {grain} labels",
            found=f"a {grain} and a {last_grain}",
        )
    if last_start < start:
        raise ParameterError(
            f"cannot make a range from '{first}' to '{last}'",
            expected=f"a last period on or after '{first}'",
            found=f"'{last}', which comes before it",
            hint="swap the two periods",
        )
    lo, hi = _index(grain, start), _index(grain, last_start)
    return [label(_from_index(grain, i), grain) for i in range(lo, hi + 1)]


def last_complete(max_day: dt.date, grain: str) -> str:
    """The last period of ``grain`` whose last day is on or before ``max_day``.

    When ``max_day`` is the last day of its period, that period itself is complete.

    Example:
        >>> last_complete(dt.date(2026, 11, 30), "month")
        '2026-11'
        >>> last_complete(dt.date(2026, 11, 29), "month")
        '2026-10'
    """
    grain = check_grain(grain)
    start = _start(max_day, grain)
    here = label(start, grain)
    return (
        here
        if _end(start, grain) <= dt.date(max_day.year, max_day.month, max_day.day)
        else previous(here)
    )


def bounds(
    grain: str, start: str | None = None, end: str | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The first day of period ``start`` and the last day of period ``end`` (None when not given).

    Both labels must be of ``grain``, and ``end`` must not come before ``start``.

    Example:
        >>> bounds("month", "2026-01", "2026-02")
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
    """
    grain = check_grain(grain)
    days: list[dt.date | None] = []
    for name, text in (("start", start), ("end", end)):
        if text is None:
            days.append(None)
            continue
        found, first, last = parse_period(text)
        if found != grain:
            raise ParameterError(
                f"{name}={text!r} is a {found}, not a {grain}",
                expected=f"a {grain} label such as {label(first, grain)!r}",
                found=repr(text),
                hint=f"give a {grain} label, or use grain={found!r}",
            )
        days.append(first if name == "start" else last)
    if days[0] is not None and days[1] is not None and days[1] < days[0]:
        raise ParameterError(
            f"end={end!r} comes before start={start!r}",
            expected="an end period on or after the start period",
            found=f"{start} .. {end}",
            hint="swap start and end",
        )
    return days[0], days[1]
