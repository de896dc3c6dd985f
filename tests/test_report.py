"""The report runner: parameters checked before any kernel, real papermill runs, offline HTML."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from kpikit import fmt
from kpikit.errors import ParameterError, ReportError
from kpikit.report import (
    ExecutionFailed,
    ReportResult,
    network_resources,
    read_parameters,
    run_report,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "monthly_report.ipynb"
ORDERS = ROOT / "data" / "orders.csv"


# --- helpers -------------------------------------------------------------------------------------


class RecordingExecutor:
    """Records each call; writes a notebook as a kernel would, or fails like a cell would."""

    def __init__(self, *, fail: ExecutionFailed | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def __call__(
        self,
        template: Path,
        output: Path,
        *,
        parameters: Mapping[str, Any],
        cwd: Path,
        progress: bool,
    ) -> None:
        self.calls.append(
            {"template": template, "output": output, "parameters": dict(parameters), "cwd": cwd}
        )
        nb = nbformat.read(template, as_version=4)
        injected = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
        nb.cells.insert(1, nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected"]}))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text="FAKE OUTPUT\n")
                ]
        nbformat.write(nb, output)
        if self.fail is not None:
            raise self.fail


def write_template(path: Path, parameters: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


def cell_tagged(nb: Any, tag: str) -> Any:
    (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    return cell


def output_text(cell: Any, mime: str) -> str:
    return "".join(o["data"][mime] for o in cell.outputs if mime in o.get("data", {}))


def monthly_revenue(month: str) -> float:
    """Revenue of kept (not refunded) orders in a month, straight from the CSV with pandas."""
    orders = pd.read_csv(ORDERS, parse_dates=["order_date"])
    kept = orders[~orders["refunded"]]
    return float(kept.loc[kept["order_date"].dt.strftime("%Y-%m") == month, "revenue"].sum())


@pytest.fixture
def kernel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    _kernel_env(monkeypatch)


def _kernel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is a new process started in the template's folder: let it import this checkout's
    # kpikit even when kpikit is not pip-installed. MPLBACKEND=Agg (as `make test` sets it) must
    # not stop the dashboard from showing: the template asks for the inline backend itself.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")


# --- the template --------------------------------------------------------------------------------


def test_template_declares_typed_parameters_with_defaults_that_run_on_the_sample_data() -> None:
    params = read_parameters(TEMPLATE)
    assert list(params) == ["period", "spec_path", "title", "save_review"]
    assert [p.type for p in params.values()] == ["str", "str", "str", "bool"]
    assert params["save_review"].default is False  # only `kpikit report` stores the review
    assert params["period"].default == "2026-11"
    assert params["period"].help == "reporting month, YYYY-MM"
    assert (TEMPLATE.parent / params["spec_path"].default).resolve() == ROOT / "data" / "kpis.yml"


def test_template_is_stored_without_outputs_and_without_logic() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        assert not re.search(r"^\s*(def|class|for|while|if)\b", cell.source, re.MULTILINE)
    assert cell_tagged(nb, "dashboard").source.rstrip().endswith(";")


# --- parameters are checked before any kernel starts --------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"perod": "2026-08"}, r"unknown report parameter 'perod'.*did you mean 'period'\?"),
        ({"period": 202608}, r"'period' has the wrong type: expected str .* found int 202608"),
        ({"title": None}, r"'title' has the wrong type: expected str .* found NoneType None"),
        ({"period": "2026-13"}, r"invalid period '2026-13'"),
        ({"period": "2026-Q3"}, r"must be a month: expected a month label YYYY-MM"),
        ({"period": "August"}, r"invalid period 'August'"),
    ],
)
def test_bad_parameters_fail_before_any_kernel_starts(
    tmp_path: Path, parameters: dict[str, Any], message: str
) -> None:
    executor = RecordingExecutor()
    with pytest.raises(ParameterError, match=message):
        run_report(
            TEMPLATE, parameters=parameters, output_dir=tmp_path, executor=executor, progress=False
        )
    assert executor.calls == []
    assert list(tmp_path.iterdir()) == []


def test_a_string_is_never_cast_to_a_declared_number(tmp_path: Path) -> None:
    template = write_template(
        tmp_path / "t.ipynb",
        "top: int = 5  # rows\nshare: float = 0.5  # a fraction\nshow: bool = True  # a flag",
    )
    executor = RecordingExecutor()
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match=r"expected int .* found str '5'. Hint: give a number"):
        run_report(template, parameters={"top": "5"}, output_dir=out, executor=executor)
    with pytest.raises(ParameterError, match=r"'top' has the wrong type.*found bool True"):
        run_report(template, parameters={"top": True}, output_dir=out, executor=executor)
    with pytest.raises(ParameterError, match=r"'show' has the wrong type.*found str 'yes'"):
        run_report(template, parameters={"show": "yes"}, output_dir=out, executor=executor)
    assert executor.calls == []
    run_report(
        template,
        parameters={"top": 7, "share": 1, "show": False},
        output_dir=out,
        executor=executor,
        html=False,
        progress=False,
    )
    (call,) = executor.calls
    assert call["parameters"] == {"top": 7, "share": 1.0, "show": False}
    assert type(call["parameters"]["share"]) is float  # int -> float widens; nothing else


def test_a_template_without_a_parameters_cell_takes_no_parameters(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "plain.ipynb")
    with pytest.raises(ParameterError, match=r"plain.ipynb takes no parameters.*'period'"):
        run_report(
            tmp_path / "plain.ipynb",
            parameters={"period": "2026-08"},
            output_dir=tmp_path,
            executor=RecordingExecutor(),
        )


def test_a_missing_or_unreadable_template_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"report template not found"):
        run_report(tmp_path / "nope.ipynb", parameters={}, output_dir=tmp_path)
    (tmp_path / "bad.ipynb").write_text("not json", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"cannot read the report template bad.ipynb"):
        run_report(tmp_path / "bad.ipynb", parameters={}, output_dir=tmp_path)


# --- the runner with an in-memory executor -------------------------------------------------------


def test_runner_writes_notebook_and_html_and_runs_in_the_template_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    executor = RecordingExecutor()
    result = run_report(
        TEMPLATE,
        parameters={"period": "2026-08"},
        output_dir=tmp_path / "reports" / "2026-08",
        executor=executor,
    )
    folder = tmp_path / "reports" / "2026-08"
    assert result == ReportResult(folder / "monthly_report.ipynb", folder / "monthly_report.html")
    assert sorted(p.name for p in folder.iterdir()) == [
        "monthly_report.html",
        "monthly_report.ipynb",
    ]
    (call,) = executor.calls
    assert call["cwd"] == TEMPLATE.parent
    assert call["parameters"] == {"period": "2026-08"}
    assert call["output"].parent == folder and call["output"].name.startswith(".monthly_report.")
    stages = capsys.readouterr().err.splitlines()
    assert stages == [
        "[1/3] checking parameters of monthly_report.ipynb",
        f"[2/3] running the notebook in {TEMPLATE.parent}",
        "[3/3] exporting HTML (code hidden, renders offline)",
    ]
    page = result.html.read_text(encoding="utf-8") if result.html else ""
    assert "<title>Monthly KPI report — 2026-08</title>" in page
    assert "FAKE OUTPUT" in page and "load_spec" not in page  # outputs shown, code hidden


def test_a_failed_cell_keeps_the_failed_notebook_and_the_last_good_report(tmp_path: Path) -> None:
    good = tmp_path / "monthly_report.ipynb"
    good.write_text("the last good report", encoding="utf-8")
    failure = ExecutionFailed(
        "ZeroDivisionError: division by zero", execution_count=3, source="# divide\nratio = 1 / 0"
    )
    with pytest.raises(ReportError) as caught:
        run_report(
            TEMPLATE,
            parameters={"period": "2026-08"},
            output_dir=tmp_path,
            executor=RecordingExecutor(fail=failure),
            progress=False,
        )
    failed = tmp_path / "monthly_report.failed.ipynb"
    assert str(caught.value) == (
        "the report failed in In [3] (`ratio = 1 / 0`): ZeroDivisionError: division by zero; "
        f"the failed notebook is kept at {failed}"
    )
    assert good.read_text(encoding="utf-8") == "the last good report"
    assert nbformat.read(failed, as_version=4).cells  # the evidence, readable
    assert sorted(p.name for p in tmp_path.iterdir()) == [failed.name, good.name]  # no temp files


def test_a_kernel_that_cannot_import_kpikit_gets_a_hint(tmp_path: Path) -> None:
    failure = ExecutionFailed("ModuleNotFoundError: No module named 'kpikit'", execution_count=2)
    with pytest.raises(ReportError, match=r"Hint: the kernel cannot import kpikit: install kpikit"):
        run_report(
            TEMPLATE,
            parameters={},
            output_dir=tmp_path,
            executor=RecordingExecutor(fail=failure),
            progress=False,
        )


def test_a_later_success_replaces_an_earlier_failure(tmp_path: Path) -> None:
    (tmp_path / "monthly_report.failed.ipynb").write_text("{}", encoding="utf-8")
    run_report(
        TEMPLATE,
        parameters={"period": "2026-08"},
        output_dir=tmp_path,
        executor=RecordingExecutor(),
        html=False,
        progress=False,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monthly_report.ipynb"]


def test_html_that_would_load_from_a_cdn_is_refused(tmp_path: Path) -> None:
    template = write_template(
        tmp_path / "cdn.ipynb",
        'period: str = "2026-11"  # month',
    )

    def executor(template: Path, output: Path, **_: Any) -> None:
        nb = nbformat.read(template, as_version=4)
        html = '<script src="https://cdn.plot.ly/plotly-2.0.min.js"></script><div>plot</div>'
        nb.cells[0].outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"})
        ]
        nbformat.write(nb, output)

    with pytest.raises(ReportError, match=r"would not render offline.*cdn.plot.ly"):
        run_report(template, parameters={}, output_dir=tmp_path / "out", executor=executor)
    assert not (tmp_path / "out" / "cdn.html").exists()


def test_network_resources_finds_scripts_and_styles_but_not_links() -> None:
    page = (
        '<script src="https://cdnjs.cloudflare.com/require.js"></script>'
        "<link rel='stylesheet' href='//fonts.example.com/a.css'>"
        '<script type="module">await import("https://cdn.example.com/m.mjs")</script>'
        '<a href="https://example.com">a link</a><script>var x = 1;</script>'
    )
    assert network_resources(page) == [
        "https://cdnjs.cloudflare.com/require.js",
        "//fonts.example.com/a.css",
        "https://cdn.example.com/m.mjs",
    ]


# --- real papermill runs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def august(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportResult]:
    """The monthly report for 2026-08 (not the template's default month), run by papermill."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _kernel_env(monkeypatch)
        out = tmp_path_factory.mktemp("reports") / "2026-08"
        yield run_report(TEMPLATE, parameters={"period": "2026-08"}, output_dir=out, progress=False)


def test_real_run_injects_the_parameters(august: ReportResult) -> None:
    nb = nbformat.read(august.notebook, as_version=4)
    injected = cell_tagged(nb, "injected-parameters")
    assert 'period = "2026-08"' in injected.source
    assert nb.metadata["papermill"]["parameters"] == {"period": "2026-08"}
    assert nb.cells.index(injected) == 1  # right after the template's parameters cell
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_real_run_scorecard_shows_revenue_computed_independently(august: ReportResult) -> None:
    nb = nbformat.read(august.notebook, as_version=4)
    table = output_text(cell_tagged(nb, "scorecard"), "text/html")
    august_revenue = fmt.format_value(monthly_revenue("2026-08"), "currency")
    july_revenue = fmt.format_value(monthly_revenue("2026-07"), "currency")
    assert august_revenue == "875,669"  # the sample data is generated deterministically
    row = re.search(r"<tr>(?:(?!</tr>).)*>Revenue<(?:(?!</tr>).)*</tr>", table, re.DOTALL)
    assert row is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(0))
    assert cells[1:4] == ["Revenue", august_revenue, july_revenue]
    heading = output_text(cell_tagged(nb, "heading"), "text/markdown")
    assert heading.startswith("# Monthly KPI report: 2026-08")


