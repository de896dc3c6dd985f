"""Benchmark kpikit's engine against hand-written DuckDB SQL and hand-written pandas.

Generates a daily campaign table (10 million rows by default) as Parquet, writes a spec with 20
KPIs over it, and computes a monthly scorecard by channel:

- with ``kpikit.compute(spec, grain="month", by="channel", backend=...)`` on each backend;
- with one hand-written DuckDB SQL query on the Parquet file;
- with a hand-written pandas ``read_parquet`` + ``groupby``.

It asserts that every result agrees (relative tolerance 1e-9), then prints the cold time (first
run) and the median of ``--repeat`` warm runs of each, and the ratios kpikit-on-DuckDB / SQL and
kpikit-on-pandas / hand pandas. It also times whole commands: ``kpikit compute ... --backend
duckdb`` against ``python -c "<the SQL script>"``, and ``kpikit --version`` (CLI start-up).

Run: ``make bench`` or ``.venv/bin/python benchmarks/engine.py --rows 1000000 --repeat 3``.
Goals (issue 3): kpikit on DuckDB within 1.2x the SQL; kpikit on pandas within 1.5x hand pandas.
This is a script, not a test: pytest only collects ``tests/``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import kpikit

GOAL_DUCKDB = 1.2
GOAL_PANDAS = 1.5
RTOL = 1e-9
BACKENDS = ("pandas", "polars", "duckdb", "spark")
CHANNELS = ("search", "social", "display", "video", "shopping", "email")
N_CAMPAIGNS = 40
BRAND = ("c01", "c02", "c03", "c04")
START = np.datetime64("2024-01-01")
N_DAYS = 1096  # 2024-01-01 .. 2026-12-31
CHUNK = 1_000_000

# id: (name, definition, unit, direction); a definition is a measure, a (numerator,
# denominator) pair, {"formula": ...}, or a dict of keys that includes a filter.
KPI_DEFS: dict[str, tuple[str, Any, str, str]] = {
    "impressions": ("Impressions", "sum(impressions)", "count", "up"),
    "clicks": ("Clicks", "sum(clicks)", "count", "up"),
    "spend": ("Spend", "sum(spend)", "currency", "down"),
    "conversions": ("Conversions", "sum(conversions)", "count", "up"),
    "sales": ("Attributed sales", "sum(attributed_sales)", "currency", "up"),
    "video_starts": ("Video starts", "sum(video_starts)", "count", "up"),
    "rows": ("Ad-day rows", "count()", "count", "up"),
    "ctr": ("Click-through rate", ("sum(clicks)", "sum(impressions)"), "percent", "up"),
    "cpc": ("Cost per click", ("sum(spend)", "sum(clicks)"), "currency", "down"),
    "cpa": ("Cost per acquisition", ("sum(spend)", "sum(conversions)"), "currency", "down"),
    "roas": ("Return on ad spend", ("sum(attributed_sales)", "sum(spend)"), "ratio", "up"),
    "conversion_rate": ("Conversion rate", ("sum(conversions)", "sum(clicks)"), "percent", "up"),
    "video_completion_rate": (
        "Video completion rate",
        {
            "numerator": "sum(video_completions)",
            "denominator": "sum(video_starts)",
            "filter": "video_starts > 0",
        },
        "percent",
        "up",
    ),
    "active_campaigns": ("Active campaigns", "count_distinct(campaign)", "count", "up"),
    "mean_spend": ("Mean spend per row", "mean(spend)", "currency", "down"),
    "big_spend_rows": (
        "Rows spending over 100",
        {"measure": "count()", "filter": "spend > 100"},
        "count",
        "down",
    ),
    "brand_spend": (
        "Brand campaign spend",
        {"measure": "sum(spend)", "filter": "campaign in ('c01', 'c02', 'c03', 'c04')"},
        "currency",
        "down",
    ),
    "wasted_clicks": (
        "Rows with clicks and no conversion",
        {"measure": "count()", "filter": "clicks > 0 and conversions == 0"},
        "count",
        "down",
    ),
    "cpm": ("Cost per mille", {"formula": "spend * 1000 / impressions"}, "currency", "down"),
    "roi": ("Return on investment", {"formula": "(sales - spend) / spend"}, "ratio", "up"),
}
KPIS = list(KPI_DEFS)


def spec_text() -> str:
    """The benchmark's KPI spec (YAML) over ``ads.parquet`` beside it."""
    kpis: dict[str, dict[str, Any]] = {}
    for kpi, (name, definition, unit, direction) in KPI_DEFS.items():
        entry: dict[str, Any] = {"name": name}
        if isinstance(definition, str):
            entry["measure"] = definition
        elif isinstance(definition, tuple):
            entry["numerator"], entry["denominator"] = definition
        else:
            entry.update(definition)
        if "formula" not in entry:
            entry["source"] = "ads"
        entry.update(unit=unit, direction=direction)
        kpis[kpi] = entry
    spec = {
        "version": 1,
        "sources": {"ads": {"path": "ads.parquet", "time": "date"}},
        "kpis": kpis,
    }
    return yaml.safe_dump(spec, sort_keys=False)


