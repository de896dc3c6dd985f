"""Python KPIs: the registry, the spec keys, the engine hook and the built-in functions.

Every number is checked against a computation written here: DuckDB SQL for customers, DuckDB SQL
for employees, plain pandas for user functions, and the values published in data/README.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpikit
from kpikit import functions
from kpikit._load import lint_spec, load_spec
from kpikit.errors import DataError, FunctionError, ParameterError, SpecError
from kpikit.functions import KpiContext

ROOT = Path(__file__).resolve().parents[1]
ORDERS = ROOT / "data" / "orders.csv"
EMPLOYEES = ROOT / "data" / "employees.csv"
FIRST_DAY = pd.Timestamp("2023-12-01")  # the sample data's first day (data/README.md)


def write(folder: Path, kpis_yaml: str, sources_yaml: str | None = None) -> Path:
    """A spec over the sample orders and employees (by absolute path), in ``folder``."""
    sources_yaml = sources_yaml or (
        f"orders: {{path: '{ORDERS}', time: order_date}}\n"
        f"employees: {{path: '{EMPLOYEES}', time: hire_date}}"
    )
    text = (
        "version: 1\nsources:\n"
        + textwrap.indent(textwrap.dedent(sources_yaml).strip(), "  ")
        + "\nkpis:\n"
        + textwrap.indent(textwrap.dedent(kpis_yaml).strip(), "  ")
        + "\n"
    )
    path = folder / "kpis.yml"
    path.write_text(text, encoding="utf-8")
    return path


BUILT_INS = """
retention:
  name: Customer retention
  source: orders
  python: customer_retention
  filter: refunded == false
  unit: percent
  direction: up
churn: {name: Customer churn, source: orders, python: customer_churn, unit: percent,
        direction: down}
turnover: {name: Employee turnover, source: employees, python: employee_turnover,
           unit: percent, direction: down}
employee_retention: {name: Employee retention, source: employees, python: employee_retention,
                     unit: percent, direction: up}
