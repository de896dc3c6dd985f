from __future__ import annotations

import datetime as dt
import doctest
import math
from pathlib import Path

import pandas as pd
import pytest

from kpikit import fmt
from kpikit.errors import ParameterError
from kpikit.fmt import (
    EMPTY,
    format_change,
    format_segment,
    format_target,
    format_value,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(fmt)
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234567, "currency", "1,234,567"),
        (1234567.4, "currency", "1,234,567"),
        (54.2, "currency", "54.20"),
        (0.85, "currency", "0.85"),
        (999.999, "currency", "1,000.00"),
        (12345, "count", "12,345"),
        (7, "count", "7"),
        (2.5, "count", "2.5"),
        (0.0512, "percent", "5.1%"),
        (1.0, "percent", "100.0%"),
        (0.0, "percent", "0.0%"),
        (4.1234, "ratio", "4.12"),
        (4.26, "score", "4.3"),
        (41.0, "score", "41.0"),
        (42, "duration", "42s"),
        (185, "duration", "3m 05s"),
        (7500, "duration", "2h 05m"),
        (100000, "duration", "1d 03h"),
        (-2500, "currency", "−2,500"),
        (-0.031, "percent", "−3.1%"),
        (0.0045, "percent", "0.45%"),
        (0.00996, "percent", "1.0%"),
        (-0.00001, "percent", "0.00%"),
        (-0.001, "ratio", "0.00"),
    ],
)
def test_format_value(value: float, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567, "1.23M"),
        (999_999, "1M"),
        (123_456, "123K"),
        (12_345, "12.3K"),
        (1_500, "1.5K"),
        (999, "999"),
        (54.2, "54.2"),
        (0.85, "0.85"),
        (0, "0"),
        (1_200_000, "1.2M"),
        (2.5e9, "2.5B"),
        (-1_234_567, "−1.23M"),
    ],
)
def test_format_value_compact(value: float, expected: str) -> None:
    assert format_value(value, "currency", compact=True) == expected
    assert format_value(value, "count", compact=True) == expected


def test_compact_leaves_rates_alone() -> None:
    assert format_value(0.0512, "percent", compact=True) == "5.1%"
    assert format_value(4.1234, "ratio", compact=True) == "4.12"


@pytest.mark.parametrize("empty", [None, float("nan"), pd.NA, math.nan, pd.NaT])
@pytest.mark.parametrize("unit", ["count", "currency", "percent", "ratio", "score", "duration"])
def test_empty_values_show_a_dash(empty: object, unit: str) -> None:
    assert format_value(empty, unit) == EMPTY == "–"


def test_numpy_numbers_are_numbers() -> None:
    import numpy as np

    assert format_value(np.float64(0.25), "percent") == "25.0%"
    assert format_value(np.int64(12345), "count") == "12,345"


def test_unknown_unit_is_a_parameter_error_with_a_hint() -> None:
    with pytest.raises(
        ParameterError, match=r"unknown unit.*found 'curency'.*did you mean 'currency'"
    ):
        format_value(1, "curency")


def test_text_is_not_a_number() -> None:
    with pytest.raises(
        ParameterError, match="cannot format a KPI value: expected a number, found '12'"
    ):
        format_value("12", "count")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (0.042, "+4.2%"),
        (-0.031, "−3.1%"),
        (0.0, "0.0%"),
        (-0.0004, "0.0%"),
        (1.5, "+150.0%"),
        (None, "–"),
        (float("nan"), "–"),
        (pd.NA, "–"),
    ],
)
def test_format_change(change: object, expected: str) -> None:
    assert format_change(change) == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("north", "north"),
        (None, "(missing)"),
        (float("nan"), "(missing)"),
        (pd.NA, "(missing)"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
    ],
)
def test_format_segment(segment: object, expected: str) -> None:
    assert format_segment(segment) == expected


def test_format_segment_spells_numpy_booleans_like_the_spec() -> None:
    import numpy as np

    assert [format_segment(v) for v in np.array([True, False])] == ["true", "false"]


def test_format_target_accepts_dates_and_text() -> None:
    assert format_target(1.2e6, "currency", dt.date(2026, 12, 31)) == "1,200,000 by 2026-12-31"
    assert format_target(0.36, "percent", "2026-12-31") == "36.0% by 2026-12-31"
    assert format_target(5.5, "ratio", None) == "5.50"
    assert format_target(None, "ratio", "2026-12-31") == "–"


def test_import_fmt_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kpikit.fmt\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'matplotlib'}))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"
