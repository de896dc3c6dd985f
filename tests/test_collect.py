"""The command on DuckDB: no pandas at all when none is needed, else the query beside its import.

``kpikit compute --backend duckdb`` finishes in plain Python (kpikit._rows) unless a step needs
pandas (``--compare``, ``--top``, windows); then kpikit._collect runs the query in a worker thread
while the command imports pandas. Both happen only in a process that has not imported pandas
yet, so the tests run the command in a fresh interpreter, count the threaded calls and say
whether pandas was imported; the numbers are checked against a groupby written here, and errors
against the one-line CLI message.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpikit import compute
from kpikit._collect import _beside_imports
from kpikit.errors import DataError

ROOT = Path(__file__).resolve().parents[1]

SPEC = """\
version: 1
sources:
  ads: {path: ads.parquet, time: date}
kpis:
  spend: {name: Spend, source: ads, measure: sum(spend), unit: currency, direction: down}
  clicks: {name: Clicks, source: ads, measure: sum(clicks), unit: count, direction: up}
  cpc:
    name: Cost per click
    source: ads
    numerator: sum(spend)
    denominator: sum(clicks)
    unit: currency
    direction: down
  mean_spend: {name: Mean spend, source: ads, measure: mean(spend), unit: currency, direction: up}
  campaigns:
    {name: Campaigns, source: ads, measure: count_distinct(campaign), unit: count, direction: up}
  cpm: {name: CPM, formula: spend * 1000 / clicks, unit: currency, direction: down}
