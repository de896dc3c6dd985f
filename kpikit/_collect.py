"""Bring a source's aggregated rows into pandas, running a DuckDB query beside the pandas import.

A command such as ``kpikit compute ... --backend duckdb --compare previous`` starts without
pandas: the spec, the engine and the query are built on narwhals and DuckDB. Importing pandas
(with numpy and pyarrow, about 0.3 s) is needed only once the aggregated rows come back, and
only when a step needs pandas (comparisons, ``top``, windows; the others finish in plain Python,
:mod:`kpikit._rows`, and never import it). DuckDB releases the
GIL while it executes, so :func:`collect` runs the query in a worker thread while this thread
imports pandas, and joins before the rows are used. The rows, and every error, are exactly those
of collecting the query in this thread, except that DuckDB's errors while running the query (a
damaged Parquet file is often found only then) become a :class:`~kpikit.errors.DataError`
naming the source, in either thread, as they do when the file cannot be opened.

Imports happen in this thread only: pyarrow (and numpy, which pyarrow imports), which the worker
builds its result with, is imported before the worker starts; pandas, pyarrow's pandas glue and
narwhals' Arrow glue while it runs. narwhals looks pandas up in ``sys.modules`` to recognise
frames and would meet a half-imported module, so the worker calls DuckDB alone, never narwhals.

No library offers this: concurrent.futures would do the join, at the cost of importing it
(a small thread with a result box is all that is needed).

Example:
    >>> from pathlib import Path
    >>> import duckdb
    >>> import narwhals as nw
    >>> from kpikit.spec import Source
    >>> ads = Source("ads", Path("ads.parquet"), "date")
    >>> collect(nw.from_native(duckdb.sql("SELECT 1 AS a")), ads).to_dict("list")
    {'a': [1]}
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

import narwhals as nw

from kpikit._data import to_pandas
from kpikit.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Source

__all__ = ["collect", "query_failed"]


def collect(frame: Any, source: Source) -> pd.DataFrame:
    """The rows of a narwhals frame as a pandas DataFrame (a lazy frame's query is run).

    When pandas is not imported yet and the frame is a DuckDB query, the query runs in a worker
    thread while this thread imports pandas; otherwise this is :func:`kpikit._data.to_pandas`.

    Raises:
        DataError: DuckDB failed while running the query over ``source``'s files.
    """
    native = frame.to_native() if isinstance(frame, nw.LazyFrame) else None
    if native is None or not nw.dependencies.is_duckdb_relation(native):
        return to_pandas(frame)
    import duckdb

    try:
        if "pandas" not in sys.modules:
            return _beside_imports(native)
        return to_pandas(frame)
    except duckdb.Error as exc:
        raise query_failed(exc, source) from None


def query_failed(exc: Exception, source: Source) -> DataError:
    """The error to raise when DuckDB fails while running the query over ``source``'s files."""
    text = str(exc).strip()
    return DataError(
        f"DuckDB could not compute the KPIs of source '{source.id}'",
        expected="data DuckDB can read to the end",
        found=text.splitlines()[0] if text else type(exc).__name__,
        hint=f"check that {source.path.name} is complete and readable (is a file damaged or "
        "being written?)",
    )


def _beside_imports(relation: Any) -> pd.DataFrame:
    """Run ``relation.to_arrow_table()`` in a worker thread while pandas is imported here."""
    import pyarrow  # noqa: F401  (the worker's result is built with it: import it here, first)

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["table"] = relation.to_arrow_table()
        except BaseException as exc:  # raised again in the caller's thread, below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="kpikit-query", daemon=True)
    worker.start()
    import narwhals._arrow.namespace  # noqa: F401  (narwhals' glue for the result, below)
    import pandas  # noqa: F401
    import pyarrow.pandas_compat  # noqa: F401  (what Table.to_pandas imports on first use)

    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return to_pandas(nw.from_native(outcome["table"], eager_only=True))
