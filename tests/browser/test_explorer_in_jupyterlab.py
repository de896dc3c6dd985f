"""The explorer in a real JupyterLab and a real browser: the one test on top of tests/test_widgets.py.

The fixture starts JupyterLab (isolated config, data and runtime folders in a temporary folder) on
a folder holding a one-cell notebook; the test opens it in Debian's chromium, driven by playwright
(never `playwright install`), runs the cell with Shift+Enter, checks the explorer's table against
numbers computed here with plain pandas, then picks another KPI and grain with the mouse and the
keyboard and checks that the table follows.

Run it with `make test-browser`. The default pytest run ignores tests/browser (pyproject addopts);
naming the folder runs it. The last screen is saved as jupyterlab.png in the test's tmp_path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect, sync_playwright

from kpikit.fmt import format_value

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
# Generous but bounded, in seconds. On a 2-core machine the whole test takes about 12 s, and
# 25-40 s with both cores kept busy by something else.
SERVER_START = 60
LAB_LOAD = 60
FIRST_RENDER = 90
UPDATE = 30

CELL = """\
import kpikit
from kpikit.widgets import explorer

explorer(kpikit.load_spec({spec!r}), kpi="revenue")
"""


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL and the file its output goes to."""

    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _isolated_env(folder: Path) -> dict[str, str]:
    """This environment, with Jupyter's config, data and runtime folders (and IPython's) in ``folder``.

    Nothing is read from ~/.jupyter or ~/.local/share/jupyter. The venv's share/jupyter, where
    the ipywidgets lab extension lives, stays on the data path (after JUPYTER_DATA_DIR).
    """
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(folder / "config"),
        "JUPYTER_DATA_DIR": str(folder / "data"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "IPYTHONDIR": str(folder / "ipython"),
    }
    env.pop("MPLBACKEND", None)  # the kernel keeps Jupyter's inline backend, as in `make lab`
    # No "get notified about Jupyter news?" toast over the notebook.
    page_config = folder / "config" / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True)
    page_config.write_text(json.dumps({"disabledExtensions": {ANNOUNCEMENTS: True}}))
    return env


def _start_jupyterlab(
    root: Path, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """Start JupyterLab on a free port and wait until it answers: (the process, its URL)."""
    for _attempt in range(3):  # a new port if another process takes ours before the server does
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root"),
                    *("--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0"),
                    *("--IdentityProvider.token=", "--ServerApp.password="),
                    f"--ServerApp.root_dir={root}",
                    # Nothing from the network: no news feed, no PyPI extension manager.
                    *("--LabApp.news_url=None", "--LabApp.extension_manager=readonly"),
                ],
                env=env,
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"{url}/api"):
                    return process, url
                time.sleep(0.25)
        except BaseException:
            _stop(process)
            raise
        _stop(process)
        if f"port {port} is already in use" not in log.read_text(errors="replace"):
            break
    pytest.fail(
        f"JupyterLab did not answer on {url} within {SERVER_START} s (exit code {process.poll()}); "
        f"its log ends:\n{_tail(log)}"
    )


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab on tmp_path/notebooks, which holds explorer.ipynb; stopped by its PID at the end."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(CELL.format(spec=str(DATA / "kpis.yml")))],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, notebooks / "explorer.ipynb")
    log = tmp_path / "jupyterlab.log"
    process, url = _start_jupyterlab(notebooks, _isolated_env(tmp_path / "jupyter"), log)
    try:
        yield Lab(url, log)
    finally:
        _stop(process)


@pytest.fixture
def page(jupyterlab: Lab, tmp_path: Path) -> Iterator[Page]:
    """A chromium page (Debian's binary); the last screen is saved to tmp_path/jupyterlab.png."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            yield page
            with contextlib.suppress(PlaywrightError):  # evidence only: never a second failure
                page.screenshot(path=tmp_path / "jupyterlab.png")
        finally:
            browser.close()


# The text of an element, each dropdown as "[its chosen option]" rather than all its options
# (swapped in and back within one script, so the page is never drawn with the swap).
_TEXT_JS = """root => {
    const selects = [...root.querySelectorAll("select")];
    const marks = selects.map(select => {
        const mark = document.createElement("span");
        mark.textContent = `[${select.selectedOptions[0]?.text ?? ""}]`;
        select.before(mark);
        select.hidden = true;
        return mark;
    });
    const text = root.innerText;
    marks.forEach(mark => mark.remove());
    selects.forEach(select => { select.hidden = false; });
    return text;
}"""


def _shown(page: Page, lab: Lab) -> str:
    """For failure messages: what the notebook showed, and the end of the server's log."""
    text = "(nothing: the page did not answer)"
    for selector in (".jp-NotebookPanel", "body"):
        try:  # any failure here must not hide the original one
            text = page.locator(selector).first.evaluate(_TEXT_JS, timeout=2000)
            break
        except Exception:
            continue
    return f"the notebook showed:\n{text[-3000:]}\n--- JupyterLab's log ends:\n{_tail(lab.log)}"


