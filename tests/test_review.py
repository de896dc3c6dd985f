"""kpikit.review(): every column checked against arithmetic written here, on hand-built data."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import kpikit
from kpikit.cli import main
from kpikit.errors import ParameterError
from kpikit.review import REVIEW_COLUMNS, review

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "kpis.yml"

# Monthly totals from 2024-11 to 2026-11 (25 months): sessions, conversions, revenue. The rows sit
# on each month's first day, and a row of zeros on 2026-11-30 makes November a whole month.
MONTHS = pd.period_range("2024-11", "2026-11", freq="M")
SESSIONS = [10_000 + 150 * i for i in range(len(MONTHS))]
CONVERSIONS = [480 + (i % 5) * 3 for i in range(len(MONTHS))]
CONVERSIONS[-2:] = [496, 501]  # October 3.688%, November 3.684%: no real change
REVENUE = [100_000.0 + 2_500.0 * i for i in range(len(MONTHS))]

SPEC = """\
version: 1
sources:
  web: {path: web.csv, time: date}
objectives:
  grow: {title: Grow online sales}
kpis:
  revenue:
    name: Revenue
    source: web
    measure: sum(revenue)
    unit: currency
    direction: up
    objective: grow
    target: {value: 200000, by: 2026-12-31}
    cadence: monthly
  conversion_rate:
    # the catalog's click-through rate (a proportion), on these columns
    use: ctr
    columns: {clicks: conversions, impressions: sessions}
    name: Conversion rate
    source: web
    objective: grow
    target: {value: TARGET_RATE, by: 2026-12-31}
    cadence: monthly
  conversions:
    name: Conversions
    source: web
    measure: sum(conversions)
    unit: count
    direction: up
    objective: grow
  sessions:
    name: Sessions
    source: web
    measure: sum(sessions)
    unit: count
    direction: up
  money_share:
    # whole amounts of money, the smaller over the larger: a percent, but not a proportion
    use: acos
    columns: {spend: conversions, attributed_sales: revenue}
    source: web
  rate_by_formula:
    name: Conversion rate (formula)
    formula: conversions / sessions
    unit: percent
    direction: up
