"""Catalog entries computed by Python KPI functions or windows, on small frames worked out by hand.

`use: customer_retention | customer_churn | employee_turnover | employee_retention` expands to
`python: <same name>` plus the spec's `columns:`, so the built-in functions read the user's names.

Every expected number is worked out by hand on a small frame, chosen so that the usual
definitions agree (retention as returning customers over last period's customers, or as
(end - new) / start; average headcount as the mean of start and end, or the daily mean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpikit._load import lint_spec
from kpikit.engine import compute

# The data starts on January 1st: a cohort from a month the data covers only in part is not
# observed, and its retention is empty (see "Python KPIs" in docs/kpi-spec.md).
ORDERS = pd.DataFrame(
    {
        "day": ["2026-01-01", "2026-01-06", "2026-01-07", "2026-01-08",
                "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-20"],
        "buyer": ["A", "B", "C", "D", "A", "B", "E", "A"],
        "amount": [10.0, 20.0, 5.0, 5.0, 30.0, 1.0, 4.0, 2.0],
    }
)  # fmt: skip


def test_customer_retention_and_churn_from_the_catalog(write_spec, backend, native) -> None:
    spec = write_spec(
        {"orders": ORDERS},
        """
        retention: {use: customer_retention, source: orders, columns: {customer_id: buyer}}
        churn: {use: customer_churn, source: orders, columns: {customer_id: buyer}}
        """,
    )
    assert spec.kpi("retention").catalog == "customer_retention"
    got = compute(spec, data={"orders": native(ORDERS)}, backend=backend, start="2026-02")
    value = got.set_index(["kpi", "period"])["value"]
    # January's buyers A, B, C, D; in February A and B come back, E is new: 2 of 4 stayed.
    assert value[("retention", "2026-02")] == pytest.approx(2 / 4)
    assert value[("churn", "2026-02")] == pytest.approx(1 - 2 / 4)


EMPLOYEES = pd.DataFrame(
    {
        "hired": ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"],
        "person": ["E1", "E2", "E3", "E4"],
        "left": [None, None, "2026-02-14", None],
    }
)


def test_employee_turnover_and_retention_from_the_catalog(write_spec, backend, native) -> None:
    spec = write_spec(
        {"staff": EMPLOYEES},
        """
        turnover:
          use: employee_turnover
          source: staff
          columns: {employee_id: person, hire_date: hired, termination_date: left}
        retention:
          use: employee_retention
          source: staff
          columns: {employee_id: person, hire_date: hired, termination_date: left}
        """,
    )
    got = compute(
        spec, data={"staff": native(EMPLOYEES)}, backend=backend, start="2026-02", end="2026-02"
    )
    value = got.set_index("kpi")["value"]
    # February 2026 (28 days): 4 employed on the 1st, E3's last day is the 14th, so 3 at the end;
    # average headcount (4 + 3) / 2 = (4 * 14 + 3 * 14) / 28 = 3.5; one separation.
    assert value["turnover"] == pytest.approx(1 / 3.5)
    assert value["retention"] == pytest.approx(3 / 4)  # employed all month / employed at start


def test_python_catalog_entries_check_their_columns(tmp_path) -> None:
    ORDERS.to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "kpis.yml").write_text(
        "version: 1\nsources:\n  orders: {path: orders.csv, time: day}\nkpis:\n"
        "  r: {use: customer_retention, source: orders}\n"
    )
    problems = [str(p) for p in lint_spec(tmp_path / "kpis.yml") if p.severity == "error"]
    assert problems == [
        f"{tmp_path / 'kpis.yml'}:5: r: error: use: column 'customer_id' not found in source "
        "'orders' (orders.csv); catalog KPI 'customer_retention' reads it as 'customer_id' "
        "Hint: map it to your column with columns: {customer_id: <column>}"
    ]


def test_python_kpis_follow_the_spec_calendar(write_spec, backend, native) -> None:
    from kpikit.spec import Calendar

    orders = pd.DataFrame(
        {
            "day": ["2026-01-01", "2026-01-09", "2026-02-10", "2026-03-31", "2026-04-02", "2026-05-20"],
            "buyer": ["A", "B", "C", "D", "A", "E"],
        }
    )  # fmt: skip
    spec = write_spec(
        {"orders": orders},
        "retention: {use: customer_retention, source: orders, columns: {customer_id: buyer}}",
    )
    spec = spec._replace(calendar=Calendar(fiscal_year_start=4))
    got = compute(spec, data={"orders": native(orders)}, backend=backend, grain="quarter")
    value = got.set_index("period")["value"]
    # Fiscal years start in April: January-March 2026 is FY2026-Q4 (buyers A, B, C, D), April-June
    # is FY2027-Q1, where only A of those four buys again (E is new).
    assert list(value.index) == ["FY2026-Q4", "FY2027-Q1"]
    assert np.isnan(value["FY2026-Q4"])  # its previous quarter is before the data
    assert value["FY2027-Q1"] == pytest.approx(1 / 4)


def test_historical_clv_is_revenue_per_customer_to_date(write_spec, backend, native) -> None:
    spec = write_spec(
        {"orders": ORDERS},
        "clv: {use: clv_historical, source: orders, "
        "columns: {customer_id: buyer, revenue: amount}}",
    )
    got = compute(spec, data={"orders": native(ORDERS)}, backend=backend)
    value = got.set_index("period")["value"]
    assert value["2026-01"] == pytest.approx((10 + 20 + 5 + 5) / 4)  # A, B, C, D
    # all history to February: every order, over 5 distinct customers A-E (not 4 + 3 buyers)
    assert value["2026-02"] == pytest.approx((10 + 20 + 5 + 5 + 30 + 1 + 4 + 2) / 5)
    assert not np.isnan(value).any()
