"""Time in the engine: fiscal calendars, Sunday weeks, the time spine and time zones.

Every expectation is computed independently in the test with pandas' own periods (``Q-MAR`` for a
fiscal year starting in April, ``W-SAT`` for Sunday-to-Saturday weeks) and ``tz_convert``, on
every backend.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpikit import compute, lint_spec, load_spec
from kpikit.engine import last_complete_period
from kpikit.errors import ParameterError, SpecError
from kpikit.spec import Spec

KPIS = """
  revenue: {name: Revenue, source: orders, measure: sum(amount), unit: currency, direction: up}
  orders: {name: Orders, source: orders, measure: count(), unit: count, direction: up}
  buyers: {name: Buyers, source: orders, measure: count_distinct(customer), unit: count,
           direction: up}
  basket: {name: Basket, source: orders, measure: mean(amount), unit: currency, direction: up}
  biggest: {name: Biggest, source: orders, measure: max(amount), unit: currency, direction: up}
  aov: {name: AOV, source: orders, numerator: sum(amount), denominator: count(), unit: currency,
        direction: up}
  growth: {name: Growth, formula: "revenue - lag(revenue, 1)", unit: currency, direction: up}
"""


def write(folder: Path, frame: pd.DataFrame, top: str = "", source: str = "") -> Spec:
    """A spec with one source ``orders`` (time column ``t``) and :data:`KPIS`."""
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "orders.csv", index=False)
    text = (
        "version: 1\n"
        + textwrap.dedent(top)
        + "sources:\n  orders: {path: orders.csv, time: t"
        + (", " + source if source else "")
        + "}\nkpis:"
        + KPIS
    )
    (folder / "kpis.yml").write_text(text, encoding="utf-8")
    return load_spec(folder / "kpis.yml")


def frame_of(times: list[str], amounts: list[float] | None = None) -> pd.DataFrame:
    amounts = amounts or [float(2**i) for i in range(len(times))]
    return pd.DataFrame(
        {"t": times, "amount": amounts, "customer": [f"c{i % 3}" for i in range(len(times))]}
    )


def fiscal_label(period: pd.Period, grain: str) -> str:
    """pandas names a Q-MAR / Y-MAR period by the year its fiscal year ends in, as kpikit does."""
    if grain == "quarter":
        return f"FY{period.qyear}-Q{period.quarter}"
    return f"FY{period.year}"


def sums(table: pd.DataFrame, kpi: str) -> dict[str, float]:
    rows = table[table["kpi"] == kpi]
    return dict(zip(rows["period"], rows["value"], strict=True))


# --- fiscal calendars --------------------------------------------------------------------------

BOUNDARY = frame_of(
    [
        "2026-03-31 23:59:59",  # the last second of FY2026
        "2026-04-01 00:00:00",  # the first of FY2027
        "2026-06-30 12:00",
        "2026-12-31 23:00",
        "2027-01-01 01:00",
        "2027-03-31 10:00",
        "2027-04-01 10:00",
    ]
)


@pytest.mark.parametrize(("grain", "freq"), [("quarter", "Q-MAR"), ("year", "Y-MAR")])
def test_fiscal_quarters_and_years_match_pandas(tmp_path, backend, native, grain, freq) -> None:
    spec = write(tmp_path, BOUNDARY, "calendar: {fiscal_year_start: 4}\n")
    got = compute(spec, grain=grain, kpis=["revenue"], data={"orders": native(BOUNDARY)})
    times = pd.to_datetime(BOUNDARY["t"], format="ISO8601")
    span = pd.period_range(times.min(), times.max(), freq=freq)
    grouped = BOUNDARY.groupby(times.dt.to_period(freq))["amount"].sum()
    expected = {fiscal_label(p, grain): float(grouped.get(p, 0.0)) for p in span}
    assert sums(got, "revenue") == expected
    assert got["period"].tolist() == sorted(got["period"])  # FY labels sort as text


def test_fiscal_boundaries_by_hand(tmp_path, backend) -> None:
    spec = write(tmp_path, BOUNDARY, "calendar: {fiscal_year_start: 4}\n")
    got = compute(spec, grain="year", kpis=["revenue"], backend=backend)
    assert sums(got, "revenue") == {"FY2026": 1.0, "FY2027": 2 + 4 + 8 + 16 + 32, "FY2028": 64}
    months = compute(spec, grain="month", kpis=["revenue"], start="2026-03", end="2026-04")
    assert sums(months, "revenue") == {"2026-03": 1.0, "2026-04": 2.0}  # months are unchanged


def test_fiscal_start_end_compare_and_last_complete(tmp_path, backend) -> None:
    days = pd.date_range("2024-04-01", "2026-08-15", freq="D")
    frame = frame_of([d.strftime("%Y-%m-%d") for d in days], [float(d.day) for d in days])
    spec = write(tmp_path, frame, "calendar: {fiscal_year_start: 4}\n")
    got = compute(
        spec, grain="quarter", kpis=["revenue"], start="FY2026-Q4", end="FY2027-Q2",
        compare=["previous", "year_ago"], backend=backend,
    )  # fmt: skip
    by_quarter = frame.groupby(days.to_period("Q-MAR"))["amount"].sum()
    want = {fiscal_label(p, "quarter"): v for p, v in by_quarter.items()}
    assert got["period"].tolist() == ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]
    assert got["value"].tolist() == [want["FY2026-Q4"], want["FY2027-Q1"], want["FY2027-Q2"]]
    assert got["previous_value"].tolist()[:2] == [want["FY2026-Q3"], want["FY2026-Q4"]]
    assert got["year_ago_value"].tolist()[:2] == [want["FY2025-Q4"], want["FY2026-Q1"]]
    assert got["complete"].tolist() == [True, True, False]  # data ends 2026-08-15
    # FY2027-Q2 (July-September 2026) is partial: compared like for like, July 1 - August 15
    partial = frame[(days >= "2025-07-01") & (days <= "2025-08-15")]["amount"].sum()
    assert got["year_ago_to_date"].tolist()[2] and got["year_ago_value"].iloc[2] == partial
    assert last_complete_period(spec, "quarter", backend=backend) == "FY2027-Q1"
    assert last_complete_period(spec, "year", backend=backend) == "FY2026"


def test_plain_labels_with_a_fiscal_calendar_say_which_label(tmp_path) -> None:
    spec = write(tmp_path, BOUNDARY, "calendar: {fiscal_year_start: 4}\n")
    with pytest.raises(ParameterError, match=r"start='2026-Q2'.*Hint: write 'FY2027-Q1'"):
        compute(spec, grain="quarter", start="2026-Q2")


# --- Sunday weeks ------------------------------------------------------------------------------

WEEK_EDGES = frame_of(
    [
        "2026-12-26 23:59",  # Saturday
        "2026-12-27 00:00",  # Sunday: a new Sunday week, still ISO week 52
        "2026-12-31 12:00",
        "2027-01-02 23:59",  # Saturday closing Sunday week 2026-SW53
        "2027-01-03 00:01",  # Sunday: 2027-SW01, still ISO 2026-W53
        "2027-01-04 00:00",  # Monday: ISO 2027-W01
    ]
)


@pytest.mark.parametrize(("week_start", "freq"), [("sunday", "W-SAT"), ("monday", "W-SUN")])
def test_weeks_match_pandas(tmp_path, backend, native, week_start, freq) -> None:
    spec = write(tmp_path, WEEK_EDGES, f"calendar: {{week_start: {week_start}}}\n")
    got = compute(spec, grain="week", kpis=["revenue"], data={"orders": native(WEEK_EDGES)})
    times = pd.to_datetime(WEEK_EDGES["t"], format="ISO8601")
    grouped = WEEK_EDGES.groupby(times.dt.to_period(freq))["amount"].sum()

    def name(period: pd.Period) -> str:  # the ISO week of the week's Monday
        monday = period.start_time + pd.Timedelta(days=1 if week_start == "sunday" else 0)
        year, week, _ = monday.isocalendar()
        return f"{year}-{'SW' if week_start == 'sunday' else 'W'}{week:02d}"

    assert sums(got, "revenue") == {name(p): v for p, v in grouped.items()}


def test_sunday_week_labels_by_hand(tmp_path, backend) -> None:
    spec = write(tmp_path, WEEK_EDGES, "calendar: {week_start: sunday}\n")
    got = compute(spec, grain="week", kpis=["revenue"], backend=backend)
    assert sums(got, "revenue") == {"2026-SW52": 1.0, "2026-SW53": 2 + 4 + 8, "2027-SW01": 48}


# --- the property: every row in exactly one period that contains its day ----------------------

CALENDARS = ["", "calendar: {week_start: sunday}\n", "calendar: {fiscal_year_start: 4}\n",
             "calendar: {fiscal_year_start: 10, week_start: sunday}\n"]  # fmt: skip
MOMENTS = st.datetimes(min_value=dt.datetime(2023, 12, 20), max_value=dt.datetime(2025, 1, 10))


@pytest.mark.parametrize("calendar", range(len(CALENDARS)))
def test_every_row_falls_in_exactly_one_period(tmp_path, backend, native, calendar) -> None:
    from kpikit.periods import parse_period

    spec = write(tmp_path, BOUNDARY, CALENDARS[calendar])

    @settings(
        max_examples=3 if backend == "spark" else 12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(MOMENTS, min_size=1, max_size=25))
    def check(moments: list[dt.datetime]) -> None:
        frame = frame_of([m.strftime("%Y-%m-%d %H:%M:%S") for m in moments])
        frame["t"] = pd.to_datetime(frame["t"])
        for grain in ("day", "week", "month", "quarter", "year"):
            got = compute(spec, grain=grain, kpis=["orders"], data={"orders": native(frame)})
            assert got["value"].sum() == len(frame)  # each row counted once
            ranges = [parse_period(p, spec.calendar)[1:] for p in got["period"]]
            for (first, last), value in zip(ranges, got["value"], strict=True):
                inside = frame["t"].dt.date.between(first, last).sum()
                assert value == inside  # the period's days hold exactly its rows
            assert all(
                b[0] == a[1] + dt.timedelta(1) for a, b in zip(ranges[:-1], ranges[1:], strict=True)
            )

    check()


# --- the time spine ----------------------------------------------------------------------------

GAPPY = pd.DataFrame(
    {
        "t": ["2026-01-10", "2026-01-20", "2026-03-05", "2026-04-01"],
        "amount": [10.0, 30.0, 5.0, 7.0],
        "customer": ["a", "b", "a", "a"],
        "channel": ["web", "app", "web", "web"],
    }
)


def test_spine_additive_kpis_are_zero_the_others_empty(tmp_path, backend) -> None:
    spec = write(tmp_path, GAPPY)
    got = compute(spec, backend=backend).set_index(["kpi", "period"])
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    by_month = GAPPY.groupby(pd.to_datetime(GAPPY["t"]).dt.strftime("%Y-%m"))
    for kid, series in {
        "revenue": by_month["amount"].sum().reindex(months, fill_value=0.0),
        "orders": by_month.size().reindex(months, fill_value=0).astype(float),
        "buyers": by_month["customer"].nunique().reindex(months, fill_value=0).astype(float),
        "basket": by_month["amount"].mean().reindex(months),  # no rows: empty
        "biggest": by_month["amount"].max().reindex(months),
    }.items():
        np.testing.assert_array_equal(got.loc[kid, "value"].to_numpy(), series.to_numpy())
    feb = got.loc[("aov", "2026-02")]
    assert (feb["numerator"], feb["denominator"]) == (0.0, 0.0) and np.isnan(feb["value"])
    assert got.loc[("growth", "2026-03"), "value"] == 5.0 - 0.0  # lag sees February's 0
    assert got.loc[("growth", "2026-02"), "value"] == 0.0 - 40.0
    assert got.loc[(slice(None), "2026-02"), "complete"].all()  # inside the data: complete


def test_spine_by_segment_and_from_start_to_end(tmp_path, backend) -> None:
    spec = write(tmp_path, GAPPY)
    got = compute(spec, kpis=["revenue"], by="channel", backend=backend)
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    expected = (
        GAPPY.groupby([pd.to_datetime(GAPPY["t"]).dt.strftime("%Y-%m"), "channel"])["amount"]
        .sum()
        .reindex(pd.MultiIndex.from_product([months, ["app", "web"]]), fill_value=0.0)
    )
    assert got[["period", "channel", "value"]].values.tolist() == [
        [p, c, v] for (p, c), v in expected.items()
    ]
    # start and end cut the spine, which never reaches before the data's first day or after its
    # last: nothing is known there
    cut = compute(spec, kpis=["revenue", "basket"], start="2026-02", end="2026-03")
    assert cut["value"].tolist()[:2] == [0.0, 5.0] and np.isnan(cut["value"].iloc[2])
    wide = compute(spec, kpis=["revenue"], start="2025-12", end="2026-05", backend=backend)
    assert wide["period"].tolist() == months


def test_spine_with_previous_comparison(tmp_path, backend) -> None:
    spec = write(tmp_path, GAPPY)
    got = compute(spec, kpis=["revenue"], start="2026-03", compare="previous", backend=backend)
    # March's previous month, February, is there with 0; April is partial (data ends on April 1),
    # so it is compared with March 1 alone, a day without rows: 0 too, not March's 5
    assert got["previous_value"].tolist() == [0.0, 0.0]
    assert got["previous_to_date"].tolist() == [False, True]


# --- time zones --------------------------------------------------------------------------------

NEAR_MIDNIGHT = pd.DataFrame(
    {
        "t": pd.to_datetime(
            [
                "2026-03-31 21:59:59",
                "2026-03-31 22:00:00",
                "2026-12-31 22:59:59",
                "2026-12-31 23:00:00",
            ],
            utc=True,
        ),  # fmt: skip
        "amount": [1.0, 2.0, 4.0, 8.0],
        "customer": ["a", "b", "c", "d"],
    }
)


@pytest.mark.parametrize("grain", ["day", "month", "year"])
def test_aware_times_are_bucketed_in_the_source_zone(tmp_path, backend, native, grain) -> None:
    spec = write(tmp_path, NEAR_MIDNIGHT, source="timezone: Europe/Paris")
    got = compute(spec, grain=grain, kpis=["revenue"], data={"orders": native(NEAR_MIDNIGHT)})
    local = NEAR_MIDNIGHT["t"].dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    form = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[grain]
    expected = NEAR_MIDNIGHT.groupby(local.dt.strftime(form))["amount"].sum()
    assert {p: v for p, v in sums(got, "revenue").items() if v} == expected.to_dict()
    if grain == "year":
        assert expected.to_dict() == {"2026": 7.0, "2027": 8.0}  # 23:00 UTC is 00:00 in Paris


def test_aware_times_without_a_zone_keep_their_own_wall_clock(tmp_path, backend, native) -> None:
    spec = write(tmp_path, NEAR_MIDNIGHT)
    got = compute(spec, grain="year", kpis=["revenue"], data={"orders": native(NEAR_MIDNIGHT)})
    assert sums(got, "revenue") == {"2026": 15.0}  # all on their UTC day


def test_naive_times_are_taken_as_local(tmp_path, backend) -> None:
    frame = NEAR_MIDNIGHT.assign(t=NEAR_MIDNIGHT["t"].dt.tz_localize(None))
    spec = write(tmp_path, frame, source="timezone: Europe/Paris")
    got = compute(spec, grain="year", kpis=["revenue"], backend=backend)  # read from the CSV
    assert sums(got, "revenue") == {"2026": 15.0}


def test_parquet_instants_are_bucketed_in_the_source_zone(tmp_path, backend) -> None:
    spec = write(tmp_path, NEAR_MIDNIGHT, source="timezone: Asia/Tokyo")
    NEAR_MIDNIGHT.to_parquet(tmp_path / "orders.parquet")
    spec = spec._replace(
        sources={"orders": spec.sources["orders"]._replace(path=tmp_path / "orders.parquet")}
    )
    got = compute(spec, grain="day", kpis=["revenue"], backend=backend)
    local = NEAR_MIDNIGHT["t"].dt.tz_convert("Asia/Tokyo").dt.strftime("%Y-%m-%d")
    expected = NEAR_MIDNIGHT.groupby(local)["amount"].sum().to_dict()
    assert {p: v for p, v in sums(got, "revenue").items() if v} == expected


# --- lint ------------------------------------------------------------------------------------


def test_lint_reports_every_time_key_problem_with_lines(tmp_path) -> None:
    text = textwrap.dedent(
        """\
        version: 1
        calendar:
          fiscal_year_start: 13
          week_start: sundy
          fiscal_start: 4
        sources:
          orders: {path: orders.csv, time: t, timezone: Europe/Pari}
          other: {path: orders.csv, time: t, timezone: europe/paris}
        kpis:
          revenue: {name: Revenue, source: orders, measure: sum(amount), unit: currency,
                    direction: up}
        """
    )
    frame_of(["2026-01-01"]).to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "kpis.yml").write_text(text, encoding="utf-8")
    errors = [str(p) for p in lint_spec(tmp_path / "kpis.yml") if p.severity == "error"]
    joined = "\n".join(errors)
    assert ":3:" in joined and "expected a month number from 1 to 12, found int 13" in joined
    assert ":4:" in joined and "did you mean 'sunday'?" in joined
    assert ":5:" in joined and "unknown key in calendar" in joined
    assert ":7:" in joined and "unknown time zone 'Europe/Pari'" in joined
    assert "did you mean 'Europe/Paris'?" in joined
    assert ":8:" in joined and "unknown time zone 'europe/paris'" in joined
    assert len(errors) == 5
    with pytest.raises(SpecError, match=r"'Europe/Pari'.*and 4 more problems"):
        load_spec(tmp_path / "kpis.yml")


def test_lint_month_name_hint(tmp_path) -> None:
    frame_of(["2026-01-01"]).to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "kpis.yml").write_text(
        "version: 1\ncalendar: {fiscal_year_start: April}\nsources:\n"
        "  orders: {path: orders.csv, time: t}\nkpis:" + KPIS,
        encoding="utf-8",
    )
    problems = [str(p) for p in lint_spec(tmp_path / "kpis.yml")]
    assert any("write the month as a number: fiscal_year_start: 4" in p for p in problems)


# --- faces: the CLI and the scorecard take fiscal labels ----------------------------------------


def test_cli_and_scorecard_with_fiscal_labels(tmp_path, capsys) -> None:
    from kpikit.cli import main
    from kpikit.scorecard import scorecard

    spec = write(tmp_path, BOUNDARY, "calendar: {fiscal_year_start: 4}\n")
    path = str(tmp_path / "kpis.yml")
    args = ["compute", path, "--kpi", "revenue", "--grain", "quarter", "--format", "csv"]
    assert main([*args, "--from", "FY2027-Q3", "--to", "FY2027-Q4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # December 31 (8.0) is in FY2027-Q3 (October-December 2026), January 1 (16.0) in FY2027-Q4
    assert [line.split(",")[1] for line in lines[1:]] == ["FY2027-Q3", "FY2027-Q4"]
    assert [float(line.split(",")[3]) for line in lines[1:]] == [8.0, 16.0 + 32.0]
    assert main([*args, "--from", "2026-Q3"]) == 2
    assert "write 'FY2027-Q2'" in capsys.readouterr().err
    card = scorecard(spec, period="FY2027-Q4").set_index("kpi")
    assert card.loc["revenue", "value"] == 48.0


def test_a_spec_built_in_code_with_an_unknown_zone(tmp_path) -> None:
    from kpikit.errors import DataError

    spec = write(tmp_path, NEAR_MIDNIGHT)
    bad = spec._replace(sources={"orders": spec.sources["orders"]._replace(timezone="Mars/Base")})
    with pytest.raises(DataError, match=r"unknown time zone 'Mars/Base'.*Hint: fix the source"):
        compute(bad, data={"orders": NEAR_MIDNIGHT})