"""


@pytest.fixture(scope="module")
def builtins_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("builtins"), BUILT_INS)


# --- independent computations ----------------------------------------------------------------


def customers_sql(grain: str, segment: str | None, kept_only: bool) -> pd.DataFrame:
    """Retention counts per period (and segment) in DuckDB SQL, straight from the CSV.

    Cohort of period p in segment s: customers with an order in the period before p in s.
    Retained: those with an order in p in any segment.
    """
    step = {"month": "1 month", "quarter": "3 month"}[grain]
    seg = f", {segment}" if segment else ""
    where = "where not refunded" if kept_only else ""
    sql = f"""
        with orders as (select * from read_csv_auto('{ORDERS}')),
        active as (select distinct customer_id, date_trunc('{grain}', order_date) as p{seg}
                   from orders {where}),
        anywhere as (select distinct customer_id, date_trunc('{grain}', order_date) as p
                     from orders {where}),
        cohort as (select customer_id, p + interval {step} as p{seg} from active)
        select cohort.p as start{", cohort." + segment if segment else ""},
               count(*)::double as den, count(anywhere.customer_id)::double as retained
        from cohort left join anywhere
          on anywhere.customer_id = cohort.customer_id and anywhere.p = cohort.p
        group by all
    """
    out = duckdb.sql(sql).df()
    out["start"] = pd.to_datetime(out["start"])
    return out


def label(start: pd.Series, grain: str) -> pd.Series:
    if grain == "month":
        return start.dt.strftime("%Y-%m")
    return start.dt.year.astype(str) + "-Q" + start.dt.quarter.astype(str)


def employees_sql(grain: str, segment: str | None) -> pd.DataFrame:
    """Headcounts and separations per period (and department) in DuckDB SQL.

    In headcount on day d: hire_date <= d and (termination_date empty or >= d) (data/README.md).
    End of a period: in headcount on its last day and not leaving that day.
    """
    step = {"month": "1 month", "quarter": "3 month"}[grain]
    first = {"month": "2023-12-01", "quarter": "2023-10-01"}[grain]
    seg = f", e.{segment}" if segment else ""
    sql = f"""
        with e as (select * from read_csv_auto('{EMPLOYEES}')),
        p as (select range::date as start, (range + interval {step})::date as stop
              from range(date '{first}', date '2026-12-01', interval {step}))
        select p.start{seg},
          count(*) filter (where hire_date <= p.start
                           and (termination_date is null or termination_date >= p.start))::double
            as at_start,
          count(*) filter (where hire_date <= p.stop - 1
                           and (termination_date is null or termination_date > p.stop - 1))::double
            as at_end,
          count(*) filter (where termination_date >= p.start
                           and termination_date < p.stop)::double as separations,
          count(*) filter (where hire_date <= p.start
                           and (termination_date is null or termination_date >= p.stop))::double
            as stayed
        from p cross join e group by all
    """
    out = duckdb.sql(sql).df()
    out["start"] = pd.to_datetime(out["start"])
    return out


def check(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Equal value, numerator and denominator on the same keys (NaN where expected NaN)."""
    merged = expected.merge(got, on=keys, how="left", suffixes=("_x", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for name in ("value", "numerator", "denominator"):
        np.testing.assert_allclose(
            merged[name].to_numpy(float), merged[f"{name}_x"].to_numpy(float), rtol=1e-12
        )


# --- built-ins on the sample data, every backend ------------------------------------------


@pytest.mark.parametrize(("grain", "segment"), [("month", None), ("quarter", "channel")])
def test_customer_retention_and_churn_match_sql(
    builtins_spec: Path, backend: str, grain: str, segment: str | None
) -> None:
    by = [segment] if segment else []
    got = kpikit.compute(
        builtins_spec, grain=grain, by=by, kpis=["retention", "churn"], backend=backend
    )
    for kpi, kept_only in (("retention", True), ("churn", False)):
        counts = customers_sql(grain, segment, kept_only)
        last = pd.Timestamp("2026-11-30")
        counts = counts[counts["start"] <= last]
        previous_start = counts["start"] - pd.DateOffset(months=1 if grain == "month" else 3)
        observed = previous_start >= FIRST_DAY
        part = "retained" if kpi == "retention" else "lost"
        counts["lost"] = counts["den"] - counts["retained"]
        expected = pd.DataFrame(
            {
                "kpi": kpi,
                "period": label(counts["start"], grain),
                **({segment: counts[segment]} if segment else {}),
                "numerator": counts[part].where(observed),
                "denominator": counts["den"].where(observed),
            }
        )
        expected["value"] = expected["numerator"] / expected["denominator"]
        check(got, expected, ["kpi", "period", *by])
        mine = got[got["kpi"] == kpi]
        assert len(mine) == len(expected) + (0 if segment else 1)  # + the data's first month
        if not segment:
            first = mine.iloc[0]
            assert first["period"] == "2023-12" and np.isnan(first["value"])
            assert np.isnan(first["denominator"])  # unobserved cohort: empty, never 0


def test_churn_matches_the_values_published_in_the_data_readme(builtins_spec: Path) -> None:
    # data/README.md, pattern d: churn(m, 1) = share of month m's customers with no order in m+1,
    # i.e. customer_churn of month m+1.
    published = {"2026-02": 0.742, "2026-03": 0.716, "2026-04": 0.733, "2026-05": 0.719,
                 "2026-06": 0.781, "2026-07": 0.791, "2026-08": 0.783, "2026-09": 0.795}  # fmt: skip
    got = kpikit.compute(builtins_spec, kpis="churn", start="2026-02", end="2026-09")
    assert dict(zip(got["period"], got["value"].round(3), strict=True)) == published


def test_turnover_matches_the_values_published_in_the_data_readme(builtins_spec: Path) -> None:
    # data/README.md: total monthly turnover 2.3 %, 2.3 %, 2.6 %, 3.4 % in 2026-04..07, with 4, 4,
    # 5 and 5 leavers in Customer Support.
    got = kpikit.compute(builtins_spec, kpis="turnover", start="2026-04", end="2026-07")
    assert got["value"].round(3).tolist() == [0.023, 0.023, 0.026, 0.034]
    by = kpikit.compute(
        builtins_spec, kpis="turnover", start="2026-04", end="2026-07", by="department"
    )
    support = by[by["department"] == "Customer Support"]
    assert support["numerator"].tolist() == [4.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize(("grain", "segment"), [("month", None), ("quarter", "department")])
def test_employee_turnover_and_retention_match_sql(
    builtins_spec: Path, backend: str, grain: str, segment: str | None
) -> None:
    by = [segment] if segment else []
    got = kpikit.compute(
        builtins_spec,
        grain=grain,
        by=by,
        kpis=["turnover", "employee_retention"],
        start="2023-12" if grain == "month" else "2024-Q1",
        backend=backend,
    )
    counts = employees_sql(grain, segment)
    if grain == "quarter":
        counts = counts[counts["start"] >= "2024-01-01"]  # quarters from 2024-Q1
    keys = {"period": label(counts["start"], grain), **({segment: counts[segment]} if by else {})}
    average = (counts["at_start"] + counts["at_end"]) / 2
    turnover = pd.DataFrame(
        {"kpi": "turnover", **keys, "numerator": counts["separations"], "denominator": average}
    )
    kept = pd.DataFrame(
        {"kpi": "employee_retention", **keys, "numerator": counts["stayed"],
         "denominator": counts["at_start"]}
    )  # fmt: skip
    for expected in (turnover, kept):
        den = expected["denominator"]
        expected["value"] = expected["numerator"] / den.where(den != 0)
        check(got, expected, ["kpi", "period", *by])
    assert got["kpi"].value_counts().to_dict() == {
        "turnover": len(counts),
        "employee_retention": len(counts),
    }


def test_python_kpis_take_part_in_formulas_and_comparisons(
    tmp_path: Path, builtins_spec: Path, backend: str
) -> None:
    spec = write(
        tmp_path,
        BUILT_INS + "net: {name: Net, formula: churn - turnover, unit: ratio, direction: down}",
    )
    got = kpikit.compute(
        spec, kpis=["net", "churn"], start="2026-03", end="2026-05", compare="previous",
        backend=backend,
    )  # fmt: skip
    plain = kpikit.compute(builtins_spec, kpis=["churn", "turnover"], start="2026-02")
    wide = plain.pivot(index="period", columns="kpi", values="value")
    net = got[got["kpi"] == "net"].set_index("period")
    expected = (wide["churn"] - wide["turnover"]).loc[["2026-03", "2026-04", "2026-05"]]
    np.testing.assert_allclose(net["value"], expected)
    churn = got[got["kpi"] == "churn"].set_index("period")
    np.testing.assert_allclose(churn["previous_value"], wide["churn"].loc["2026-02":"2026-04"])
    assert churn["complete"].all()


# --- user functions --------------------------------------------------------------------------


@pytest.fixture
def repeat_share() -> Iterator[str]:
    """A user function: the share of a period's orders placed by customers seen before."""

    @kpikit.kpi_function("repeat_share", columns=("customer_id",))
    def repeat_share(ctx: KpiContext) -> pd.DataFrame:
        rows = ctx.rows.assign(
            period=ctx.label(ctx.rows[ctx.time]),
            repeat=ctx.rows.duplicated("customer_id").astype(float),  # rows come sorted by time
        )
        rows = rows[rows["period"].isin(ctx.periods["period"])]
        out = rows.groupby(["period", *ctx.by], dropna=False)["repeat"].agg(["sum", "size"])
        out = out.rename(columns={"sum": "numerator", "size": "denominator"}).reset_index()
        return out.assign(value=out["numerator"] / out["denominator"])

    yield "repeat_share"
    functions._unregister("repeat_share")


TINY = pd.DataFrame(
    {
        "day": ["2026-01-03", "2026-01-09", "2026-02-01", "2026-02-11", "2026-02-20", "2026-03-05"],
        "buyer": ["a", "b", "a", "c", "b", "c"],
        "shop": ["x", "y", "x", "x", "y", "y"],
    }
)


def test_a_user_function_runs_from_a_spec_on_every_backend(
    write_spec: Any, native: Any, backend: str, repeat_share: str
) -> None:
    spec = write_spec(
        {"sales": TINY},
        """
        repeat: {name: Repeat share, source: sales, python: repeat_share,
                 columns: {customer_id: buyer}, unit: percent, direction: up}
        """,
    )
    given = native(TINY)
    got = kpikit.compute(spec, by="shop", data={"sales": given}, backend=backend)
    # by hand: a order is a repeat when its buyer bought on an earlier day
    frame = TINY.assign(period=TINY["day"].str[:7])
    frame["repeat"] = frame.duplicated("buyer").astype(float)
    expected = frame.groupby(["period", "shop"])["repeat"].agg(["sum", "size"]).reset_index()
    expected = expected.rename(columns={"sum": "numerator", "size": "denominator"})
    expected["value"] = expected["numerator"] / expected["denominator"]
    check(got, expected.assign(kpi="repeat"), ["kpi", "period", "shop"])
    assert len(got) == len(expected)
    if backend == "pandas":
        pd.testing.assert_frame_equal(given, TINY)  # the caller's frame is unchanged


def test_a_filter_applies_to_the_rows_before_the_function(
    write_spec: Any, repeat_share: str
) -> None:
    spec = write_spec(
        {"sales": TINY},
        """
        repeat: {name: Repeat share, source: sales, python: repeat_share, filter: "shop == 'x'",
                 columns: {customer_id: buyer}, unit: percent, direction: up}
        """,
    )
    got = kpikit.compute(spec).set_index("period")
    # shop x only: Jan a (new); Feb a (repeat), c (new)
    assert got.loc["2026-02", "value"] == 0.5
    assert got.loc["2026-01", "value"] == 0.0
    assert "2026-03" not in got.index  # no shop-x rows in March
    assert (
        spec.kpi("repeat").definition == "python: repeat_share(customer_id=buyer) where shop == 'x'"
    )


def test_the_cli_computes_a_function_from_an_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "mykpis-1.0.dist-info").mkdir(parents=True)
    (site / "mykpis-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mykpis\nVersion: 1.0\n"
    )
    (site / "mykpis-1.0.dist-info" / "entry_points.txt").write_text(
        "[kpikit.kpi_functions]\ndistinct_buyers = mykpis:distinct_buyers\n"
    )
    (site / "mykpis.py").write_text(
        textwrap.dedent(
            """
            def distinct_buyers(ctx):
                rows = ctx.rows.assign(period=ctx.label(ctx.rows[ctx.time]))
                out = rows.groupby(["period", *ctx.by])["customer_id"].nunique()
                return out.rename("value").reset_index()
            """
        )
    )
    TINY.to_csv(tmp_path / "sales.csv", index=False)
    spec = write(
        tmp_path,
        """
        buyers: {name: Buyers, source: sales, python: distinct_buyers,
                 columns: {customer_id: buyer}, unit: count, direction: up}
        """,
        "sales: {path: sales.csv, time: day}",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    done = subprocess.run(
        [sys.executable, "-m", "kpikit", "compute", str(spec), "--format", "csv"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(pd.io.common.StringIO(done.stdout), dtype={"period": str})
    expected = TINY.assign(period=TINY["day"].str[:7]).groupby("period")["buyer"].nunique()
    assert dict(zip(got["period"], got["value"], strict=True)) == expected.astype(float).to_dict()
    lint = subprocess.run(
        [sys.executable, "-m", "kpikit", "lint", str(spec)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert "unknown KPI function" not in lint.stdout + lint.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "kpikit", "compute", str(spec)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert missing.returncode == 2
    assert "unknown KPI function 'distinct_buyers'" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


# --- registry and errors ---------------------------------------------------------------------


def test_registering_a_name_twice_is_an_error_unless_replace(repeat_share: str) -> None:
    with pytest.raises(ParameterError, match="'repeat_share' is already registered.*replace=True"):
        kpikit.kpi_function("repeat_share")(lambda ctx: ctx)

    def other(ctx: KpiContext) -> pd.DataFrame:
        """Another one."""
        return pd.DataFrame()

    kpikit.kpi_function("repeat_share", replace=True)(other)
    assert functions.get_function("repeat_share").func is other
    with pytest.raises(ParameterError, match="identifier"):
        kpikit.kpi_function("not a name")


def test_built_ins_are_listed_and_unknown_names_get_a_hint() -> None:
    names = functions.function_names()
    for name in ("customer_retention", "customer_churn", "employee_turnover",
                 "employee_retention"):  # fmt: skip
        assert name in names
    with pytest.raises(FunctionError, match="no KPI function named 'employee_turnvoer'.*"
                       "did you mean 'employee_turnover'"):  # fmt: skip
        functions.get_function("employee_turnvoer")


def lint_messages(path: Path) -> list[str]:
    return [str(p) for p in lint_spec(path) if p.severity == "error"]


def test_lint_reports_every_python_kpi_mistake_with_lines_and_hints(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        a: {name: A, source: orders, python: customer_retnetion, unit: percent, direction: up}
        b: {name: B, source: orders, python: customer_churn, measure: count(), unit: percent,
            direction: up}
        c: {name: C, source: employees, python: employee_turnover,
            columns: {employee_id: employe_id}, unit: percent, direction: down}
        d: {name: D, source: orders, python: employee_retention, unit: percent, direction: up}
        e: {name: E, source: orders, measure: count(), columns: {x: order_id}, unit: count,
            direction: up}
        f: {name: F, source: orders, python: customer_churn, window: all, unit: percent,
            direction: down}
        """,
    )
    errors = lint_messages(path)
    text = "\n".join(errors)
    assert ":6: a: error: python: unknown KPI function 'customer_retnetion'" in text
    assert "did you mean 'customer_retention'?" in text
    assert ":7: b: error: measure: a Python KPI takes no 'measure'" in text
    assert (
        "c: error: columns.employee_id: column 'employe_id' not found in source 'employees'" in text
    )
    assert "did you mean 'employee_id'?" in text
    assert "d: error: python: function 'employee_retention' needs a column 'employee_id'" in text
    assert "e: error: columns: 'columns' maps a catalog entry's (or a Python KPI's) column" in text
    assert text.count("e: error: columns:") == 1  # said once, not by two checks
    assert "f: error: window: a Python KPI takes no 'window'" in text
    with pytest.raises(SpecError):
        load_spec(path)


def test_columns_maps_canonical_names_to_source_columns(tmp_path: Path) -> None:
    staff = pd.read_csv(EMPLOYEES).rename(
        columns={"employee_id": "person", "hire_date": "start", "termination_date": "end"}
    )
    staff.to_csv(tmp_path / "staff.csv", index=False)
    spec = write(
        tmp_path,
        """
        turnover: {name: T, source: staff, python: employee_turnover, unit: percent,
                   direction: down,
                   columns: {employee_id: person, hire_date: start, termination_date: end}}
        """,
        "staff: {path: staff.csv, time: start}",
    )
    got = kpikit.compute(spec, start="2026-04", end="2026-07")
    assert got["value"].round(3).tolist() == [0.023, 0.023, 0.026, 0.034]  # data/README.md


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (lambda ctx: [1, 2], "returned list: expected a pandas DataFrame"),
        (lambda ctx: pd.DataFrame({"period": ["2026-01"], "values": [1.0]}),
         "returned no column 'value'.*did you mean 'values'"),
        (lambda ctx: pd.DataFrame({"period": ["1999-01"], "value": [1.0]}),
         "returned a period it was not asked for: '1999-01'"),
        (lambda ctx: pd.DataFrame({"period": ["2026-01"], "value": ["high"]}),
         "returned a column 'value' that does not hold numbers"),
        (lambda ctx: pd.DataFrame({"period": ["2026-01", "2026-01"], "value": [1.0, 2.0]}),
         "returned two rows for the same period and segment"),
        (lambda ctx: pd.DataFrame({"period": ["2026-01"], "value": [1.0], "extra": [1]}),
         "returned an unexpected column 'extra'"),
    ],
)  # fmt: skip
def test_a_bad_return_is_an_error_naming_the_function_and_kpi(
    write_spec: Any, returned: Any, message: str
) -> None:
    kpikit.kpi_function("broken", replace=True)(returned)
    try:
        spec = write_spec(
            {"sales": TINY},
            "bad: {name: Bad, source: sales, python: broken, unit: count, direction: up}",
        )
        with pytest.raises(FunctionError, match=r"KPI function 'broken' \(KPI 'bad'\) " + message):
            kpikit.compute(spec)
    finally:
        functions._unregister("broken")


def test_a_zero_denominator_gives_an_empty_value(write_spec: Any) -> None:
    @kpikit.kpi_function("zero", replace=True)
    def zero(ctx: KpiContext) -> pd.DataFrame:
        return ctx.periods[["period"]].assign(value=np.inf, numerator=1.0, denominator=0.0)

    try:
        spec = write_spec(
            {"sales": TINY}, "z: {name: Z, source: sales, python: zero, unit: ratio, direction: up}"
        )
        got = kpikit.compute(spec)
        assert got["period"].tolist() == ["2026-01", "2026-02", "2026-03"]
        assert got["value"].isna().all() and (got["denominator"] == 0).all()
    finally:
        functions._unregister("zero")


def test_a_missing_mapped_column_in_data_is_a_data_error(
    write_spec: Any, repeat_share: str
) -> None:
    spec = write_spec(
        {"sales": TINY},
        """
        repeat: {name: Repeat share, source: sales, python: repeat_share,
                 columns: {customer_id: buyer}, unit: percent, direction: up}
        """,
    )
    with pytest.raises(DataError, match="column 'buyer' not found in source 'sales'"):
        kpikit.compute(spec, data={"sales": TINY.drop(columns="buyer")})


def test_the_example_in_the_spec_docs_runs_and_matches_sql(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "kpi-spec.md").read_text(encoding="utf-8")
    section = text[text.index("### Python KPIs") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", 10)]
    example = example.replace("path: orders.csv", f"path: '{ORDERS}'")
    example = example.replace("path: employees.csv", f"path: '{EMPLOYEES}'")
    (tmp_path / "people.yml").write_text(example, encoding="utf-8")
    got = kpikit.compute(tmp_path / "people.yml", grain="quarter", start="2026-Q1", end="2026-Q3")
    counts = customers_sql("quarter", None, kept_only=True)
    counts = counts[counts["start"].between("2026-01-01", "2026-07-01")].sort_values("start")
    retention = got[got["kpi"] == "customer_retention"]
    np.testing.assert_allclose(retention["value"], counts["retained"] / counts["den"])


def test_a_python_kpi_is_an_immutable_hashable_value(builtins_spec: Path, tmp_path: Path) -> None:
    spec = load_spec(builtins_spec)
    turnover = spec.kpi("turnover")
    assert (turnover.python, dict(turnover.columns), turnover.source) == (
        "employee_turnover", {}, "employees",
    )  # fmt: skip
    assert turnover.definition == "python: employee_turnover"
    assert len({*spec.kpis.values()}) == len(spec.kpis)  # usable in sets and as dict keys
    mapped = turnover._replace(columns={"employee_id": "person"})
    assert mapped != turnover and hash(mapped) == hash(turnover)


# --- properties ------------------------------------------------------------------------------

ORDERS_ROWS = st.lists(
    st.tuples(
        st.integers(0, 4), st.sampled_from([1, 15]), st.sampled_from("abcde"),
        st.sampled_from("xy"),
    ),
    min_size=1,
    max_size=25,
)  # fmt: skip


@pytest.fixture(scope="module")
def retention_spec(tmp_path_factory: pytest.TempPathFactory, make_spec_in: Any) -> Any:
    frame = pd.DataFrame({"day": ["2026-01-01"], "buyer": ["a"], "seg": ["x"]})
    yaml = """
    r: {name: R, source: src, python: customer_retention, columns: {customer_id: buyer},
        unit: percent, direction: up}
    c: {name: C, source: src, python: customer_churn, columns: {customer_id: buyer},
        unit: percent, direction: down}
    """
    return make_spec_in(tmp_path_factory.mktemp("retention"), {"src": frame}, yaml)


def test_retention_equals_a_brute_force_count_of_sets_for_any_orders(
    retention_spec: Any, native: Any, backend: str
) -> None:
    @settings(max_examples=6 if backend == "spark" else 40, deadline=None)
    @given(ORDERS_ROWS)
    def check(rows: list[tuple[int, int, str, str]]) -> None:
        frame = pd.DataFrame(rows, columns=["month", "day", "buyer", "seg"])
        days = pd.to_datetime({"year": 2026, "month": frame["month"] + 1, "day": frame["day"]})
        frame = frame.assign(day=days)[["day", "buyer", "seg", "month"]]
        first = frame["day"].min()
        data = {"src": native(frame.drop(columns="month"))}
        total = kpikit.compute(retention_spec, data=data, backend=backend)
        parts = kpikit.compute(retention_spec, by="seg", data=data, backend=backend)
        bought = {m: set(frame.loc[frame["month"] == m, "buyer"]) for m in range(-1, 6)}
        expected, expected_parts = [], []
        for m in range(int(frame["month"].min()), int(frame["month"].max()) + 1):
            period = f"2026-{m + 1:02d}"
            observed = m >= 1 and pd.Timestamp(2026, m, 1) >= first  # previous month's start
            cohort = bought[m - 1]
            kept = len(cohort & bought[m])
            expected.append((period, *(_ratio(kept, len(cohort)) if observed else _empty())))
            for seg in "xy":
                mine = set(frame.loc[(frame["month"] == m - 1) & (frame["seg"] == seg), "buyer"])
                if mine:
                    ratio = _ratio(len(mine & bought[m]), len(mine)) if observed else _empty()
                    expected_parts.append((period, seg, *ratio))
        got = total[total["kpi"] == "r"][["period", "value", "numerator", "denominator"]]
        want = pd.DataFrame(expected, columns=["period", "value", "numerator", "denominator"])
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
        got_parts = parts[parts["kpi"] == "r"][["period", "seg", "value", "numerator",
                                                "denominator"]]  # fmt: skip
        want_parts = pd.DataFrame(expected_parts, columns=got_parts.columns)
        pd.testing.assert_frame_equal(
            got_parts.reset_index(drop=True), want_parts, check_dtype=False
        )
        churn = total[total["kpi"] == "c"].reset_index(drop=True)
        np.testing.assert_allclose(churn["value"], 1 - want["value"], atol=1e-12)

    check()


def _ratio(kept: int, cohort: int) -> tuple[float, float, float]:
    return (kept / cohort if cohort else float("nan"), float(kept), float(cohort))


def _empty() -> tuple[float, float, float]:
    return (float("nan"),) * 3


def test_a_function_that_declares_columns_gets_only_those(write_spec: Any) -> None:
    seen: list[list[str]] = []

    @kpikit.kpi_function("peek", columns=["customer_id"], replace=True)
    def peek(ctx: KpiContext) -> pd.DataFrame:
        seen.append(sorted(ctx.rows.columns))
        return ctx.periods[["period"]].assign(value=float(len(ctx.rows)))

    try:
        frame = TINY.assign(customer_id="someone else")  # the mapped column wins over this one
        spec = write_spec(
            {"sales": frame},
            """
            p: {name: P, source: sales, python: peek, columns: {customer_id: buyer},
                filter: "shop == 'y'", unit: count, direction: up}
            """,
        )
        got = kpikit.compute(spec, kpis="p")
        assert seen == [["customer_id", "day", "shop"]]  # shop: the filter reads it
        assert got["value"].tolist() == [3.0, 3.0, 3.0]  # the 3 shop-y rows, whole source each time
    finally:
        functions._unregister("peek")
