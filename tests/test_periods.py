from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpikit import periods
from kpikit.errors import ParameterError
from kpikit.periods import (
    GRAINS,
    bounds,
    check_grain,
    grain_of,
    label,
    last_complete,
    parse_period,
    period_range,
    previous,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "grain", "expected"),
    [
        (D(2026, 3, 7), "day", "2026-03-07"),
        (D(2026, 1, 29), "week", "2026-W05"),
        (D(2026, 12, 31), "week", "2026-W53"),  # Thursday of ISO week 53
        (D(2027, 1, 1), "week", "2026-W53"),  # belongs to the ISO year 2026
        (D(2027, 1, 3), "week", "2026-W53"),  # Sunday closes the week
        (D(2027, 1, 4), "week", "2027-W01"),
        (D(2024, 12, 30), "week", "2025-W01"),  # ISO year ahead of the calendar year
        (D(2026, 11, 30), "month", "2026-11"),
        (D(2026, 2, 1), "quarter", "2026-Q1"),
        (D(2026, 6, 30), "quarter", "2026-Q2"),
        (D(2026, 7, 1), "quarter", "2026-Q3"),
        (D(2026, 12, 31), "quarter", "2026-Q4"),
        (D(2026, 12, 31), "year", "2026"),
        (dt.datetime(2026, 3, 7, 23, 59, 59), "day", "2026-03-07"),
    ],
)
def test_label(day: dt.date, grain: str, expected: str) -> None:
    assert label(day, grain) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-07", ("day", D(2026, 3, 7), D(2026, 3, 7))),
        ("2026-W05", ("week", D(2026, 1, 26), D(2026, 2, 1))),
        ("2026-W53", ("week", D(2026, 12, 28), D(2027, 1, 3))),
        ("2026-W01", ("week", D(2025, 12, 29), D(2026, 1, 4))),
        ("2028-02", ("month", D(2028, 2, 1), D(2028, 2, 29))),  # leap year
        ("2026-02", ("month", D(2026, 2, 1), D(2026, 2, 28))),
        ("2026-12", ("month", D(2026, 12, 1), D(2026, 12, 31))),
        ("2026-Q4", ("quarter", D(2026, 10, 1), D(2026, 12, 31))),
        ("2026-Q1", ("quarter", D(2026, 1, 1), D(2026, 3, 31))),
        ("2026", ("year", D(2026, 1, 1), D(2026, 12, 31))),
        (" 2026-11 ", ("month", D(2026, 11, 1), D(2026, 11, 30))),
    ],
)
def test_parse_period(text: str, expected: tuple[str, dt.date, dt.date]) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("2026-13", r"invalid period '2026-13'.*month must be in 1\.\.12"),
        (
            "2026/11",
            r"invalid period '2026/11'.*Hint: separate the parts with '-', e\.g\. '2026-11'",
        ),
        ("2026.11", r"Hint: separate the parts with '-'"),
        ("2026-q1", r"Hint: write Q and W in capitals, e\.g\. '2026-Q1'"),
        ("2026-w05", r"Hint: write Q and W in capitals"),
        ("2026-W5", r"Hint: weeks have two digits, e\.g\. '2026-W05'"),
        ("2026-3", r"Hint: months and days have two digits"),
        ("2025-W53", r"invalid period '2025-W53'.*found '2025-W53' \(.*week"),
        ("2026-02-30", r"invalid period '2026-02-30'.*day is out of range"),
        ("2026-Q5", r"quarter 5 does not exist"),
        ("", r"invalid period ''.*expected a period label YYYY-MM-DD \(day\)"),
        ("November 2026", r"expected a period label .*YYYY-Qn \(quarter\)"),
    ],
)
def test_parse_period_errors(text: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_period(text)


def test_parse_period_rejects_non_text() -> None:
    with pytest.raises(ParameterError, match=r"of type int.*write the period as text"):
        parse_period(2026)  # type: ignore[arg-type]


def test_grain_of() -> None:
    assert [grain_of(t) for t in ("2026-01-02", "2026-W02", "2026-01", "2026-Q1", "2026")] == list(
        GRAINS
    )


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("2026-01-01", 1, "2025-12-31"),
        ("2024-03-01", 1, "2024-02-29"),
        ("2027-W01", 1, "2026-W53"),
        ("2026-W01", 1, "2025-W52"),
        ("2026-W53", -1, "2027-W01"),
        ("2026-W10", 52, "2025-W10"),
        ("2026-01", 1, "2025-12"),
        ("2026-01", 12, "2025-01"),
        ("2026-12", -1, "2027-01"),
        ("2026-Q1", 1, "2025-Q4"),
        ("2026-Q1", 4, "2025-Q1"),
        ("2026", 3, "2023"),
        ("2026-05", 0, "2026-05"),
    ],
)
def test_previous(text: str, n: int, expected: str) -> None:
    assert previous(text, n) == expected


