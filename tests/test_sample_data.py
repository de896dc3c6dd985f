"""The sample data: reproducible from its generator, and carrying the patterns data/README.md promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
TABLES = ["campaigns", "email", "employees", "orders", "reviews", "survey", "web_sessions"]


def test_the_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(DATA / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for table in TABLES:
        assert (tmp_path / f"{table}.csv").read_bytes() == (DATA / f"{table}.csv").read_bytes(), (
            table
        )


def test_committed_data_stays_under_15_mb() -> None:
    assert sum((DATA / f"{t}.csv").stat().st_size for t in TABLES) < 15 * 1024 * 1024


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (t, c)
        for t, c in [("campaigns", "date"), ("web_sessions", "date"), ("orders", "order_date")]
    ],
)
def test_daily_tables_cover_36_complete_months(table: str, column: str) -> None:
    times = pd.to_datetime(pd.read_csv(DATA / f"{table}.csv", usecols=[column])[column])
    assert times.min().normalize() == pd.Timestamp("2023-12-01")
    assert times.max().normalize() == pd.Timestamp("2026-11-30")
    assert times.dt.to_period("M").nunique() == 36


def test_social_click_through_rate_rises_after_the_creative_change() -> None:
    ads = pd.read_csv(DATA / "campaigns.csv", parse_dates=["date"])
    social = ads[ads["channel"] == "social"]
    before = social[(social["date"] >= "2025-03-01") & (social["date"] < "2025-06-01")]
    after = social[(social["date"] >= "2025-06-01") & (social["date"] < "2025-09-01")]
    ctr_before = before["clicks"].sum() / before["impressions"].sum()
    ctr_after = after["clicks"].sum() / after["impressions"].sum()
    assert ctr_after / ctr_before > 1.4


def test_average_order_value_moves_with_the_price_change() -> None:
    orders = pd.read_csv(DATA / "orders.csv", parse_dates=["order_date"])
    kept = orders[~orders["refunded"]]
    before = kept[(kept["order_date"] >= "2024-12-01") & (kept["order_date"] < "2025-03-01")]
    after = kept[(kept["order_date"] >= "2025-03-01") & (kept["order_date"] < "2025-06-01")]
    aov_before = before["revenue"].sum() / len(before)
    aov_after = after["revenue"].sum() / len(after)
    assert 1.05 < aov_after / aov_before < 1.11


def test_ratings_fall_in_spring_2026() -> None:
    reviews = pd.read_csv(DATA / "reviews.csv", parse_dates=["date"])
    monthly = reviews.groupby(reviews["date"].dt.to_period("M"))["rating"].mean()
    assert monthly[pd.Period("2026-02")] > 4.1
    assert monthly[pd.Period("2026-06")] < 3.8


def test_holiday_months_are_the_biggest() -> None:
    orders = pd.read_csv(DATA / "orders.csv", usecols=["order_date"], parse_dates=["order_date"])
    per_month = orders.groupby(orders["order_date"].dt.to_period("M")).size()
    year = per_month[pd.Period("2024-12") : pd.Period("2025-11")]
    assert set(year.nlargest(2).index.month) == {11, 12}
