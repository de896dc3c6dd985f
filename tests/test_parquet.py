"""kpikit._parquet reads a Parquet file's column names as pyarrow does, without importing it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpikit._parquet import _footer, _schema, _top_level_names, column_names

ROOT = Path(__file__).resolve().parents[1]


def _by_hand(path: Path) -> tuple[str, ...]:
    """The footer reader itself, with no fallback to pyarrow."""
    return _top_level_names(_schema(_footer(path)))


def _writers(folder: Path) -> dict[str, Path]:
    """Parquet files written by pyarrow, DuckDB and Polars, with nested and odd columns."""
    nested = pa.table(
        {
            "day": pa.array([dt.date(2026, 1, 1)], pa.date32()),
            "at": pa.array([dt.datetime(2026, 1, 1, 8)], pa.timestamp("us", tz="Asia/Tokyo")),
            "point": [{"x": 1, "tags": ["a", "b"], "inner": {"deep": 1.5}}],
            "items": [[1, 2, 3]],
            "attrs": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
            "flag": [True],
            "prix en €": ["x"],  # non-ASCII names
            "money": pa.array(["1.50"]).cast(pa.decimal128(12, 2)),
            **{f"c{i:02d}": [i] for i in range(40)},  # a list longer than 14 (long header)
        }
    )
    files = {"pyarrow": folder / "pyarrow.parquet", "pyarrow-v1": folder / "v1.parquet"}
    pq.write_table(nested, files["pyarrow"])
    pq.write_table(nested.select(["day", "flag", "c00"]), files["pyarrow-v1"], version="1.0")
    files["duckdb"] = folder / "duckdb.parquet"
    duckdb.sql(
        "COPY (SELECT DATE '2026-01-01' AS d, {'x': 2, 'y': [1, 2]} AS s, [1, 2] AS l, "
        f"12345678901234567890::HUGEINT AS h, 'ü' AS \"naïve\") TO '{files['duckdb']}'"
    )
    files["polars"] = folder / "polars.parquet"
    pl.DataFrame({"a": [1], "b": ["x"], "s": [{"p": 1, "q": [1.0]}]}).write_parquet(files["polars"])
    files["empty"] = folder / "empty.parquet"
    pq.write_table(pa.table({"only": pa.array([], pa.int64())}), files["empty"])
    return files


def test_names_equal_pyarrows_for_files_of_every_writer(tmp_path: Path) -> None:
    for writer, path in _writers(tmp_path).items():
        want = tuple(pq.read_schema(path).names)
        assert _by_hand(path) == want, writer
        assert column_names(path) == want, writer
    assert len(_by_hand(tmp_path / "pyarrow.parquet")) == 48


def test_the_sample_and_benchmark_shapes(tmp_path: Path) -> None:
    table = pa.table(
        {"date": pa.array([dt.date(2026, 1, 1)] * 3, pa.date32()), "clicks": [1, 2, 3]}
    )
    path = tmp_path / "ads.parquet"
    pq.write_table(table, path, row_group_size=1)  # three row groups after the schema
    assert _by_hand(path) == ("date", "clicks")


def test_a_file_it_cannot_read_gets_pyarrows_answer_and_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really a parquet file")
    with pytest.raises(pa.ArrowInvalid):  # the error pq.read_schema gives
        pq.read_schema(broken)
    with pytest.raises(pa.ArrowInvalid):
        column_names(broken)
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"a": [1], "b": [2]}), good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.parquet"  # the footer length points past the start
    truncated.write_bytes(data[:4] + data[-8:])
    with pytest.raises(pa.ArrowInvalid):
        column_names(truncated)


def test_loading_a_parquet_spec_imports_neither_pyarrow_nor_pandas(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"day": pa.array([dt.date(2026, 1, 1)]), "n": [1]}), tmp_path / "e.parquet"
    )
    (tmp_path / "kpis.yml").write_text(
        "version: 1\nsources:\n  e: {path: e.parquet, time: day}\nkpis:\n"
        "  n: {name: N, source: e, measure: sum(n), unit: count, direction: up}\n",
        encoding="utf-8",
    )
    code = (
        "import sys, json, kpikit\n"
        f"spec = kpikit.load_spec({str(tmp_path / 'kpis.yml')!r})\n"
        "heavy = {'pyarrow', 'pandas', 'numpy', 'narwhals', 'duckdb', 'polars'}\n"
        "print(json.dumps([list(spec.sources['e'].columns), "
        "sorted({m.split('.')[0] for m in sys.modules} & heavy)]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert json.loads(done.stdout) == [["day", "n"], []], done.stderr


def test_a_source_file_that_is_not_csv_or_parquet_is_a_lint_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"not a parquet file")
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe,day\n1,2\n")  # not UTF-8
    (tmp_path / "kpis.yml").write_text(
        "version: 1\nsources:\n  p: {path: bad.parquet, time: day}\n"
        "  c: {path: bad.csv, time: day}\nkpis:\n"
        "  n: {name: N, source: p, measure: count(), unit: count, direction: up}\n"
        "  m: {name: M, source: c, measure: count(), unit: count, direction: up}\n",
        encoding="utf-8",
    )
    from kpikit._load import lint_spec

    errors = [p for p in lint_spec(tmp_path / "kpis.yml") if p.severity == "error"]
    assert [(p.line, p.field) for p in errors] == [(3, "sources.p.path"), (4, "sources.c.path")]
    assert "cannot read the columns of bad.parquet: Parquet magic bytes" in errors[0].message
    assert "cannot read the columns of bad.csv: 'utf-8' codec can't decode" in errors[1].message
