"""KPI design lint that reads the data: a ratio KPI whose denominator is often zero warns.

Each test writes a small CSV (daily rows built with pandas) and a spec that passes every other
design rule, runs ``kpikit lint``, and compares the warning with the periods worked out here by
hand-written pandas: the denominator summed per period over a full calendar of periods, zero or
no rows counted, partial periods left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpikit import lint_spec, load_spec
from kpikit._design_data import zero_denominator_problems
from kpikit.cli import main

# Line 9 is bounce_rate, line 22 orders; with SESSIONS, line 34 sessions and 46 conversion_rate.
SPEC = """\
version: 1
sources:
  web: {{path: web.csv, time: date}}
objectives:
  convert:
    title: Convert visitors
    owner: Head of e-commerce
kpis:
  bounce_rate:
    name: Bounce rate
    description: Share of sessions that left after one page.
    objective: convert
    types: [leading]
    source: web
    numerator: sum(bounces)
    denominator: sum(sessions)
    unit: percent
    direction: down
    target: {{value: 0.4, by: 2026-12-31}}
    cadence: {cadence}
    owner: Web analytics lead
  orders:
    name: Orders
    description: Orders placed on the website.
    objective: convert
    types: [lagging]
    source: web
    measure: sum(orders)
    unit: count
    direction: up
    target: {{value: 100, by: 2026-12-31}}
    cadence: monthly
    owner: E-commerce lead
{extra}"""

SESSIONS = """\
  sessions:
    name: Sessions
    description: Visits to the website.
    objective: convert
    types: [leading]
    source: web
    measure: sum(sessions)
    unit: count
    direction: up
    target: {value: 1000, by: 2026-12-31}
    cadence: monthly
    owner: Web analytics lead
  conversion_rate:
    name: Conversion rate
    description: Orders per session.
    objective: convert
    types: [leading]
    formula: orders / sessions
    unit: percent
    direction: up
    target: {value: 0.03, by: 2026-12-31}
    cadence: monthly
    owner: E-commerce lead
"""

HINT = (
    "Hint: use a longer cadence (cadence: {longer}), a larger segment (a wider filter), or a "
    "guard filter so the KPI covers only rows where the denominator is counted"
)


def days(first: str, last: str, sessions: int = 10) -> pd.DataFrame:
    """Daily rows with ``sessions`` sessions, 3 bounces and 1 order each."""
    date = pd.date_range(first, last, freq="D")
    return pd.DataFrame({"date": date, "sessions": sessions, "bounces": 3, "orders": 1})


def write(
    tmp_path: Path, frame: pd.DataFrame, *, cadence: str = "monthly", extra: str = ""
) -> Path:
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(
        tmp_path / "web.csv", index=False
    )
    path = tmp_path / "kpis.yml"
    path.write_text(SPEC.format(cadence=cadence, extra=extra), encoding="utf-8")
    return path


def lint(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines ``kpikit lint`` prints, with the folder cut off (the summary line dropped)."""
    code = main(["lint", str(path)])
    out = capsys.readouterr().out.replace(f"{path.parent}/", "")
    assert code == 0
    return [line for line in out.splitlines() if not line.endswith("no problems")]


def zero_months(frame: pd.DataFrame, first: str, last: str) -> list[str]:
    """Months from first to last (inclusive) whose summed sessions are zero or have no rows."""
    sums = frame.groupby(frame["date"].dt.strftime("%Y-%m"))["sessions"].sum()
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    sums = sums.reindex(months, fill_value=0)
    return sums[sums == 0].index.tolist()


def test_a_ratio_whose_denominator_is_often_zero_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Jan to Jun 2026; February has rows with no sessions, April has no rows at all
    frame = pd.concat(
        [
            days("2026-01-01", "2026-01-31"),
            days("2026-02-01", "2026-02-28", sessions=0),
            days("2026-03-01", "2026-03-31"),
            days("2026-05-01", "2026-06-30"),
        ]
    )
    empty = zero_months(frame, "2026-01", "2026-06")
    assert empty == ["2026-02", "2026-04"]  # 2 of 6 months: 33%
    path = write(tmp_path, frame)
    assert lint(path, capsys) == [
        "kpis.yml:9: bounce_rate: warning: denominator: the denominator (sum(sessions)) is zero "
        "or has no rows in 2 of 6 complete months (33%): 2026-02, 2026-04; the KPI is empty "
        "(NaN) in those periods " + HINT.format(longer="quarterly")
    ]


