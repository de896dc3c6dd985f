"""The kpikit command: in-process through main(), and as a real `python -m kpikit` process."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import kpikit
from kpikit import cli
from kpikit.cli import main
from kpikit.report import ReportResult

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "data" / "kpis.yml"
ORDERS = ROOT / "data" / "orders.csv"
LINT_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+): (?P<kpi>[\w-]+): (?P<severity>error|warning): .+"
)


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Any:
    """`python -m kpikit ARGS` in a fresh process that imports this checkout's kpikit."""
    environ = {**os.environ, **(env or {})}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "kpikit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
    )


def kept_orders() -> pd.DataFrame:
    orders = pd.read_csv(ORDERS, parse_dates=["order_date"])
    kept = orders[~orders["refunded"]].copy()
    kept["period"] = kept["order_date"].dt.strftime("%Y-%m")
    return kept


# --- compute -------------------------------------------------------------------------------------


def test_compute_csv_matches_an_independent_pandas_computation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compute", str(SPEC), "--kpi", "revenue", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    got = pd.read_csv(io.StringIO(out), dtype={"period": str})
    expected = kept_orders().groupby("period")["revenue"].sum()
    assert list(got.columns) == ["kpi", "period", "complete", "value", "numerator", "denominator"]
    assert set(got["kpi"]) == {"revenue"}
    assert list(got["period"]) == list(expected.index)
    assert len(got) == 36
    assert got["value"].to_numpy() == pytest.approx(
        expected.to_numpy(), rel=1e-11
    )  # aggregates carry 12 significant digits
    # a plain measure has no numerator or denominator: empty cells, not "nan"
    assert out.splitlines()[1].endswith(",,") and "nan" not in out.lower()


