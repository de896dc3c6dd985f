"""Shared fixtures.

``backend`` runs a test once per backend (pandas, polars, duckdb, spark), as narwhals' own
``constructor`` fixtures do: tests pass ``backend=backend`` to ``compute``, and ``native(frame)``
turns a pandas frame into that backend's frame for ``data=``. Spark runs in local mode in ONE
session for the whole run (``spark``), started by the first Spark test.

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
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


BACKENDS = ("pandas", "polars", "duckdb", "spark")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession for the whole run: 2 cores, 2 shuffle partitions, UTC, no UI.

    kpikit's spark backend finds it as the active session, as it would find a user's.
    """
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():  # pyspark's one-off "does not yet fully support pandas 3"
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        import pyspark.testing.utils  # noqa: F401

        session = (
            SparkSession.builder.master("local[2]")
            .appName("kpikit-tests")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of each backend in turn (the Spark session starts with the first Spark test)."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    return str(request.param)


@pytest.fixture
def native(backend: str, request: pytest.FixtureRequest) -> Callable[[pd.DataFrame], Any]:
    """``native(frame)``: a pandas frame as the current backend's own (lazy where it can be)."""
    return lambda frame: to_native(frame, backend, request)


def to_native(frame: pd.DataFrame, backend: str, request: pytest.FixtureRequest) -> Any:
    """A copy of ``frame`` as a frame of ``backend`` (through Arrow, so types carry over)."""
    if backend == "pandas":
        return frame.copy()
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if backend == "polars":
        import polars as pl

        return pl.from_arrow(table).lazy()  # type: ignore[union-attr]
    if backend == "duckdb":
        import duckdb

        return duckdb.connect().from_arrow(table)
    return request.getfixturevalue("spark").createDataFrame(table)
