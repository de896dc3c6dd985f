"""Calendar periods: grains, labels, parsing and arithmetic.

A period is named by a label whose form says its grain:

=========  ================  ==========================================
grain      label             example
=========  ================  ==========================================
day        ``YYYY-MM-DD``    ``2026-11-30``
week       ``YYYY-Www``      ``2026-W05`` (ISO week: Monday to Sunday,
                             numbered within its ISO year)
week       ``YYYY-SWww``     ``2026-SW05`` (``week_start: sunday``: Sunday
                             to Saturday, the ISO week of its Monday)
month      ``YYYY-MM``       ``2026-11``
quarter    ``YYYY-Qn``       ``2026-Q4``
quarter    ``FYYYYY-Qn``     ``FY2027-Q1`` (fiscal, ``fiscal_year_start``)
year       ``YYYY``          ``2026``
year       ``FYYYYY``        ``FY2027`` (fiscal: named by the calendar year
                             it ends in)
=========  ================  ==========================================

A spec's :class:`~kpikit.spec.Calendar` (its ``calendar:`` key) says which form its weeks, quarters
and years take; functions that turn days into labels or labels into days take it as
``calendar=`` (the default calendar: ISO weeks, years from January). Labels of one grain and one
calendar sort as text in time order. Everything here is pure Python on
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
    >>> label(dt.date(2026, 4, 1), "quarter", Calendar(fiscal_year_start=4))
    'FY2027-Q1'
"""

from __future__ import annotations

import datetime as dt
import re

from kpikit.errors import ParameterError, did_you_mean
from kpikit.spec import Calendar