def test_compute_csv_by_segment_and_range_for_a_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compute", str(SPEC), "--kpi", "average_order_value", "--by", "channel"]
    assert main([*args, "--from", "2026-07", "--to", "2026-08", "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"period": str})
    kept = kept_orders()
    kept = kept[kept["period"].isin(["2026-07", "2026-08"])]
    expected = kept.groupby(["period", "channel"])["revenue"].agg(["sum", "count"])
    got = got.set_index(["period", "channel"]).sort_index()
    assert list(got.index) == list(expected.index)
    assert got["numerator"].to_numpy() == pytest.approx(expected["sum"].to_numpy())
    assert got["denominator"].to_numpy() == pytest.approx(expected["count"].to_numpy())
    ratio = (expected["sum"] / expected["count"]).to_numpy()
    assert got["value"].to_numpy() == pytest.approx(ratio)


def test_compute_json_is_a_list_of_records_with_null_for_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["compute", str(SPEC), "--kpi", "orders", "--grain", "quarter", "--from", "2026-Q3"]
    assert main([*args, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    kept = kept_orders()
    q3 = kept[kept["period"].isin(["2026-07", "2026-08", "2026-09"])]
    assert records[0] == {
        "kpi": "orders",
        "period": "2026-Q3",
        "complete": True,
        "value": len(q3),
        "numerator": None,
        "denominator": None,
    }
    assert [r["period"] for r in records] == ["2026-Q3", "2026-Q4"]


def test_compute_table_is_aligned_and_formats_values_by_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["compute", str(SPEC), "--kpi", "revenue", "--kpi", "click_through_rate"]
    assert main([*args, "--from", "2026-08", "--to", "2026-08"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["kpi", "period", "complete", "value", "numerator", "denominator"]
    revenue = kept_orders().query("period == '2026-08'")["revenue"].sum()
    assert lines[1].split()[:4] == [
        "revenue",
        "2026-08",
        "true",
        kpikit.fmt.format_value(revenue, "currency"),
    ]
    assert re.fullmatch(
        r"click_through_rate\s+2026-08\s+true\s+\d+\.\d%\s+[\d,]+\s+[\d,]+", lines[2]
    )
    assert lines[0].index("period") == lines[1].index("2026-08")  # labels left-aligned
    assert len({len(line) for line in lines[1:]}) == 1  # numbers right-aligned in columns


def test_compute_output_file_is_written_atomically_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "revenue.csv"
    target.write_text("old content", encoding="utf-8")
    assert (
        main(["compute", str(SPEC), "--kpi", "revenue", "--format", "csv", "-o", str(target)]) == 0
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"kpikit: wrote 36 rows to {target}\n"
    assert target.read_text(encoding="utf-8").startswith(
        "kpi,period,complete,value,numerator,denominator\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["revenue.csv"]  # no temporary file left


@pytest.mark.filterwarnings("default::kpikit.errors.KpikitWarning")  # printed by main()
@pytest.mark.parametrize("output", ["csv", "table"])
def test_compute_by_channel_prints_the_same_numbers_on_every_backend(
    backend: str, output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compute", str(SPEC), "--grain", "quarter", "--by", "channel", "--format", output]
    assert main(args) == 0
    on_pandas = capsys.readouterr()
    assert main([*args, "--backend", backend]) == 0
    got = capsys.readouterr()
    assert got.out == on_pandas.out  # byte for byte: 12 significant digits hide float noise
    assert got.err == on_pandas.err
    first = got.err.splitlines()[0]
    assert first.startswith(
        "kpikit: warning: left out brand_recall, email_open_rate, "
    ) and first.endswith(": their sources have no column 'channel'")


def test_compute_by_a_column_some_sources_lack_warns_once_per_reason() -> None:
    spec = kpikit.load_spec(SPEC)
    has_channel = {sid for sid, source in spec.sources.items() if "channel" in source.columns}
    left_out = [k.id for k in spec.kpis.values() if not has_channel >= set(spec.sources_of(k.id))]
    assert left_out and len(left_out) < len(spec.kpis)
    done = run(
        "compute", str(SPEC), "--grain", "year", "--by", "channel", "--format", "csv",
        "--compare", "previous,year_ago",  # comparisons aggregate again: still said once
    )  # fmt: skip
    assert done.returncode == 0
    direct = [k for k in left_out if spec.kpi(k).formula is None]
    derived = [k for k in left_out if spec.kpi(k).formula is not None]  # csat, nps ...
    assert direct and derived
    assert done.stderr.splitlines() == [
        f"kpikit: warning: left out {', '.join(direct)}: their sources have no column 'channel'",
        f"kpikit: warning: left out {', '.join(derived)}: computed from KPIs that were left out",
    ]
    got = pd.read_csv(io.StringIO(done.stdout))
    assert set(got["kpi"]) == set(spec.kpis) - set(left_out)
    named = run("compute", str(SPEC), "--by", "channel", "--kpi", "revenue", "--kpi", left_out[0])
    assert named.returncode == 2  # KPIs named with --kpi must all have the column
    assert re.match(
        rf"kpikit: error: cannot group KPI\(s\) {left_out[0]} by 'channel'", named.stderr
    )


def test_compute_output_into_a_missing_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compute", str(SPEC), "-o", str(tmp_path / "nope" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpikit: error: cannot write the output file") and "mkdir -p" in err


# --- user mistakes: exit 2, one line, no traceback -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compute", str(SPEC), "--grain", "mnth"], "unknown grain 'mnth'.*did you mean 'month'"),
        (["compute", str(SPEC), "--kpi", "revnue"], "no KPI 'revnue'.*did you mean 'revenue'"),
        (["compute", "missing.yml"], "spec file not found: missing.yml"),
        (["compute", str(SPEC), "--from", "2026-13"], "invalid period '2026-13'"),
        (
            ["compute", str(SPEC), "--backend", "duckbd"],
            "no backend named 'duckbd': expected one of pandas, polars, duckdb, spark.*"
            "did you mean 'duckdb'",
        ),
        (["report", "--period", "2026-13"], "invalid period '2026-13'"),
        (["report", "--period", "2026-Q3"], "the report period must be a month"),
        (["report", "--period", "2026-08", "--template", "monthly_reprot"], "did you mean"),
        (["report", "--period", "2026-08", "--spec", "missing.yml"], "spec file not found"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("kpikit: error: ")
    assert re.search(message, line)


@pytest.mark.parametrize(
    "args",
    [
        ["compute", str(SPEC), "--grain", "fortnight"],
        ["compute", str(SPEC), "--kpi", "nope"],
        ["compute", str(SPEC), "--backend", "sparkk"],
        ["compute", "missing.yml"],
        ["lint", "missing.yml"],
    ],
)
def test_user_mistakes_exit_2_from_a_real_process(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("kpikit: error: ")
    assert "Traceback" not in done.stderr


def test_warnings_are_one_line_each_and_do_not_change_the_exit_status(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,order_date,revenue\n1,2026-01-05,10\n2,,5\n3,2026-01-09,20\n"
    )
    spec = tmp_path / "kpis.yml"
    spec.write_text(
        BROKEN.split("  orders:\n    name")[0].replace("revnue", "revenue"), encoding="utf-8"
    )
    done = run("compute", str(spec), "--format", "csv")
    assert done.returncode == 0
    assert done.stdout.splitlines()[1:] == ["revenue,2026-01,False,30.0,,"]
    assert done.stderr.splitlines() == [
        "kpikit: warning: 1 row(s) of source 'orders' have no 'order_date' and are left out of "
        "every period"
    ]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute"]) == 2
    assert "the following arguments are required: SPEC" in capsys.readouterr().err
    assert main(["compute", str(SPEC), "--format", "xml"]) == 2
    assert main(["report"]) == 2
    assert main([]) == 2
    done = run("compute", str(SPEC), "--format", "xml")
    assert done.returncode == 2 and "invalid choice: 'xml'" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"kpikit {kpikit.__version__}\n"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("compute", "lint", "report", "exit status"))
    assert main(["compute", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    from kpikit._backends import backend_names

    assert all(name in out for name in backend_names()) and "--backend NAME" in out


def test_start_up_imports_neither_pandas_nor_papermill() -> None:
    code = (
        "import sys, kpikit.cli\n"
        "heavy = {'pandas', 'numpy', 'narwhals', 'matplotlib', 'papermill', 'nbconvert'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "[]", done.stderr


# --- lint ----------------------------------------------------------------------------------------


def test_lint_of_the_sample_spec_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SPEC)]) == 0
    assert capsys.readouterr().out == f"{SPEC}: no problems\n"
    done = run("lint", "data/kpis.yml")
    assert done.returncode == 0 and done.stdout == "data/kpis.yml: no problems\n"


BROKEN = """\
version: 1
sources:
  orders: {path: orders.csv, time: order_date}
kpis:
  revenue:
    name: Revenue
    source: orders
    measure: sum(revnue)
    unit: currency
    direction: up
  orders:
    name: Orders
    source: orders
    measure: count()
    unit: pieces
    direction: up
    colour: blue
"""


def test_lint_of_a_broken_spec_lists_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "orders.csv").write_text("order_id,order_date,revenue\n1,2026-01-01,10\n")
    spec = tmp_path / "kpis.yml"
    spec.write_text(BROKEN, encoding="utf-8")
    assert main(["lint", str(spec)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines and all(LINT_LINE.match(line) for line in lines), lines
    found = {(m["line"], m["kpi"], m["severity"]) for m in map(LINT_LINE.match, lines) if m}
    assert ("8", "revenue", "error") in found  # sum(revnue): no such column
    assert ("15", "orders", "error") in found  # unit: pieces
    assert ("17", "orders", "error") in found  # colour: unknown key
    assert all(line.startswith(f"{spec}:") for line in lines)
    assert "did you mean 'revenue'?" in captured.out
    assert captured.err.startswith(f"{spec}: 3 errors")
    done = run("lint", str(spec))
    assert done.returncode == 1 and done.stdout.splitlines() == lines


def test_lint_with_only_warnings_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "orders.csv").write_text("order_id,order_date,revenue\n1,2026-01-01,10\n")
    spec = tmp_path / "kpis.yml"
    spec.write_text(BROKEN.split("  orders:\n    name")[0].replace("revnue", "revenue"))
    assert main(["lint", str(spec)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(LINT_LINE.match(line)["severity"] == "warning" for line in lines)  # type: ignore[index]


# --- report --------------------------------------------------------------------------------------


def test_report_resolves_last_complete_and_passes_the_spec_it_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_report(template: Path, **kwargs: Any) -> ReportResult:
        calls.append({"template": template, **kwargs})
        folder = Path(kwargs["output_dir"]).resolve()
        return ReportResult(folder / "monthly_report.ipynb", folder / "monthly_report.html")

    monkeypatch.setattr("kpikit.report.run_report", fake_run_report)
    monkeypatch.chdir(ROOT)
    args = ["report", "--period", "last-complete", "--spec", "data/kpis.yml", "-q"]
    assert main([*args, "--output-dir", str(tmp_path)]) == 0
    (call,) = calls
    assert call["template"] == Path("templates/monthly_report.ipynb")
    # the report stores its review (save_review), so the next one says what changed since
    assert call["parameters"] == {"period": "2026-11", "spec_path": str(SPEC), "save_review": True}
    assert call["output_dir"] == tmp_path / "2026-11"
    assert call["progress"] is False
    assert capsys.readouterr().out.splitlines() == [
        str(tmp_path / "2026-11" / "monthly_report.ipynb"),
        str(tmp_path / "2026-11" / "monthly_report.html"),
    ]
    assert main([*args, "--output-dir", str(tmp_path), "--no-save"]) == 0
    assert calls[-1]["parameters"] == {"period": "2026-11", "spec_path": str(SPEC)}


def test_report_end_to_end_in_a_real_process(tmp_path: Path) -> None:
    # --no-save: a test leaves no check-in database in data/
    done = run("report", "--period", "2026-08", "--output-dir", str(tmp_path), "--no-save")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "2026-08"
    assert done.stdout.splitlines() == [
        str(folder / "monthly_report.ipynb"),
        str(folder / "monthly_report.html"),
    ]
    stages = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert [s.split("]")[0] for s in stages] == ["[1/3", "[2/3", "[3/3"]
    assert "Executing" in done.stderr  # papermill's cell progress bar
    assert "Traceback" not in done.stderr
    assert "2026-08" in (folder / "monthly_report.html").read_text(encoding="utf-8")


def test_template_names_resolve_in_the_templates_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert cli._template("monthly_report") == Path("templates/monthly_report.ipynb")
    assert cli._template(str(ROOT / "templates" / "monthly_report.ipynb")).is_file()