"""

# Runs the CLI in a fresh interpreter and reports whether the query ran in the worker thread.
RUN = """\
import json, sys
assert "pandas" not in sys.modules
import kpikit._collect as c
calls = []
plain = c._beside_imports
c._beside_imports = lambda relation: (calls.append(1), plain(relation))[1]
import kpikit.cli
status = kpikit.cli.main(sys.argv[1:])
print(json.dumps({"status": status, "threaded": len(calls), "pandas": "pandas" in sys.modules}))
"""


def _ads(rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, rows), "D"),
            "channel": rng.choice(["search", "social", "video"], rows),
            "campaign": rng.choice([f"c{i}" for i in range(9)], rows),
            "clicks": rng.integers(0, 40, rows),
            "spend": np.round(rng.uniform(0, 80, rows), 2),
        }
    )


def _write(folder: Path, frame: pd.DataFrame) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(0, "date", table["date"].cast(pa.date32()))
    pq.write_table(table, folder / "ads.parquet", row_group_size=1000)
    spec = folder / "ads.yml"
    spec.write_text(SPEC)
    return spec


def _run(*args: str, cwd: Path) -> tuple[dict[str, Any], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, cwd=cwd, env=env
    )
    assert done.stdout, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def test_the_cli_computes_on_duckdb_without_importing_pandas(tmp_path: Path) -> None:
    ads = _ads()
    spec = _write(tmp_path, ads)
    args = ["compute", str(spec), "--by", "channel", "--backend", "duckdb", "--format", "csv"]
    outcome, _ = _run(*args, "-o", "out.csv", cwd=tmp_path)
    assert outcome == {"status": 0, "threaded": 0, "pandas": False}
    got = pd.read_csv(tmp_path / "out.csv").set_index(["kpi", "period", "channel"])["value"]

    # By hand: months and channels, sums, a ratio of sums, a mean, distinct campaigns.
    g = ads.assign(period=ads["date"].dt.strftime("%Y-%m")).groupby(["period", "channel"])
    want = pd.concat(
        {
            "spend": g["spend"].sum(),
            "clicks": g["clicks"].sum().astype(float),
            "cpc": g["spend"].sum() / g["clicks"].sum(),
            "mean_spend": g["spend"].mean(),
            "campaigns": g["campaign"].nunique().astype(float),
            "cpm": g["spend"].sum() * 1000 / g["clicks"].sum(),
        },
        names=["kpi"],
    )
    assert len(got) == len(want) == 6 * 3 * 3
    np.testing.assert_allclose(got.loc[want.index].to_numpy(), want.to_numpy(), rtol=1e-10)


def test_a_comparison_needs_pandas_and_its_query_runs_beside_the_import(tmp_path: Path) -> None:
    ads = _ads()
    spec = _write(tmp_path, ads)
    args = ["compute", str(spec), "--compare", "previous", "--backend", "duckdb", "--format", "csv"]
    outcome, _ = _run(*args, "-o", "out.csv", cwd=tmp_path)
    assert outcome == {"status": 0, "threaded": 1, "pandas": True}
    got = pd.read_csv(tmp_path / "out.csv").set_index(["kpi", "period"])
    monthly = ads.groupby(ads["date"].dt.strftime("%Y-%m"))["spend"].sum()  # by hand
    spend = got.loc["spend"]
    np.testing.assert_allclose(spend["value"], monthly.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(
        spend["previous_value"].iloc[1:], monthly.to_numpy()[:-1], rtol=1e-10
    )


def test_the_same_command_prints_the_same_bytes_with_and_without_the_thread(
    tmp_path: Path,
) -> None:
    spec = _write(tmp_path, _ads())
    args = ["compute", str(spec), "--by", "channel", "--backend", "duckdb", "--compare", "previous"]
    threaded, _ = _run(*args, "--format", "csv", "-o", "threaded.csv", cwd=tmp_path)
    assert threaded == {"status": 0, "threaded": 1, "pandas": True}
    # In this process pandas is imported, so the query runs in the calling thread.
    from kpikit.cli import main

    assert main([*args, "--format", "csv", "-o", str(tmp_path / "plain.csv")]) == 0
    assert (tmp_path / "threaded.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()


def _damaged(folder: Path) -> Path:
    """A Parquet file whose footer reads but whose first page header is broken."""
    spec = _write(folder, _ads())
    data = bytearray((folder / "ads.parquet").read_bytes())
    data[4:64] = b"\xff" * 60
    (folder / "ads.parquet").write_bytes(bytes(data))
    return spec


@pytest.mark.parametrize(
    ("extra", "threaded"), [((), 0), (("--compare", "previous"), 1)], ids=["plain", "threaded"]
)
def test_an_error_while_querying_reaches_the_cli_as_one_line(
    tmp_path: Path, extra: tuple[str, ...], threaded: int
) -> None:
    spec = _damaged(tmp_path)
    outcome, stderr = _run("compute", str(spec), "--backend", "duckdb", *extra, cwd=tmp_path)
    assert outcome["status"] == 2 and outcome["threaded"] == threaded
    assert stderr.count("\n") == 1
    assert stderr.startswith(
        "kpikit: error: DuckDB could not compute the KPIs of source 'ads': expected data DuckDB "
        "can read to the end, found "
    )
    assert "Hint: check that ads.parquet is complete and readable" in stderr


def test_a_damaged_file_found_while_querying_is_a_data_error_in_process(tmp_path: Path) -> None:
    spec = _damaged(tmp_path)
    with pytest.raises(DataError, match=r"DuckDB could not compute the KPIs of source 'ads'"):
        compute(spec, backend="duckdb")


class _Relation:
    """Stands in for a DuckDB relation: to_arrow_table returns or raises what it is given."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def to_arrow_table(self) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def test_the_worker_s_own_exception_is_raised_in_the_caller_s_thread() -> None:
    error = DataError("from the worker", expected="nothing", found="this")
    with pytest.raises(DataError, match="from the worker") as caught:
        _beside_imports(_Relation(error))
    assert caught.value is error


def test_the_worker_s_rows_come_back_as_pandas() -> None:
    table = pa.table({"period": [24313, 24314], "value": [1.5, None]})
    frame = _beside_imports(_Relation(table))
    assert frame["period"].tolist() == [24313, 24314]
    assert frame["value"].iloc[0] == 1.5 and np.isnan(frame["value"].iloc[1])
    assert io.StringIO(frame.to_csv(index=False)).read() == "period,value\n24313,1.5\n24314,\n"