SQL = """\
SELECT date_trunc('month', date) AS month, channel,
  sum(impressions)::DOUBLE AS impressions,
  sum(clicks)::DOUBLE AS clicks,
  sum(spend) AS spend,
  sum(conversions)::DOUBLE AS conversions,
  sum(attributed_sales) AS sales,
  sum(video_starts)::DOUBLE AS video_starts,
  count(*)::DOUBLE AS rows,
  sum(clicks) / nullif(sum(impressions), 0) AS ctr,
  sum(spend) / nullif(sum(clicks), 0) AS cpc,
  sum(spend) / nullif(sum(conversions), 0) AS cpa,
  sum(attributed_sales) / nullif(sum(spend), 0) AS roas,
  sum(conversions) / nullif(sum(clicks), 0) AS conversion_rate,
  sum(video_completions) FILTER (WHERE video_starts > 0)
    / nullif(sum(video_starts) FILTER (WHERE video_starts > 0), 0) AS video_completion_rate,
  count(DISTINCT campaign)::DOUBLE AS active_campaigns,
  avg(spend) AS mean_spend,
  count(*) FILTER (WHERE spend > 100)::DOUBLE AS big_spend_rows,
  coalesce(sum(spend) FILTER (WHERE campaign IN ('c01', 'c02', 'c03', 'c04')), 0) AS brand_spend,
  count(*) FILTER (WHERE clicks > 0 AND conversions = 0)::DOUBLE AS wasted_clicks,
  sum(spend) * 1000 / nullif(sum(impressions), 0) AS cpm,
  (sum(attributed_sales) - sum(spend)) / nullif(sum(spend), 0) AS roi
FROM read_parquet('{path}')
GROUP BY ALL
"""
# Labels are formatted after aggregating: strftime on every row would cost more than the query.
SQL_LABELLED = """\
SELECT strftime(month, '%Y-%m') AS period, * EXCLUDE (month) FROM ({query}) ORDER BY period, channel
"""

# The whole-command baseline: a Python process that runs the SQL and writes CSV.
SQL_SCRIPT = """\
import sys, duckdb
duckdb.sql(sys.argv[1]).write_csv(sys.argv[2])
"""


