"""The ``complete`` column: whether the data covers the whole period, on every backend."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpikit import compute

REPO = Path(__file__).resolve().parents[1]

ORDERS = pd.DataFrame(
    {
        "day": ["2026-01-01 09:00", "2026-01-20", "2026-02-14", "2026-03-31 23:59", "2026-04-15"],
        "revenue": [10.0, 20.0, 30.0, 40.0, 50.0],
    }
)
VISITS = pd.DataFrame({"day": ["2026-02-01", "2026-04-30"], "visits": [100, 200]})
KPIS = """
revenue: {name: Revenue, source: orders, measure: sum(revenue), unit: currency, direction: up}
visits: {name: Visits, source: web, measure: sum(visits), unit: count, direction: up}
per_visit: {name: Per visit, formula: revenue / visits, unit: currency, direction: up}
"""
SOURCES = """
orders: {path: orders.csv, time: day}
web: {path: web.csv, time: day}
"""


def expected(frame: pd.DataFrame, grain: str) -> dict[str, bool]:
    """Independently: a period is complete when the data's first day <= its start, last >= end."""
    days = pd.to_datetime(frame["day"], format="ISO8601").dt.normalize()
    freq = {"month": "M", "quarter": "Q"}[grain]
    spans = pd.period_range(days.min(), days.max(), freq=freq)  # the time spine: no gaps
    return {
        str(p).replace("Q", "-Q") if grain == "quarter" else str(p): bool(
            days.min() <= p.start_time and days.max() >= p.end_time.normalize()
        )
        for p in spans
    }


def flags(table: pd.DataFrame, kpi: str) -> dict[str, bool]:
    rows = table[table["kpi"] == kpi]
    return dict(zip(rows["period"], rows["complete"].tolist(), strict=True))


def test_complete_follows_the_sources_first_and_last_day(write_spec, backend) -> None:
    spec = write_spec({"orders": ORDERS, "web": VISITS}, KPIS, SOURCES)
    for grain in ("month", "quarter"):
        table = compute(spec, grain=grain, backend=backend)
        assert table["complete"].dtype == bool
        assert flags(table, "revenue") == expected(ORDERS, grain)
        assert flags(table, "visits") == expected(VISITS, grain)
    table = compute(spec, grain="month", backend=backend)
    # orders cover 2026-01-01..2026-04-15, visits 2026-02-01..2026-04-30: both only in Feb, Mar
    assert flags(table, "per_visit") == {
        "2026-01": False, "2026-02": True, "2026-03": True, "2026-04": False
    }  # fmt: skip


def test_complete_with_start_and_end(write_spec, backend) -> None:
    spec = write_spec({"orders": ORDERS, "web": VISITS}, KPIS, SOURCES)
    table = compute(spec, grain="month", start="2026-02", end="2026-03", backend=backend)
    assert table["complete"].all()


def test_sample_quarters_at_the_edges_are_not_complete(backend) -> None:
    table = compute(
        REPO / "data" / "kpis.yml", grain="quarter", kpis=["revenue", "roas"], backend=backend
    )
    incomplete = sorted(set(table.loc[~table["complete"], "period"]))
    assert incomplete == ["2023-Q4", "2026-Q4"]
    assert table.columns.tolist()[:3] == ["kpi", "period", "complete"]