def test_real_run_draws_one_dashboard_figure_even_under_the_agg_backend(
    august: ReportResult,
) -> None:
    nb = nbformat.read(august.notebook, as_version=4)
    dashboard = cell_tagged(nb, "dashboard")
    images = [o for o in dashboard.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert not [o for o in dashboard.outputs if o.get("output_type") == "execute_result"]


def test_real_run_html_has_no_code_and_loads_nothing_from_the_network(
    august: ReportResult,
) -> None:
    assert august.html is not None and august.html.name == "monthly_report.html"
    page = august.html.read_text(encoding="utf-8")
    assert "<title>Monthly KPI report — 2026-08</title>" in page
    assert "2026-08" in page and "Revenue" in page and "data:image/png;base64," in page
    for code in ("import kpikit", "load_spec", "render_dashboard", "In&nbsp;[", "In ["):
        assert code not in page
    assert not re.search(r"<script[^>]*\ssrc=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href=[\"']?(https?:)?//", page, re.IGNORECASE)
    for cdn in ("cdnjs", "unpkg", "jsdelivr", "require.js", "mathjax", "mermaid.esm"):
        assert cdn not in page.lower()
    assert network_resources(page) == []


def test_real_run_of_a_failing_template_keeps_the_failed_notebook(
    tmp_path: Path, kernel_env: None
) -> None:
    template = write_template(
        tmp_path / "broken.ipynb",
        'period: str = "2026-11"  # reporting month, YYYY-MM',
        "share = 1\nratio = share / 0",
        "print('never runs')",
    )
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"failed in In \[3\] \(`share = 1`\): ZeroDivisionError"):
        run_report(template, parameters={"period": "2026-08"}, output_dir=out, progress=False)
    failed = out / "broken.failed.ipynb"
    assert sorted(p.name for p in out.iterdir()) == [failed.name]
    nb = nbformat.read(failed, as_version=4)
    banner = nb.cells[0]
    assert banner.cell_type == "markdown" and "An Exception was encountered" in banner.source
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ZeroDivisionError"]