def generate(path: Path, rows: int, seed: int = 20260101) -> None:
    """Write ``rows`` rows of synthetic daily campaign results to the Parquet file ``path``.

    Written in chunks of a million rows so memory stays flat whatever ``rows`` is.
    """
    rng = np.random.default_rng(seed)
    campaigns = np.array([f"c{i:02d}" for i in range(1, N_CAMPAIGNS + 1)])
    channel_of = np.array(CHANNELS)[np.arange(N_CAMPAIGNS) % len(CHANNELS)]
    ctr_of = rng.uniform(0.005, 0.06, N_CAMPAIGNS)
    cpc_of = rng.uniform(0.2, 2.5, N_CAMPAIGNS)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            day = rng.integers(0, N_DAYS, n)
            camp = rng.integers(0, N_CAMPAIGNS, n)
            impressions = rng.poisson(800, n)
            clicks = rng.binomial(impressions, ctr_of[camp])
            spend = np.round(clicks * cpc_of[camp] * rng.uniform(0.5, 1.5, n), 2)
            conversions = rng.binomial(clicks, 0.04)
            sales = np.round(conversions * rng.gamma(4.0, 20.0, n), 2)
            video_starts = np.where(rng.random(n) < 0.3, rng.poisson(120, n), 0)
            video_completions = rng.binomial(video_starts, 0.45)
            table = pa.table(
                {
                    "date": pa.array(START + day.astype("timedelta64[D]"), pa.date32()),
                    "channel": pa.array(channel_of[camp]),
                    "campaign": pa.array(campaigns[camp]),
                    "impressions": impressions.astype(np.int64),
                    "clicks": clicks.astype(np.int64),
                    "spend": spend,
                    "conversions": conversions.astype(np.int64),
                    "attributed_sales": sales,
                    "video_starts": video_starts.astype(np.int64),
                    "video_completions": video_completions.astype(np.int64),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()


def sql_query(path: Path) -> str:
    """The hand-written query over the Parquet file ``path``."""
    return SQL_LABELLED.format(query=SQL.format(path=path))


def hand_sql(path: Path) -> pd.DataFrame:
    """The scorecard from one hand-written DuckDB query, wide: one row per period and channel."""
    import duckdb

    con = duckdb.connect()
    try:
        return con.sql(sql_query(path)).df()
    finally:
        con.close()


def hand_pandas(path: Path) -> pd.DataFrame:
    """The scorecard from a hand-written pandas groupby, wide: one row per period and channel."""
    # date_as_object=False: the DATE column as datetime64, not one datetime.date object per row.
    df = pq.read_table(path).to_pandas(date_as_object=False)
    df["period"] = df["date"].dt.to_period("M")
    df["vs"] = df["video_starts"].where(df["video_starts"] > 0, 0)
    df["vc"] = df["video_completions"].where(df["video_starts"] > 0, 0)
    df["big"] = df["spend"] > 100
    df["brand_s"] = df["spend"].where(df["campaign"].isin(BRAND), 0.0)
    df["wasted"] = (df["clicks"] > 0) & (df["conversions"] == 0)
    g = df.groupby(["period", "channel"], sort=True, observed=True).agg(
        impressions=("impressions", "sum"),
        clicks=("clicks", "sum"),
        spend=("spend", "sum"),
        conversions=("conversions", "sum"),
        sales=("attributed_sales", "sum"),
        video_starts=("video_starts", "sum"),
        rows=("spend", "size"),
        vs=("vs", "sum"),
        vc=("vc", "sum"),
        active_campaigns=("campaign", "nunique"),
        mean_spend=("spend", "mean"),
        big_spend_rows=("big", "sum"),
        brand_spend=("brand_s", "sum"),
        wasted_clicks=("wasted", "sum"),
    )
    g = g.astype("float64")
    g["ctr"] = g["clicks"] / g["impressions"]
    g["cpc"] = g["spend"] / g["clicks"]
    g["cpa"] = g["spend"] / g["conversions"]
    g["roas"] = g["sales"] / g["spend"]
    g["conversion_rate"] = g["conversions"] / g["clicks"]
    g["video_completion_rate"] = g["vc"] / g["vs"]
    g["cpm"] = g["spend"] * 1000 / g["impressions"]
    g["roi"] = (g["sales"] - g["spend"]) / g["spend"]
    g = g.replace([np.inf, -np.inf], np.nan).reset_index()
    g["period"] = g["period"].astype(str)
    return g[["period", "channel", *KPIS]]


def run_kpikit(spec: Path, backend: str) -> pd.DataFrame:
    """The scorecard from kpikit, as kpikit returns it (tidy: one row per KPI, period, channel)."""
    return kpikit.compute(spec, grain="month", by="channel", backend=backend)


def widen(tidy: pd.DataFrame) -> pd.DataFrame:
    """Return kpikit's tidy result as one row per period and channel, one column per KPI."""
    wide = tidy.pivot(index=["period", "channel"], columns="kpi", values="value")
    return wide.reset_index()[["period", "channel", *KPIS]]


def compare(name: str, got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Fail unless ``got`` and ``want`` hold the same numbers (missing equals missing)."""
    key = ["period", "channel"]
    a = got.astype({"period": str, "channel": str}).set_index(key).sort_index()
    b = want.astype({"period": str, "channel": str}).set_index(key).sort_index()
    if not a.index.equals(b.index):
        raise AssertionError(f"{name}: different periods or channels than the SQL result")
    for kpi in KPIS:
        x = a[kpi].to_numpy("float64", na_value=np.nan)
        y = b[kpi].to_numpy("float64", na_value=np.nan)
        ok = np.isclose(x, y, rtol=RTOL, atol=0.0) | (np.isnan(x) & np.isnan(y))
        if not ok.all():
            i = int(np.argmin(ok))
            raise AssertionError(
                f"{name}: KPI {kpi} differs at {a.index[i]}: {x[i]!r} against SQL {y[i]!r}"
            )


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Run ``fn`` once cold, once more to warm up, then ``repeat`` times.

    Returns:
        The cold time, the median warm time (seconds) and the first run's result.
    """
    gc.collect()
    t = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - t
    fn()  # warm-up
    warm = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t)
    return cold, statistics.median(warm), result


def timed_commands(
    commands: dict[str, list[str]], repeat: int, cwd: Path
) -> dict[str, tuple[float, float]]:
    """Median wall time and CPU time (seconds) of running each command as a process.

    Each command runs once to warm up, then the commands take turns, ``repeat`` rounds: on a
    shared machine the load drifts, and runs taken in turn see the same load, so their ratio is
    fair. CPU time is the child's user plus system time, which the load of other processes
    changes far less than the wall time.
    """
    for argv in commands.values():
        subprocess.run(argv, check=True, cwd=cwd, capture_output=True)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            t = time.perf_counter()
            child = subprocess.Popen(
                argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            walls[name].append(time.perf_counter() - t)
            if status != 0:
                raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), argv)
            cpus[name].append(usage.ru_utime + usage.ru_stime)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in commands
    }