@pytest.mark.parametrize(("months", "warns"), [(4, True), (5, False)])
def test_the_rule_warns_from_a_quarter_of_the_periods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], months: int, warns: bool
) -> None:
    # one month of zero sessions (March) out of `months` complete months: 25% warns, 20% not
    last = pd.Period("2026-01", freq="M") + (months - 1)
    frame = pd.concat(
        [
            days("2026-01-01", "2026-02-28"),
            days("2026-03-01", "2026-03-31", sessions=0),
            days("2026-04-01", str(last.end_time.date())),
        ]
    )
    empty = zero_months(frame, "2026-01", str(last))
    assert len(empty) / months == (0.25 if warns else 0.2)
    lines = lint(write(tmp_path, frame), capsys)
    assert lines == (
        [
            "kpis.yml:9: bounce_rate: warning: denominator: the denominator (sum(sessions)) is "
            f"zero or has no rows in 1 of {months} complete months (25%): 2026-03; the KPI is "
            "empty (NaN) in those periods " + HINT.format(longer="quarterly")
        ]
        if warns
        else []
    )


def test_a_partial_period_is_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Jan to Apr with sessions, then 1 to 10 May without: May is partial, so 0 of 4 months
    frame = pd.concat([days("2026-01-01", "2026-04-30"), days("2026-05-01", "2026-05-10", 0)])
    assert zero_months(frame, "2026-01", "2026-05") == ["2026-05"]
    assert lint(write(tmp_path, frame), capsys) == []


def test_a_weekly_kpi_is_judged_on_weeks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ISO weeks 2 to 15 of 2026 (Monday 5 January to Sunday 12 April); sessions only in even
    # weeks, so every month has sessions but every odd week has none
    frame = days("2026-01-05", "2026-04-12")
    iso = frame["date"].dt.isocalendar()
    frame.loc[iso["week"] % 2 == 1, "sessions"] = 0
    week = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    sums = frame.groupby(week)["sessions"].sum()
    empty = sums[sums == 0].index.tolist()
    assert len(sums) == 14 and len(empty) == 7
    assert zero_months(frame, "2026-02", "2026-03") == []
    lines = lint(write(tmp_path, frame, cadence="weekly"), capsys)
    assert lines == [
        "kpis.yml:9: bounce_rate: warning: denominator: the denominator (sum(sessions)) is zero "
        f"or has no rows in 7 of 14 complete weeks (50%): {', '.join(empty[:6])} and 1 more; "
        "the KPI is empty (NaN) in those periods " + HINT.format(longer="monthly")
    ]
    assert empty[:2] == ["2026-W03", "2026-W05"]


def test_a_formula_that_divides_by_a_kpi_warns_on_its_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Jan to Aug 2026; sessions only in Jan, Feb, Apr, Jun, Aug; orders every month
    frame = days("2026-01-01", "2026-08-31")
    frame.loc[frame["date"].dt.month.isin([3, 5, 7]), "sessions"] = 0
    empty = zero_months(frame, "2026-01", "2026-08")
    assert empty == ["2026-03", "2026-05", "2026-07"]  # 3 of 8: 38%
    lines = lint(write(tmp_path, frame, extra=SESSIONS), capsys)
    tail = "; the KPI is empty (NaN) in those periods " + HINT.format(longer="quarterly")
    assert lines == [
        "kpis.yml:9: bounce_rate: warning: denominator: the denominator (sum(sessions)) is zero "
        "or has no rows in 3 of 8 complete months (38%): 2026-03, 2026-05, 2026-07" + tail,
        "kpis.yml:46: conversion_rate: warning: formula: the denominator (sessions) is zero "
        "or has no rows in 3 of 8 complete months (38%): 2026-03, 2026-05, 2026-07" + tail,
    ]


def test_lint_skips_the_check_when_the_data_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = days("2026-01-01", "2026-03-31", sessions=0).astype({"sessions": "object"})
    frame.loc[5, "sessions"] = "n/a"  # text in a summed column: compute raises a DataError
    assert lint(write(tmp_path, frame), capsys) == []


def test_lint_still_works_without_the_data_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, days("2026-01-01", "2026-03-31", sessions=0))
    (tmp_path / "web.csv").unlink()
    assert main(["lint", str(path)]) == 1  # the spec's own check reports the missing file
    out = capsys.readouterr().out
    assert "sources.web.path: file not found" in out and "denominator" not in out


def test_the_python_lint_spec_and_the_sample_spec(tmp_path: Path) -> None:
    # lint_spec is the spec layer's check and reads no data; kpikit lint adds this rule
    path = write(tmp_path, days("2026-01-01", "2026-03-31", sessions=0))
    assert lint_spec(path) == []
    assert len(zero_denominator_problems(load_spec(path), "kpis.yml")) == 1
    assert zero_denominator_problems(load_spec("data/kpis.yml"), "data/kpis.yml") == []
