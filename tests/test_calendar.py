"""Calendars: Sunday weeks and fiscal quarters and years, checked against pandas' own periods.

pandas names a fiscal quarter by the year its fiscal year ends in (``Q-MAR``: April 2026 is
2027Q1) and a Sunday-to-Saturday week by ``W-SAT``, independently of kpikit's arithmetic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpikit.errors import ParameterError
from kpikit.periods import (
    Calendar,
    bounds,
    grain_of,
    label,
    last_complete,
    parse_period,
    period_range,
    previous,
)

D = dt.date
FISCAL_APRIL = Calendar(fiscal_year_start=4)
SUNDAY = Calendar(week_start="sunday")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CALENDARS = [Calendar(), SUNDAY, FISCAL_APRIL, Calendar(fiscal_year_start=10, week_start="sunday")]
days = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))


def _pandas_period(day: dt.date, grain: str, calendar: Calendar) -> pd.Period:
    """The pandas period of ``day``: an independent oracle for the period's days."""
    year_end = _MONTHS[(calendar.fiscal_year_start - 2) % 12]
    freq = {
        "day": "D",
        "week": "W-SAT" if calendar.week_start == "sunday" else "W-SUN",
        "month": "M",
        "quarter": f"Q-{year_end}",
        "year": f"Y-{year_end}",
    }[grain]
    return pd.Period(day, freq=freq)


@pytest.mark.parametrize("calendar", CALENDARS, ids=str)
@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
@given(day=days)
def test_every_day_falls_in_one_period_whose_days_contain_it(
    calendar: Calendar, grain: str, day: dt.date
) -> None:
    text = label(day, grain, calendar)
    found, first, last = parse_period(text, calendar)
    expected = _pandas_period(day, grain, calendar)
    assert found == grain
    assert (first, last) == (expected.start_time.date(), expected.end_time.date())
    assert first <= day <= last
    assert label(first, grain, calendar) == text == label(last, grain, calendar)
    assert label(first - dt.timedelta(1), grain, calendar) == previous(text)
    assert previous(label(last + dt.timedelta(1), grain, calendar)) == text
    if grain in ("quarter", "year") and calendar.is_fiscal:
        assert text.startswith(f"FY{expected.qyear if grain == 'quarter' else expected.year}")


@pytest.mark.parametrize("calendar", CALENDARS, ids=str)
@pytest.mark.parametrize("grain", ["week", "quarter", "year"])
@given(a=days, b=days)
def test_labels_sort_as_text_in_time_order(
    calendar: Calendar, grain: str, a: dt.date, b: dt.date
) -> None:
    first, second = label(min(a, b), grain, calendar), label(max(a, b), grain, calendar)
    assert first <= second
    assert len(period_range(first, second)) == len(
        pd.period_range(
            _pandas_period(min(a, b), grain, calendar), _pandas_period(max(a, b), grain, calendar)
        )
    )


@pytest.mark.parametrize(
    ("day", "grain", "calendar", "expected"),
    [
        (D(2027, 3, 31), "year", FISCAL_APRIL, "FY2027"),
        (D(2027, 4, 1), "year", FISCAL_APRIL, "FY2028"),
        (D(2026, 4, 1), "quarter", FISCAL_APRIL, "FY2027-Q1"),
        (D(2026, 3, 31), "quarter", FISCAL_APRIL, "FY2026-Q4"),
        (D(2026, 12, 31), "quarter", FISCAL_APRIL, "FY2027-Q3"),
        (D(2027, 1, 1), "quarter", FISCAL_APRIL, "FY2027-Q4"),
        (D(2026, 3, 31), "month", FISCAL_APRIL, "2026-03"),  # months are unchanged
        (D(2026, 3, 31), "week", FISCAL_APRIL, "2026-W14"),
        (D(2026, 1, 3), "week", SUNDAY, "2026-SW01"),  # Sunday 2025-12-28 to Saturday
        (D(2027, 1, 2), "week", SUNDAY, "2026-SW53"),  # Saturday closing Sunday week 53
        (D(2027, 1, 3), "week", SUNDAY, "2027-SW01"),  # a Sunday opens the next
        (D(2027, 1, 3), "week", Calendar(), "2026-W53"),  # ISO: still week 53
        (D(2026, 12, 31), "year", SUNDAY, "2026"),
    ],
)
def test_boundaries(day: dt.date, grain: str, calendar: Calendar, expected: str) -> None:
    assert label(day, grain, calendar) == expected


def test_fiscal_year_days_and_arithmetic() -> None:
    assert parse_period("FY2027", FISCAL_APRIL) == ("year", D(2026, 4, 1), D(2027, 3, 31))
    assert parse_period("FY2027-Q4", FISCAL_APRIL) == ("quarter", D(2027, 1, 1), D(2027, 3, 31))
    assert previous("FY2027-Q1", 4) == "FY2026-Q1"
    assert previous("FY2027", -1) == "FY2028"
    assert period_range("FY2026-Q4", "FY2027-Q2") == ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]
    assert grain_of("FY2027-Q3") == "quarter"
    assert last_complete(D(2027, 3, 30), "year", FISCAL_APRIL) == "FY2026"
    assert last_complete(D(2027, 3, 31), "quarter", FISCAL_APRIL) == "FY2027-Q4"
    assert bounds("quarter", "FY2027-Q1", "FY2027-Q2", FISCAL_APRIL) == (
        D(2026, 4, 1),
        D(2026, 9, 30),
    )


def test_sunday_weeks() -> None:
    assert parse_period("2026-SW53") == ("week", D(2026, 12, 27), D(2027, 1, 2))
    assert period_range("2026-SW52", "2027-SW01") == ["2026-SW52", "2026-SW53", "2027-SW01"]
    assert bounds("week", "2026-SW01", None, SUNDAY) == (D(2025, 12, 28), None)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: parse_period("FY2027"), r"a fiscal period.*Hint: pass the spec's calendar"),
        (lambda: parse_period("FY2027-Q1", Calendar()), r"Hint: write '2027-Q1'"),
        (lambda: bounds("quarter", "2026-Q2", None, FISCAL_APRIL), r"Hint: write 'FY2027-Q1'"),
        (lambda: bounds("week", "2026-W05", None, SUNDAY), r"Hint: write '2026-SW05'"),
        (lambda: bounds("week", "2026-SW05"), r"Hint: write '2026-W04'"),  # starts on a Sunday
        (lambda: parse_period("fy2027"), r"Hint: write FY and SW in capitals, e\.g\. 'FY2027'"),
        (lambda: parse_period("2025-SW53"), r"invalid period '2025-SW53'"),
        (lambda: period_range("2026-W01", "2026-SW02"), r"of different calendars"),
    ],
)
def test_calendar_errors(call: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fiscal_year_start": 13}, r"expected a whole number from 1 \(January\) to 12"),
        ({"week_start": "sundy"}, r"Hint: did you mean 'sunday'\?"),
    ],
)
def test_calendar_value_checks(kwargs: dict[str, object], match: str) -> None:
    from kpikit.errors import KpikitError

    with pytest.raises(KpikitError, match=match):
        Calendar(**kwargs)  # type: ignore[arg-type]