"""


def write_case(
    folder: Path, *, target_rate: float = 0.05, extra: str = "", last_day: str = "2026-11-30"
) -> Path:
    rows = pd.DataFrame(
        {
            "date": [m.start_time.date().isoformat() for m in MONTHS] + [last_day],
            "sessions": [*SESSIONS, 0],
            "conversions": [*CONVERSIONS, 0],
            "revenue": [*REVENUE, 0.0],
        }
    )
    rows.to_csv(folder / "web.csv", index=False)
    path = folder / "kpis.yml"
    path.write_text(SPEC.replace("TARGET_RATE", str(target_rate)) + extra, encoding="utf-8")
    return path


def month(label: str) -> int:
    return [str(m) for m in MONTHS].index(label)


def wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(n) / (n + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * n))
    return centre - half, centre + half


def pooled_p_value(x1: float, n1: float, x2: float, n2: float) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


@pytest.fixture
def case(tmp_path: Path) -> Path:
    return write_case(tmp_path)


def row(card: pd.DataFrame, kpi: str) -> pd.Series:
    return card.set_index("kpi").loc[kpi]


def test_columns_and_order(case: Path) -> None:
    card = review(case, period="2026-11")
    assert list(card.columns) == list(REVIEW_COLUMNS)
    assert card["kpi"].tolist() == [
        "revenue",
        "conversion_rate",
        "conversions",
        "sessions",
        "money_share",
        "rate_by_formula",
    ]
    assert set(card["period"]) == {"2026-11"}
    assert card["complete"].tolist() == [True] * 6


def test_values_previous_and_year_ago_match_the_monthly_sums(case: Path) -> None:
    card = review(case, period="2026-11")
    now, before, year = month("2026-11"), month("2026-10"), month("2025-11")
    revenue = row(card, "revenue")
    assert revenue["value"] == pytest.approx(REVENUE[now])
    assert revenue["previous"] == pytest.approx(REVENUE[before])
    assert revenue["year_ago"] == pytest.approx(REVENUE[year])
    assert revenue["change"] == pytest.approx(REVENUE[now] - REVENUE[before])
    assert revenue["change_pct"] == pytest.approx(REVENUE[now] / REVENUE[before] - 1)
    rate = row(card, "conversion_rate")
    assert rate["value"] == pytest.approx(CONVERSIONS[now] / SESSIONS[now])
    assert rate["target"] == pytest.approx(0.05)


def test_a_rate_gets_its_wilson_interval_and_the_z_test_of_its_change(case: Path) -> None:
    card = review(case, period="2026-11")
    now, before = month("2026-11"), month("2026-10")
    low, high = wilson(CONVERSIONS[now], SESSIONS[now])
    p_value = pooled_p_value(CONVERSIONS[now], SESSIONS[now], CONVERSIONS[before], SESSIONS[before])
    for kpi in ("conversion_rate", "rate_by_formula"):  # a ratio, and a formula a / b
        rate = row(card, kpi)
        assert rate["ci_low"] == pytest.approx(low, rel=1e-9)
        assert rate["ci_high"] == pytest.approx(high, rel=1e-9)
        assert rate["p_value"] == pytest.approx(p_value, rel=1e-9)
        assert bool(rate["significant"]) is (p_value < 0.05)
    for kpi in ("revenue", "money_share"):  # not proportions: no interval, no test
        other = row(card, kpi)
        assert math.isnan(other["ci_low"]) and math.isnan(other["p_value"])
        assert pd.isna(other["significant"])
    share = row(card, "money_share")  # whole numbers, 0 <= x <= n: still money, not trials
    assert share["value"] == pytest.approx(CONVERSIONS[now] / REVENUE[now])


def test_a_count_outside_the_control_limits_of_its_history_is_flagged(case: Path) -> None:
    card = review(case, period="2026-11")
    history = CONVERSIONS[: month("2026-11")]  # the 24 months before November
    centre = sum(history) / len(history)
    ranges = [abs(a - b) for a, b in zip(history[1:], history[:-1], strict=True)]
    spread = 2.66 * sum(ranges) / len(ranges)
    value = CONVERSIONS[month("2026-11")]
    outside = not (max(centre - spread, 0.0) <= value <= centre + spread)
    assert bool(row(card, "conversions")["outside_limits"]) is outside
    assert pd.isna(row(card, "conversion_rate")["outside_limits"])  # a rate, not a count


def test_a_rate_under_the_minimum_denominator_is_insufficient_data(tmp_path: Path) -> None:
    minimum = SESSIONS[month("2026-11")] + 1
    path = write_case(tmp_path, extra=f"review: {{min_denominator: {minimum}}}\n")
    card = review(path, period="2026-11")
    rate = row(card, "conversion_rate")
    assert rate["status"] == "insufficient_data"
    assert f"{SESSIONS[month('2026-11')]:,}" in rate["reason"] and f"{minimum:,}" in rate["reason"]
    assert row(card, "revenue")["status"] != "insufficient_data"  # a sum, not held to it


def test_a_status_change_within_noise_is_labelled_noise(case: Path) -> None:
    card = review(case, period="2026-11")
    rate = row(card, "conversion_rate")
    now, before = month("2026-11"), month("2026-10")
    # 496/13450 = 3.69% and 501/13600 = 3.68%: both far under the 5% target, so the status did not
    # move; under a 3.685% target the two months land on either side of it.
    assert rate["previous_status"] == rate["computed_status"]
    assert pd.isna(rate["noise"])
    threshold = (CONVERSIONS[now] / SESSIONS[now] + CONVERSIONS[before] / SESSIONS[before]) / 2
    moved = review(write_case(case.parent, target_rate=threshold), period="2026-11")
    rate = row(moved, "conversion_rate")
    assert rate["status"] != rate["previous_status"]
    p_value = pooled_p_value(CONVERSIONS[now], SESSIONS[now], CONVERSIONS[before], SESSIONS[before])
    assert p_value > 0.05
    assert bool(rate["noise"]) is True
    assert "within noise" in rate["reason"]


def test_a_monthly_target_of_a_total_does_not_judge_a_quarter_but_a_rate_keeps_it(
    case: Path,
) -> None:
    card = review(case, period="2026-Q3")
    revenue = row(card, "revenue")  # 3 months of revenue against a monthly target: not comparable
    quarter = sum(REVENUE[month(m)] for m in ("2026-07", "2026-08", "2026-09"))
    assert revenue["value"] == pytest.approx(quarter)
    assert revenue["status"] == "no_target" and math.isnan(revenue["target"])
    assert "review it by month" in revenue["reason"]
    assert math.isnan(revenue["probability_to_hit"])
    rate = row(card, "conversion_rate")  # a rate is a rate at any grain
    sums = [(CONVERSIONS[month(m)], SESSIONS[month(m)]) for m in ("2026-07", "2026-08", "2026-09")]
    assert rate["value"] == pytest.approx(sum(x for x, _ in sums) / sum(n for _, n in sums))
    assert rate["target"] == pytest.approx(0.05) and rate["status"] == "off_track"


def test_a_partial_period_total_is_not_judged_against_the_whole_period_target(
    tmp_path: Path,
) -> None:
    card = review(write_case(tmp_path, last_day="2026-11-15"), period="2026-11")
    revenue = row(card, "revenue")  # half a month of data: the total so far
    assert revenue["complete"] is False or not bool(revenue["complete"])
    assert revenue["status"] == "insufficient_data"
    assert "only part of 2026-11" in revenue["reason"]
    assert pd.isna(row(card, "conversions")["outside_limits"])  # no control limits on a part
    rate = row(card, "conversion_rate")  # a rate so far is still a rate: judged
    assert rate["status"] not in ("insufficient_data", "no_target")


def test_saving_a_review_of_some_kpis_is_refused(case: Path) -> None:
    with pytest.raises(ParameterError, match="only a review of every KPI can be saved"):
        review(case, period="2026-11", kpis=["revenue"], save=True)
    assert not case.with_name("kpis.checkins.sqlite").exists()


def test_notes_are_escaped_in_the_html_page(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = '<script>alert("x")</script> & <b>bold</b>'
    args = ["checkin", str(case), "revenue", "--period", "2026-11", "--note", note]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["review", str(case), "--period", "2026-11", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert (
        "&lt;script&gt;alert(" in page and "&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    )


def test_a_checkin_on_a_period_without_data_is_one_line_and_exit_2(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["checkin", str(case), "revenue", "--period", "2027-03", "--note", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpikit: error: no data for revenue in 2027-03") and err.count("\n") == 1


def test_last_complete_resolves_to_the_last_whole_month(case: Path) -> None:
    card = review(case, period="last-complete")
    assert set(card["period"]) == {"2026-11"}


def test_bad_period_is_a_parameter_error(case: Path) -> None:
    with pytest.raises(ParameterError, match="2026-13"):
        review(case, period="2026-13")
    with pytest.raises(ParameterError, match="period must be text"):
        review(case, period=202611)  # type: ignore[arg-type]


def test_kpikit_review_is_the_public_function(case: Path) -> None:
    assert kpikit.review is review
    assert kpikit.review(case, period="2026-11", kpis=["revenue"])["kpi"].tolist() == ["revenue"]


# --- check-ins and snapshots -----------------------------------------------------------------


def test_a_checkin_note_shows_in_the_review(case: Path) -> None:
    assert main(
        [
            "checkin", str(case), "conversion_rate", "--period", "2026-11",
            "--note", "Checkout bug fixed on the 12th; it's back", "--author", "Ana",
        ]
    ) == 0  # fmt: skip
    rate = row(review(case, period="2026-11"), "conversion_rate")
    assert rate["note"] == "Checkout bug fixed on the 12th; it's back"
    assert rate["author"] == "Ana"
    assert rate["checked_at"]
    assert row(review(case, period="2026-10"), "conversion_rate")["note"] == ""


def row_ids(spec: Path) -> list[str]:
    return [line[2:-1] for line in spec.read_text().splitlines() if re.fullmatch(r"  \w+:", line)]


def test_bad_kpis_or_checkins_arguments_are_parameter_errors(case: Path) -> None:
    with pytest.raises(ParameterError, match="kpis must be KPI ids"):
        review(case, period="2026-11", kpis=123)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="checkins must be a path"):
        review(case, period="2026-11", checkins=123)  # type: ignore[arg-type]


def test_a_saved_review_lets_the_next_say_what_changed(case: Path) -> None:
    review(case, period="2026-10", save=True)
    database = case.with_name("kpis.checkins.sqlite")
    with sqlite3.connect(database) as connection:  # the snapshot is there, read back by hand
        saved = connection.execute(
            "SELECT kpi, status FROM snapshot_rows JOIN snapshots ON snapshot = snapshots.id"
            " WHERE period = '2026-10' ORDER BY kpi"
        ).fetchall()
    assert [kpi for kpi, _ in saved] == sorted(row_ids(case))
    edited = case.read_text(encoding="utf-8").replace(
        "measure: sum(revenue)", "measure: sum(revenue)\n    filter: revenue > 0"
    )
    case.write_text(edited, encoding="utf-8")
    card = review(case, period="2026-11")
    assert "definition edited" in row(card, "revenue")["changes"]
    assert "definition" not in row(card, "sessions")["changes"]


# --- the command line ------------------------------------------------------------------------


def test_cli_review_prints_every_kpi_of_the_sample_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(SAMPLE), "--period", "last-complete"]) == 0
    out = capsys.readouterr().out
    spec = kpikit.load_spec(SAMPLE)
    assert out.startswith("KPI review: kpis.yml, 2026-11")
    for kpi in spec.kpis.values():
        assert kpi.name in out
    assert re.search(r"^\d+ KPIs: ", out, re.MULTILINE)
    assert "\033[" not in out  # not a terminal: no colours


def test_cli_review_formats(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(case), "--period", "2026-11", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split(",") == list(REVIEW_COLUMNS)
    assert main(["review", str(case), "--period", "2026-11", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["kpi"] for r in records][:2] == ["revenue", "conversion_rate"]
    assert main(["review", str(case), "--period", "2026-11", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and "Conversion rate" in page
    assert not re.search(r"(src|href)=\"https?:", page)
    assert main(["review", str(case), "--period", "2026-11", "--color", "always"]) == 0
    assert "\033[" in capsys.readouterr().out


def test_cli_review_bad_period_is_one_line_and_exit_2(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", str(case), "--period", "November"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpikit: error: ") and err.count("\n") == 1