__all__ = [
    "DEFAULT_CALENDAR",
    "GRAINS",
    "Calendar",
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
DEFAULT_CALENDAR = Calendar()
_NOMINAL_FISCAL = Calendar(fiscal_year_start=2)  # label arithmetic needs no real start month
_SUNDAY = Calendar(week_start="sunday")

_FORMS = (
    "YYYY-MM-DD (day), YYYY-Www or YYYY-SWww (week), YYYY-MM (month), YYYY-Qn or FYYYYY-Qn "
    "(quarter) or YYYY or FYYYYY (year)"
)
_PATTERNS = (
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-SW(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q(\d)$")),
    ("quarter", re.compile(r"^FY(\d{4})-Q(\d)$")),
    ("year", re.compile(r"^(\d{4})$")),
    ("year", re.compile(r"^FY(\d{4})$")),
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


def _sunday(calendar: Calendar) -> int:
    return 1 if calendar.week_start == "sunday" else 0


def _months(day: dt.date, calendar: Calendar) -> int:
    """Months since the start of fiscal year 1 (January 0001 for the default calendar)."""
    return day.year * 12 + day.month - 1 - (calendar.fiscal_year_start - 1)


def _month_start(months: int, calendar: Calendar) -> dt.date:
    """The first day of the month :func:`_months` numbers ``months``."""
    absolute = months + calendar.fiscal_year_start - 1
    return dt.date(absolute // 12, absolute % 12 + 1, 1)


def _start(day: dt.date, grain: str, calendar: Calendar = DEFAULT_CALENDAR) -> dt.date:
    """First day of the period of ``grain`` that contains ``day``."""
    day = dt.date(day.year, day.month, day.day)
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=(day.weekday() + _sunday(calendar)) % 7)
    if grain == "month":
        return dt.date(day.year, day.month, 1)
    return _from_index(grain, _index(grain, day, calendar), calendar)


def _index(grain: str, start: dt.date, calendar: Calendar = DEFAULT_CALENDAR) -> int:
    """A period's position on its grain's number line (consecutive periods differ by 1)."""
    if grain == "day":
        return start.toordinal()
    if grain == "week":
        # Mondays (Sundays) are 7 days apart, all with the same remainder
        return (start.toordinal() + _sunday(calendar)) // 7
    if grain == "month":
        return start.year * 12 + start.month - 1
    if grain == "quarter":
        return _months(start, calendar) // 3
    return _months(start, calendar) // 12


def _from_index(grain: str, index: int, calendar: Calendar = DEFAULT_CALENDAR) -> dt.date:
    """The first day of the period at ``index`` (inverse of :func:`_index`)."""
    if grain == "day":
        return dt.date.fromordinal(index)
    if grain == "week":  # ordinal 1 (0001-01-01) is a Monday
        return dt.date.fromordinal(index * 7 + 1 - _sunday(calendar))
    if grain == "month":
        return dt.date(index // 12, index % 12 + 1, 1)
    if grain == "quarter":
        return _month_start(index * 3, calendar)
    return _month_start(index * 12, calendar)


def _end(start: dt.date, grain: str, calendar: Calendar = DEFAULT_CALENDAR) -> dt.date:
    """Last day of the period that starts on ``start``."""
    return _from_index(grain, _index(grain, start, calendar) + 1, calendar) - dt.timedelta(1)


def label(start: dt.date, grain: str, calendar: Calendar = DEFAULT_CALENDAR) -> str:
    """The label of the period of ``grain`` that contains the day ``start``.

    ``start`` is usually a period's first day, but any day of the period gives the same label;
    a datetime (or pandas Timestamp) counts by its calendar day. ``calendar`` sets the form of
    weeks, quarters and years.

    Example:
        >>> label(dt.date(2026, 12, 31), "week"), label(dt.date(2026, 11, 15), "quarter")
        ('2026-W53', '2026-Q4')
        >>> label(dt.date(2027, 3, 31), "year", Calendar(fiscal_year_start=4))
        'FY2027'
        >>> label(dt.date(2027, 1, 3), "week", Calendar(week_start="sunday"))
        '2027-SW01'
    """
    grain = check_grain(grain)
    if grain == "day":
        return f"{start.year:04d}-{start.month:02d}-{start.day:02d}"
    if grain == "week":
        if calendar.week_start == "sunday":  # a Sunday week is the ISO week of its Monday
            monday = _start(start, grain, calendar) + dt.timedelta(days=1)
            iso = monday.isocalendar()
            return f"{iso.year:04d}-SW{iso.week:02d}"
        iso = start.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if grain == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if calendar.is_fiscal:
        months = _months(start, calendar)
        year = months // 12 + 1  # named by the calendar year the fiscal year ends in
        if grain == "quarter":
            return f"FY{year:04d}-Q{months % 12 // 3 + 1}"
        return f"FY{year:04d}"
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


def _read(text: object) -> tuple[str, str, list[int]]:
    """``(grain, form, numbers)`` of a label; form is ``''``, ``'SW'`` or ``'FY'``."""
    if not isinstance(text, str):
        raise _bad(text, f" of type {type(text).__name__}", "write the period as text, e.g. '2026'")
    clean = text.strip()
    for grain, pattern in _PATTERNS:
        match = pattern.match(clean)
        if match is not None:
            form = "FY" if clean.startswith("FY") else "SW" if "-SW" in clean else ""
            return grain, form, [int(p) for p in match.groups()]
    hint = None
    if re.match(r"^\d{4}[/._ ]\d", clean):
        hint = f"separate the parts with '-', e.g. {re.sub(r'[/._ ]', '-', clean)!r}"
    elif re.match(r"^\d{4}-[qw]\d", clean):
        hint = f"write Q and W in capitals, e.g. {clean.upper()!r}"
    elif re.match(r"^\d{4}-S?W\d$", clean):
        hint = f"weeks have two digits, e.g. {clean[:-1] + '0' + clean[-1]!r}"
    elif re.match(r"^\d{4}-\d(-|$)", clean):
        hint = "months and days have two digits, e.g. '2026-03'"
    elif re.match(r"^(fy|Fy|fY)\d{4}|^\d{4}-(sw|Sw|sW)\d", clean):
        hint = f"write FY and SW in capitals, e.g. {clean.upper()!r}"
    raise _bad(text, "", hint)


def _calendar_of(form: str, calendar: Calendar | None, text: str) -> Calendar:
    """The calendar to read a label of ``form`` with (``calendar`` when given)."""
    if form == "SW":
        return _SUNDAY
    if form == "FY":
        if calendar is None:
            raise _bad(
                text,
                " (a fiscal period, whose days depend on the month the fiscal year starts in)",
                "pass the spec's calendar: calendar=spec.calendar",
            )
        if not calendar.is_fiscal:
            plain = text.strip()[2:]
            raise _bad(
                text,
                " (a fiscal period, but this calendar's year starts in January)",
                f"write {plain!r}, or set calendar: {{fiscal_year_start: 4}} in the spec",
            )
        return calendar
    return DEFAULT_CALENDAR  # plain labels: ISO weeks, calendar quarters and years


def parse_period(text: str, calendar: Calendar | None = None) -> tuple[str, dt.date, dt.date]:
    """Read a period label into ``(grain, first_day, last_day)`` (both days inclusive).

    A label says its own form, so ``calendar`` is needed only for fiscal labels (``FY2027-Q1``,
    ``FY2027``), whose days depend on the month the fiscal year starts in.

    Raises:
        ParameterError: the text is not a label, or names a day, week, month or quarter that does
            not exist (``2026-13``, ``2026-02-30``, ``2025-W53``), or is fiscal and ``calendar``
            is not.

    Example:
        >>> parse_period("2026-W53")
        ('week', datetime.date(2026, 12, 28), datetime.date(2027, 1, 3))
        >>> parse_period("FY2027-Q1", Calendar(fiscal_year_start=4))
        ('quarter', datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    """
    grain, form, parts = _read(text)
    cal = _calendar_of(form, calendar, text)
    try:
        if grain == "day":
            start = dt.date(*parts)
        elif grain == "week":
            start = dt.date.fromisocalendar(parts[0], parts[1], 1) - dt.timedelta(_sunday(cal))
        elif grain == "month":
            start = dt.date(parts[0], parts[1], 1)
        elif grain == "quarter":
            if not 1 <= parts[1] <= 4:
                raise ValueError(f"quarter {parts[1]} does not exist")
            if form == "FY":
                start = _month_start((parts[0] - 1) * 12 + 3 * (parts[1] - 1), cal)
            else:
                start = dt.date(parts[0], 3 * parts[1] - 2, 1)
        elif form == "FY":
            start = _month_start((parts[0] - 1) * 12, cal)
        else:
            start = dt.date(parts[0], 1, 1)
    except ValueError as exc:
        raise _bad(text, f" ({exc})") from None
    return grain, start, _end(start, grain, cal)


def grain_of(text: str) -> str:
    """The grain of a period label (of any calendar).

    Example:
        >>> grain_of("2026-Q1"), grain_of("FY2027")
        ('quarter', 'year')
    """
    grain, form, _ = _read(text)
    if form != "FY":
        parse_period(text)  # the day, week or month must exist
    return grain


def _position(text: str) -> tuple[str, Calendar, int]:
    """``(grain, calendar, index)`` of a label; fiscal labels count on a nominal calendar."""
    grain, form, _ = _read(text)
    calendar = _NOMINAL_FISCAL if form == "FY" else _calendar_of(form, None, text)
    _, start, _ = parse_period(text, calendar)
    return grain, calendar, _index(grain, start, calendar)


def previous(text: str, n: int = 1) -> str:
    """The label ``n`` periods before ``text`` (after it when ``n`` is negative).

    Works on labels of every calendar (fiscal quarters count as quarters).

    Example:
        >>> previous("2026-W01"), previous("2026-Q1", 4), previous("2026-12", -1)
        ('2025-W52', '2025-Q1', '2027-01')
        >>> previous("FY2027-Q1"), previous("2026-SW01")
        ('FY2026-Q4', '2025-SW52')
    """
    grain, calendar, index = _position(text)
    return label(_from_index(grain, index - n, calendar), grain, calendar)


def period_range(first: str, last: str) -> list[str]:
    """All labels from ``first`` to ``last`` inclusive; both must have the same grain and form.

    Example:
        >>> period_range("2026-11", "2027-02")
        ['2026-11', '2026-12', '2027-01', '2027-02']
    """
    grain, calendar, lo = _position(first)
    last_grain, last_calendar, hi = _position(last)
    if last_grain != grain or last_calendar != calendar:
        raise ParameterError(
            f"cannot make a range from '{first}' to '{last}'",
            expected=f"two {grain} labels" + ("" if last_grain != grain else " of one calendar"),
            found=f"a {grain} and a {last_grain}"
            if last_grain != grain
            else f"'{first}' and '{last}', of different calendars",
        )
    if hi < lo:
        raise ParameterError(
            f"cannot make a range from '{first}' to '{last}'",
            expected=f"a last period on or after '{first}'",
            found=f"'{last}', which comes before it",
            hint="swap the two periods",
        )
    return [label(_from_index(grain, i, calendar), grain, calendar) for i in range(lo, hi + 1)]


def last_complete(max_day: dt.date, grain: str, calendar: Calendar = DEFAULT_CALENDAR) -> str:
    """The last period of ``grain`` whose last day is on or before ``max_day``.

    When ``max_day`` is the last day of its period, that period itself is complete.

    Example:
        >>> last_complete(dt.date(2026, 11, 30), "month")
        '2026-11'
        >>> last_complete(dt.date(2026, 11, 29), "month")
        '2026-10'
        >>> last_complete(dt.date(2027, 3, 31), "year", Calendar(fiscal_year_start=4))
        'FY2027'
    """
    grain = check_grain(grain)
    start = _start(max_day, grain, calendar)
    here = label(start, grain, calendar)
    return (
        here
        if _end(start, grain, calendar) <= dt.date(max_day.year, max_day.month, max_day.day)
        else previous(here)
    )


def bounds(
    grain: str,
    start: str | None = None,
    end: str | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> tuple[dt.date | None, dt.date | None]:
    """The first day of period ``start`` and the last day of period ``end`` (None when not given).

    Both labels must be of ``grain`` and of ``calendar``'s form, and ``end`` must not come
    before ``start``.

    Example:
        >>> bounds("month", "2026-01", "2026-02")
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
        >>> bounds("year", "FY2027", None, Calendar(fiscal_year_start=4))
        (datetime.date(2026, 4, 1), None)
    """
    grain = check_grain(grain)
    days: list[dt.date | None] = []
    for name, text in (("start", start), ("end", end)):
        if text is None:
            days.append(None)
            continue
        found, first, last = parse_period(text, calendar)
        if found != grain:
            raise ParameterError(
                f"{name}={text!r} is a {found}, not a {grain}",
                expected=f"a {grain} label such as {label(first, grain, calendar)!r}",
                found=repr(text),
                hint=f"give a {grain} label, or use grain={found!r}",
            )
        own = label(first, grain, calendar)
        if own != text.strip():
            raise ParameterError(
                f"{name}={text!r} is not a {grain} of the spec's calendar",
                expected=f"a label such as {own!r} (calendar: fiscal_year_start "
                f"{calendar.fiscal_year_start}, week_start {calendar.week_start})",
                found=repr(text),
                hint=f"write {own!r}",
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
