"""Start-up stays lean: importing kpikit and the CLI's quick answers load no data library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "narwhals", "pyarrow", "duckdb", "polars", "pyspark", "matplotlib")


def _heavy_modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy packages it left in ``sys.modules``."""
    script = (
        "import sys, json, contextlib, io\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    {code}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


@pytest.mark.parametrize(
    "code",
    [
        "import kpikit",
        "import kpikit.cli; assert kpikit.cli.main(['--help']) == 0",
        "import kpikit.cli; assert kpikit.cli.main(['--version']) == 0",
        "import kpikit.cli; assert kpikit.cli.main(['compute', '--help']) == 0",
        "import kpikit.cli; assert kpikit.cli.main(['schema']) == 0",
        "import kpikit.cli; assert kpikit.cli.main(['checkin', '--help']) == 0",
    ],
)
def test_no_data_library_is_imported(code: str) -> None:
    assert _heavy_modules_after(code) == []


def test_python_dash_m_kpikit_cli_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "kpikit.cli", "--version"], capture_output=True, text=True, env=env
    )
    import kpikit

    assert (done.returncode, done.stdout) == (0, f"kpikit {kpikit.__version__}\n")


@pytest.mark.parametrize(("call", "frozen"), [("main()", True), ("main(['schema'])", False)])
def test_the_command_skips_the_last_garbage_collection_at_exit(call: str, frozen: bool) -> None:
    # An exit handler registered before main() runs after main()'s own (last in, first out).
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "import kpikit.cli\n"
        "sys.argv = ['kpikit', 'schema']\n"
        f"status = kpikit.cli.{call}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"frozen {frozen}"