def test_a_checkin_from_the_cli_shows_in_the_next_report_which_saves_its_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from kpikit.cli import main

    # The sample spec in a folder of its own (sources read from data/), so its check-in database
    # (kpis.checkins.sqlite, beside the spec) is written there and not in the repository.
    text = (ROOT / "data" / "kpis.yml").read_text(encoding="utf-8")
    text = re.sub(r"path: (\w+\.csv)", lambda m: f"path: {ROOT / 'data' / m[1]}", text)
    spec = tmp_path / "kpis.yml"
    spec.write_text(text, encoding="utf-8")
    note = "Checkout fix shipped on the 20th; watch September"
    checkin = ["checkin", str(spec), "conversion_rate", "--period", "2026-08", "--note", note]
    assert main([*checkin, "--author", "Ben"]) == 0
    _kernel_env(monkeypatch)
    monkeypatch.chdir(ROOT)  # `kpikit report` finds templates/ in the current folder
    out = tmp_path / "reports"
    report = ["report", "--spec", str(spec), "--period", "2026-08", "--output-dir", str(out), "-q"]
    assert main(report) == 0
    nb = nbformat.read(out / "2026-08" / "monthly_report.ipynb", as_version=4)
    table = output_text(cell_tagged(nb, "scorecard"), "text/html")
    row = re.search(r"<tr>(?:(?!</tr>).)*>Conversion rate<(?:(?!</tr>).)*</tr>", table, re.DOTALL)
    assert row is not None and note in row.group(0)
    with sqlite3.connect(tmp_path / "kpis.checkins.sqlite") as db:  # the report saved its review
        saved = db.execute(
            "SELECT count(*) FROM snapshot_rows JOIN snapshots ON snapshot = snapshots.id"
            " WHERE period = '2026-08'"
        ).fetchone()[0]
    assert saved == len(kpikit_spec_kpis(spec))


def kpikit_spec_kpis(path: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["kpis"])
