"""The public surface is small and pinned, and importing kpikit stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import kpikit


def test_exported_members_are_pinned() -> None:
    assert kpikit.__all__ == [
        "Kpi",
        "KpikitError",
        "Spec",
        "__version__",
        "compute",
        "kpi_function",
        "last_complete_period",
        "lint_spec",
        "load_spec",
        "review",
        "scorecard",
    ]
    assert kpikit.__all__ == sorted(kpikit.__all__)
    for name in kpikit.__all__:
        assert getattr(kpikit, name) is not None


def test_functions_named_like_their_modules_stay_callable_after_the_module_is_imported() -> None:
    code = (
        "import kpikit.review, kpikit.scorecard, kpikit\n"
        "from kpikit.review import REVIEW_COLUMNS\n"
        "print(callable(kpikit.review), callable(kpikit.scorecard), len(REVIEW_COLUMNS) > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        kpikit.comptue  # noqa: B018
    except AttributeError as exc:
        assert "no attribute 'comptue'" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_kpikit_pulls_in_no_heavy_presentation_or_face_modules() -> None:
    code = (
        "import sys, json, kpikit\n"
        "kpikit.load_spec; kpikit.compute; kpikit.scorecard\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'matplotlib', 'ipywidgets', 'papermill', 'nbconvert', 'duckdb', 'pyspark', 'polars'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    bare = subprocess.run(
        [sys.executable, "-c", "import sys, kpikit; print('pandas' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert bare.stdout.strip() == "False"
