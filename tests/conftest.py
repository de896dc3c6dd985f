"""Shared fixtures.

``write_spec`` builds a small, real spec on disk from pandas frames, so tests exercise the same
path as users (YAML + CSV files + ``load_spec``)::

    def test_something(write_spec):
        spec = write_spec(
            {"orders": pd.DataFrame({"day": ["2026-01-05"], "revenue": [10.0]})},
            '''
            revenue: {name: Revenue, source: orders, measure: sum(revenue),
                      unit: currency, direction: up}
            ''',
        )
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from kpikit._load import load_spec
from kpikit.spec import Spec

MakeSpec = Callable[..., Spec]


def make_spec(
    folder: Path,
    tables: dict[str, pd.DataFrame],
    kpis_yaml: str,
    sources_yaml: str | None = None,
) -> Spec:
    """Write ``tables`` as ``<source id>.csv`` and a ``kpis.yml`` into ``folder``; load it.

    ``kpis_yaml`` is the body of the ``kpis:`` mapping (indentation is normalised).
    Without ``sources_yaml`` each table becomes a source of the same id whose time column is
    the table's FIRST column; otherwise ``sources_yaml`` is the body of ``sources:``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for sid, frame in tables.items():
        frame.to_csv(folder / f"{sid}.csv", index=False)
    if sources_yaml is None:
        sources_yaml = "\n".join(
            f"{sid}: {{path: {sid}.csv, time: {frame.columns[0]}}}" for sid, frame in tables.items()
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
    return load_spec(path)


@pytest.fixture(scope="session")
def make_spec_in() -> Callable[..., Spec]:
    """:func:`make_spec` itself, for module- or session-scoped fixtures (hypothesis tests)."""
    return make_spec


@pytest.fixture
def write_spec(tmp_path: Path) -> MakeSpec:
    """``write_spec(tables, kpis_yaml, sources_yaml=None) -> Spec``, written under ``tmp_path``.

    Each call writes into its own folder (``spec1``, ``spec2`` ...), so specs never share files.
    """
    calls: list[int] = []

    def _make(
        tables: dict[str, pd.DataFrame], kpis_yaml: str, sources_yaml: str | None = None
    ) -> Spec:
        calls.append(1)
        return make_spec(tmp_path / f"spec{len(calls)}", tables, kpis_yaml, sources_yaml)

    return _make