def _wait(page: Page, lab: Lab, locator: Locator, what: str, timeout: float) -> None:
    """Wait until ``locator`` is attached, scrolled into view and visible.

    JupyterLab 4 does not draw off-screen cells, hence the scroll; and it may redraw a cell
    between two steps ("Element is not attached to the DOM"), hence the retries.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = max(deadline - time.monotonic(), 0.1) * 1000
        try:
            locator.wait_for(state="attached", timeout=left)
            locator.scroll_into_view_if_needed(timeout=min(left, 5000))
            locator.wait_for(state="visible", timeout=min(left, 5000))
            return
        except PlaywrightError as exc:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{what} did not show within {timeout} s; {_shown(page, lab)}"
                ) from exc
            page.wait_for_timeout(250)


def _expect_table(page: Page, lab: Lab, table: Locator, header: list[str], row: list[str]) -> None:
    """Wait (up to UPDATE seconds) for the table's header and first (newest) row."""
    try:
        expect(table.locator("thead th")).to_have_text(header, timeout=UPDATE * 1000)
        expect(table.locator("tbody tr").first.locator("td")).to_have_text(
            row, timeout=UPDATE * 1000
        )
    except AssertionError as exc:
        raise AssertionError(
            f"expected the table to show {header} then {row} first; {_shown(page, lab)}"
        ) from exc


def _pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the dropdown labelled ``label`` like a person: click it, type, Enter."""
    page.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def _expected() -> dict[tuple[str, str], list[str]]:
    """Independently, with pandas: {(KPI, grain): [newest period, its value as the table shows it]}.

    Revenue and Orders count the orders not refunded. A period counts once the data reaches its
    last day (every sample source ends on 2026-11-30: the newest rows are 2026-11 and 2026-Q3).
    """
    orders = pd.read_csv(DATA / "orders.csv", parse_dates=["order_date"])
    kept = orders.loc[~orders["refunded"]]
    after_last_day = orders["order_date"].max().normalize() + pd.Timedelta(days=1)
    month = after_last_day.to_period("M") - 1
    quarter = after_last_day.to_period("Q") - 1
    in_month = kept["order_date"].dt.to_period("M") == month
    in_quarter = kept["order_date"].dt.to_period("Q") == quarter
    quarter_label = f"{quarter.year}-Q{quarter.quarter}"
    return {
        ("revenue", "month"): [
            str(month),
            format_value(float(kept.loc[in_month, "revenue"].sum()), "currency"),
        ],
        ("orders", "month"): [str(month), format_value(int(in_month.sum()), "count")],
        ("orders", "quarter"): [quarter_label, format_value(int(in_quarter.sum()), "count")],
    }


def test_explorer_runs_in_jupyterlab_and_follows_its_dropdowns(jupyterlab: Lab, page: Page) -> None:
    expected = _expected()
    page.goto(f"{jupyterlab.url}/lab/tree/explorer.ipynb?reset", timeout=LAB_LOAD * 1000)
    _wait(page, jupyterlab, page.locator(".jp-Notebook .jp-Cell").first, "the notebook", LAB_LOAD)
    config = json.loads(page.locator("#jupyter-config-data").text_content() or "{}")
    extensions = [e["name"] for e in config.get("federated_extensions", [])]
    assert WIDGETS_EXTENSION in extensions, (
        f"JupyterLab did not load the ipywidgets extension ({WIDGETS_EXTENSION}); it loaded "
        f"{extensions}. Is {Path(sys.prefix) / 'share/jupyter/labextensions'} on its data path?"
    )
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
    _wait(page, jupyterlab, kernel_idle, "an idle kernel in the status bar", FIRST_RENDER)

    page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
    page.keyboard.press("Shift+Enter")
    table = page.locator(".jp-OutputArea-output table.kpikit-table")
    traceback = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)")
    _wait(page, jupyterlab, table.or_(traceback).first, "the explorer's table", FIRST_RENDER)
    assert not traceback.count(), f"the cell failed; {_shown(page, jupyterlab)}"
    _expect_table(page, jupyterlab, table, ["Period", "Revenue"], expected["revenue", "month"])

    _pick(page, "KPI", "Orders")
    _expect_table(page, jupyterlab, table, ["Period", "Orders"], expected["orders", "month"])

    _pick(page, "Grain", "quarter")
    _expect_table(page, jupyterlab, table, ["Period", "Orders"], expected["orders", "quarter"])