def test_period_range() -> None:
    assert period_range("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert period_range("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert period_range("2025-Q4", "2026-Q2") == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert period_range("2024-02-28", "2024-03-01") == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert period_range("2026", "2026") == ["2026"]


def test_period_range_errors() -> None:
    with pytest.raises(
        ParameterError, match=r"expected two month labels, found a month and a quarter"
    ):
        period_range("2026-01", "2026-Q2")
    with pytest.raises(ParameterError, match=r"'2026-01', which comes before it.*swap"):
        period_range("2026-03", "2026-01")


@pytest.mark.parametrize(
    ("max_day", "grain", "expected"),
    [
        (D(2026, 11, 30), "month", "2026-11"),  # month end: the month itself is complete
        (D(2026, 11, 29), "month", "2026-10"),  # mid-month: the month before
        (D(2026, 11, 15), "month", "2026-10"),
        (D(2026, 12, 1), "month", "2026-11"),
        (D(2024, 2, 29), "month", "2024-02"),
        (D(2026, 12, 31), "quarter", "2026-Q4"),
        (D(2026, 11, 30), "quarter", "2026-Q3"),
        (D(2026, 12, 31), "year", "2026"),
        (D(2026, 12, 30), "year", "2025"),
        (D(2026, 3, 1), "week", "2026-W09"),  # a Sunday ends its week
        (D(2026, 2, 28), "week", "2026-W08"),  # a Saturday does not
        (D(2026, 11, 15), "day", "2026-11-15"),
        (dt.datetime(2026, 11, 30, 0, 0, 1), "month", "2026-11"),
    ],
)
def test_last_complete(max_day: dt.date, grain: str, expected: str) -> None:
    assert last_complete(max_day, grain) == expected


def test_check_grain() -> None:
    assert check_grain("week") == "week"
    with pytest.raises(ParameterError, match=r"unknown grain 'monthly'.*did you mean 'month'\?"):
        check_grain("monthly")
    with pytest.raises(ParameterError, match=r"unknown grain 'hour'.*expected one of day, week"):
        label(D(2026, 1, 1), "hour")


def test_bounds() -> None:
    assert bounds("month") == (None, None)
    assert bounds("month", "2026-01", "2026-02") == (D(2026, 1, 1), D(2026, 2, 28))
    assert bounds("week", end="2026-W53") == (None, D(2027, 1, 3))
    with pytest.raises(ParameterError, match=r"start='2026-Q1' is a quarter, not a month"):
        bounds("month", "2026-Q1")
    with pytest.raises(ParameterError, match=r"end='2026-01' comes before start='2026-03'"):
        bounds("month", "2026-03", "2026-01")


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)), st.sampled_from(GRAINS))
def test_label_parse_round_trip(day: dt.date, grain: str) -> None:
    text = label(day, grain)
    found, first, last = parse_period(text)
    assert found == grain
    assert first <= day <= last
    assert label(first, grain) == label(last, grain) == text
    assert parse_period(previous(text, -1))[1] == last + dt.timedelta(days=1)
    assert previous(previous(text, 5), -5) == text
    assert sorted([previous(text), text]) == [previous(text), text]  # labels sort in time order


def test_module_is_pure() -> None:
    assert "pandas" not in periods.__dict__