def versions() -> str:
    """Python and library versions, one line."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for lib in ("kpikit", "narwhals", "pandas", "pyarrow", "polars", "duckdb", "pyspark"):
        try:
            parts.append(f"{lib} {version(lib)}")
        except PackageNotFoundError:
            parts.append(f"{lib} (not installed)")
    return ", ".join(parts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (10 million)")
    p.add_argument("--repeat", type=int, default=5, help="warm runs to take the median of (5)")
    p.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated kpikit backends to time (default: all four)",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the data in ~/.cache/kpikit-bench/rows-N/ and reuse it next time",
    )
    args = p.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        p.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Generate the data, time every way of computing the scorecard, check and print."""
    args = parse_args(argv)
    t_total = time.perf_counter()
    if args.keep:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = cache / "kpikit-bench" / f"rows-{args.rows}"
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="kpikit-bench-"))
    try:
        data = folder / "ads.parquet"
        spec = folder / "ads.yml"
        if not data.exists():
            t = time.perf_counter()
            generate(data, args.rows)
            print(f"generated {args.rows:,} rows in {time.perf_counter() - t:.1f} s: {data}")
        else:
            print(f"reusing {data}")
        spec.write_text(spec_text())
        print(f"{data.stat().st_size / 1e6:.0f} MB Parquet; {versions()}")
        print(f"{os.cpu_count()} cores; median of {args.repeat} warm runs after one warm-up\n")

        results: list[tuple[str, float, float]] = []
        cold, warm, want = timed(lambda: hand_sql(data), args.repeat)
        results.append(("hand-written DuckDB SQL", cold, warm))
        cold, warm, got = timed(lambda: hand_pandas(data), args.repeat)
        compare("hand-written pandas", got, want)
        results.append(("hand-written pandas", cold, warm))
        for backend in args.backends:
            cold, warm, tidy = timed(lambda b=backend: run_kpikit(spec, b), args.repeat)
            compare(f"kpikit on {backend}", widen(tidy), want)
            results.append((f"kpikit on {backend}", cold, warm))
            gc.collect()
        print("all results agree (rtol 1e-9)\n")

        times = {name: warm for name, _, warm in results}
        print(f"{'in-process':<28}{'cold s':>10}{'warm s':>10}")
        for name, cold, warm in results:
            print(f"{name:<28}{cold:>10.3f}{warm:>10.3f}")
        print()
        ratios = []
        if "kpikit on duckdb" in times:
            r = times["kpikit on duckdb"] / times["hand-written DuckDB SQL"]
            ratios.append(("kpikit duckdb / SQL", r, GOAL_DUCKDB))
        if "kpikit on pandas" in times:
            r = times["kpikit on pandas"] / times["hand-written pandas"]
            ratios.append(("kpikit pandas / hand pandas", r, GOAL_PANDAS))

        py = sys.executable
        kpikit_bin = str(Path(py).with_name("kpikit"))
        out = folder / "out.csv"
        wholes = timed_commands(
            {
                "python -c pass": [py, "-c", "pass"],
                "kpikit --version": [kpikit_bin, "--version"],
                "kpikit compute (duckdb)": [
                    *(kpikit_bin, "compute", str(spec), "--grain", "month", "--by", "channel"),
                    *("--backend", "duckdb", "--format", "csv", "-o", str(out)),
                ],
                "python -c <duckdb SQL>": [
                    py, "-c", SQL_SCRIPT, sql_query(data), str(folder / "sql.csv")
                ],
            },
            args.repeat,
            folder,
        )  # fmt: skip
        print(f"{'whole commands (in turns)':<28}{'median s':>10}{'CPU s':>10}")
        for name, (wall, cpu) in wholes.items():
            print(f"{name:<28}{wall:>10.3f}{cpu:>10.3f}")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
        print()
        cli, sql_cmd = wholes["kpikit compute (duckdb)"][0], wholes["python -c <duckdb SQL>"][0]
        ratios.append(("CLI duckdb / python SQL", cli / sql_cmd, GOAL_DUCKDB))
        print(f"{'ratio':<30}{'x':>7}{'goal':>7}  met")
        for name, r, goal in ratios:
            print(f"{name:<30}{r:>7.2f}{goal:>7.1f}  {'yes' if r <= goal else 'NO'}")
        cpu = wholes["kpikit compute (duckdb)"][1] / wholes["python -c <duckdb SQL>"][1]
        print(f"{'CLI / python SQL, CPU time':<30}{cpu:>7.2f}      (for the record, not a goal)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
        print(f"\npeak memory: {peak:.1f} GB in this process, {child:.1f} GB in a child process")
        print(f"benchmark took {time.perf_counter() - t_total:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
