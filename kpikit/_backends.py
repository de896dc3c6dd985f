"""Backends: the libraries that compute KPIs, and how each one reads a source's files.

The engine is written once, on narwhals; a backend only decides which library holds the data.
Each backend reads the files itself, so the data stays where that library can work on it:

==========  =====================================================  =========================
name        reads CSV / Parquet with                               needs
==========  =====================================================  =========================
pandas      ``pandas.read_csv`` / ``pandas.read_parquet`` (eager)  (default)
polars      ``polars.scan_csv`` / ``polars.scan_parquet`` (lazy)   ``pip install 'kpikit[polars]'``
duckdb      ``read_csv`` / ``read_parquet`` on a new connection    ``pip install 'kpikit[duckdb]'``
spark       ``spark.read.csv`` / ``spark.read.parquet``            ``pip install 'kpikit[spark]'``, Java 17
==========  =====================================================  =========================

A Parquet source may be one file, a folder of Parquet files or a glob such as
``events/*.parquet``; the lazy backends (Polars, DuckDB, Spark) stream it, so it may be larger than
memory. CSV files are read alike everywhere: empty cells are missing values (text such as ``NA``
stays text), ``true``/``false`` are booleans, column types are inferred from every row, and the
time column is parsed as dates or timestamps -- a value that is not a date raises
:class:`~kpikit.errors.DataError` naming it. A timezone-aware Parquet timestamp is read as the
wall-clock time in its own zone on every backend; so is CSV text with a UTC offset
(``2026-01-31T20:00:00-05:00``), row by row, unless the source has a ``timezone``: then both are
instants shown in that zone (see :mod:`kpikit._time`).

Spark uses the active ``SparkSession`` (so yours, on a cluster), or starts a local one whose SQL
time zone is UTC. duckdb, polars and pyspark are imported only when their backend reads a source.

The backends form a small registry: :func:`register` adds one, :func:`get_backend` finds one by
name and says which names exist when it cannot.

Example:
    >>> get_backend("duckdb").extra
    'duckdb'
    >>> get_backend("duckbd")
    Traceback (most recent call last):
    ...
    kpikit.errors.ParameterError: no backend named 'duckbd': expected one of pandas, polars, duckdb, spark, found 'duckbd'. Hint: did you mean 'duckdb'?
"""  # noqa: E501

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narwhals import dependencies as deps

from kpikit._time import UTC_OFFSET
from kpikit.errors import DataError, KpikitError, ParameterError, did_you_mean

if TYPE_CHECKING:
    from kpikit.spec import Source

__all__ = [
    "DEFAULT",
    "Backend",
    "backend_names",
    "get_backend",
    "parse_text_times",
    "read_source",
    "register",
    "spark_session",
]

DEFAULT = "pandas"


@dataclass(frozen=True)
class Backend:
    """A library kpikit computes on.

    Attributes:
        name: what users pass as ``backend=`` or ``--backend``.
        module: the package the backend imports.
        extra: the kpikit extra that installs it (None for pandas, which kpikit needs anyway).
        read: turns a :class:`~kpikit.spec.Source` into a native frame of the library, lazy
            where the library can be; called only after the file was found.
        owns: whether a native frame belongs to this library.
        parse_times: turns a text column of such a frame into naive timestamps, given the
            source's time zone or None (see :func:`kpikit._data.as_datetime` for the rule on UTC
            offsets); returns the new frame and the first value that is not a date (None when
            all are), or None when the backend needs no such help (pandas parses in
            :func:`kpikit._data.as_datetime`).
    """

    name: str
    module: str
    extra: str | None
    read: Callable[[Source], Any]
    owns: Callable[[Any], bool]
    parse_times: Callable[[Any, str, str | None], tuple[Any, Any]] | None = None


_REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add (or replace) a backend under its name and return it."""
    _REGISTRY[backend.name] = backend
    return backend


def backend_names() -> tuple[str, ...]:
    """The names of the registered backends, the default first."""
    return tuple(_REGISTRY)


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (None: the default, pandas).

    Raises:
        ParameterError: no backend has that name; the message lists the names and suggests the
            closest.
    """
    if name is None:
        name = DEFAULT
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ParameterError(
            f"no backend named {name!r}",
            expected="one of " + ", ".join(_REGISTRY),
            found=repr(name),
            hint=did_you_mean(str(name), _REGISTRY) or f"backend={DEFAULT!r} is the default",
        )
    return _REGISTRY[name]


def read_source(source: Source, backend: str | None = None) -> Any:
    """Read a source's CSV or Parquet file(s) into a native frame of ``backend`` (default pandas).

    The time column comes back as dates or timestamps (pandas: ``datetime64``).

    Raises:
        ParameterError: unknown backend.
        KpikitError: the backend's package is not installed (the message names the extra).
        DataError: the file is missing or unreadable, has no time column, or its time column
            holds a value that is not a date.
    """
    from kpikit._data import as_datetime, check_columns

    chosen = get_backend(backend)
    _require(chosen)
    _check_exists(source)
    native = chosen.read(source)
    check_columns(native, [source.time], source.id, "its time column")
    where = f"{source.path.name} (source '{source.id}')"
    return as_datetime(native, source.time, where, source.timezone)


def parse_text_times(native: Any, column: str, zone: str | None = None) -> tuple[Any, Any] | None:
    """Parse a text column of a non-pandas frame as timestamps, with its library's own parser.

    Text with a UTC offset becomes ``zone``'s wall-clock time, or without ``zone`` the time
    written before the offset (:func:`kpikit._data.as_datetime`). Returns ``(frame, bad)``
    where ``bad`` is the first value that is not a date (None when all are), or None when no
    registered backend owns the frame.
    """
    for backend in _REGISTRY.values():
        if backend.parse_times is not None and backend.owns(native):
            return backend.parse_times(native, column, zone)
    return None


# --- files ---------------------------------------------------------------------------------------


def _is_parquet(source: Source) -> bool:
    """A ``.parquet`` file, a glob of them, or a folder (of Parquet files)."""
    return source.format == "parquet"


def _parquet_files(source: Source) -> list[Path]:
    return source.files


def _check_exists(source: Source) -> None:
    path = source.path
    if source.files:
        return
    if path.is_dir():
        found = f"no .parquet file in the folder {path}"
    elif source.is_many:
        found = f"no file matches {path}"
    else:
        found = str(path)
    raise DataError(
        f"file not found for source '{source.id}'",
        expected="a CSV or Parquet file, a folder of Parquet files or a glob such as *.parquet",
        found=found,
        hint="paths in the spec are relative to the spec file's folder",
    )


def _unreadable(source: Source, exc: BaseException) -> DataError:
    text = str(exc).strip()
    return DataError(
        f"cannot read {source.path.name} (source '{source.id}')",
        expected="a well-formed CSV file with a header line, or Parquet files",
        found=text.splitlines()[0] if text else type(exc).__name__,
    )


def _parquet_zone(source: Source) -> str | None:
    """The time zone of the time column's timestamps as the Parquet file says (None: naive)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _parquet_files(source)
    schema = pq.read_schema(files[0])
    if source.time not in schema.names:
        return None
    kind = schema.field(source.time).type
    return kind.tz if pa.types.is_timestamp(kind) else None


def _require(backend: Backend) -> None:
    """Import the backend's package, or say which extra installs it."""
    try:
        importlib.import_module(backend.module)
    except ImportError:
        raise KpikitError(
            f"the {backend.name} backend needs the {backend.module} package, which is not "
            "installed",
            hint=f"pip install 'kpikit[{backend.extra}]'",
        ) from None


# --- pandas --------------------------------------------------------------------------------------


def _read_pandas(source: Source) -> Any:
    import pandas as pd

    try:
        if not _is_parquet(source):
            return pd.read_csv(source.path, keep_default_na=False, na_values=[""])
        # DATE columns as datetime64 straight from Arrow, not one datetime.date object per row
        # that as_datetime would parse again (~0.5 s at 10 million rows).
        files = _parquet_files(source)
        if len(files) == 1 and files[0] == source.path:
            return pd.read_parquet(
                source.path, engine="pyarrow", to_pandas_kwargs={"date_as_object": False}
            )
        import pyarrow.dataset as ds

        table = ds.dataset([str(p) for p in files], format="parquet").to_table()
        return table.to_pandas(date_as_object=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise _unreadable(source, exc) from None


register(
    Backend(
        "pandas",
        "pandas",
        None,
        _read_pandas,
        lambda native: deps.is_pandas_dataframe(native),
    )
)


# --- polars --------------------------------------------------------------------------------------


def _read_polars(source: Source) -> Any:
    import polars as pl

    try:
        if _is_parquet(source):
            frame = pl.scan_parquet(_parquet_files(source))
        else:
            # Types from every row, as pandas does. Dates stay text, as in pandas, and the time
            # column is parsed afterwards (try_parse_dates over every row is ~40 times slower).
            frame = pl.scan_csv(source.path, infer_schema_length=None)
        frame.collect_schema()  # infers the types now, so a broken file fails here
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _unreadable(source, exc) from None
    return frame


def _polars_times(native: Any, column: str, zone: str | None) -> tuple[Any, Any]:
    """Polars infers one format from the first value, and lazily refuses one with an offset.

    So rows with an offset are parsed apart from the others: without their offset for the
    written time, or as instants (``time_zone="UTC"``) converted to ``zone``. The one pass that
    looks for a bad value also says whether any row has an offset; when none has, the plain
    parse is kept.
    """
    import polars as pl

    text = pl.col(column)
    plain = text.str.to_datetime(strict=False, time_unit="us")
    aware = text.str.contains(UTC_OFFSET)
    parsed = text.str.replace(UTC_OFFSET, "${1}").str.to_datetime(strict=False, time_unit="us")
    if zone is not None:
        offsets_only = pl.when(aware).then(text)  # null elsewhere
        instant = offsets_only.str.to_datetime(strict=False, time_unit="us", time_zone="UTC")
        local = instant.dt.convert_time_zone(zone).dt.replace_time_zone(None)
        parsed = pl.when(aware).then(local).otherwise(parsed)
    has_offsets, bad = (
        native.lazy()
        .select(
            aware.any().alias("aware"),
            text.filter(text.is_not_null() & parsed.is_null()).first().alias("bad"),
        )
        .collect()
        .row(0)
    )
    return native.with_columns((parsed if has_offsets else plain).alias(column)), bad


register(
    Backend(
        "polars",
        "polars",
        "polars",
        _read_polars,
        lambda native: deps.is_polars_dataframe(native) or deps.is_polars_lazyframe(native),
        _polars_times,
    )
)


# --- duckdb --------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_duckdb(source: Source) -> Any:
    import duckdb

    con = duckdb.connect()  # in memory; each relation keeps its connection alive
    try:
        if _is_parquet(source):
            paths = [str(p) for p in _parquet_files(source)]
            relation = con.read_parquet(paths)
            time = _quote(source.time)
            kinds = dict(zip(relation.columns, relation.dtypes, strict=True))
            if "TIME ZONE" in str(kinds.get(source.time)):
                # DuckDB would show the instant in the session's zone; the source's (or else the
                # file's) zone counts.
                zone = (source.timezone or _parquet_zone(source) or "UTC").replace("'", "''")
                relation = relation.project(f"* REPLACE (timezone('{zone}', {time}) AS {time})")
            return relation
        # sample_size=-1: types from every row, as pandas does
        relation = con.read_csv(str(source.path), header=True, sample_size=-1)
        types = {c: str(t) for c, t in zip(relation.columns, relation.dtypes, strict=True)}
        if "TIME ZONE" in types.get(source.time, ""):
            # Written offsets: DuckDB keeps the instants (and takes naive times beside them in
            # the session's zone). Read the text again with the types found (so only a sample
            # is sniffed, not every row) and parse it as every backend does.
            types[source.time] = "VARCHAR"
            relation = con.read_csv(str(source.path), header=True, dtype=types)
            time = _quote(source.time)
            parsed = _duckdb_parse(time, source.timezone)
            relation = relation.project(f"* REPLACE ({parsed} AS {time})")
        return relation
    except (OSError, duckdb.Error) as exc:
        raise _unreadable(source, exc) from None


def _duckdb_parse(name: str, zone: str | None) -> str:
    """SQL for the text column ``name`` (quoted) as naive timestamps, by the rule on offsets.

    A row with a UTC offset is an instant (``TIMESTAMPTZ``) shown in ``zone``, or without
    ``zone`` the time written before the offset (stripped here: what a cast to ``TIMESTAMP``
    does with an offset has changed between DuckDB versions).
    """
    aware = f"regexp_matches({name}, '{UTC_OFFSET}')"
    if zone is None:
        local = f"TRY_CAST(regexp_replace({name}, '{UTC_OFFSET}', '\\1') AS TIMESTAMP)"
    else:
        text = zone.replace("'", "''")
        local = f"timezone('{text}', TRY_CAST({name} AS TIMESTAMPTZ))"
    return f"CASE WHEN {aware} THEN {local} ELSE TRY_CAST({name} AS TIMESTAMP) END"


def _duckdb_times(native: Any, column: str, zone: str | None) -> tuple[Any, Any]:
    name = _quote(column)
    parsed = _duckdb_parse(name, zone)
    misfit = native.filter(f"{name} IS NOT NULL AND ({parsed}) IS NULL")
    bad = misfit.project(name).limit(1).fetchall()
    return native.project(f"* REPLACE ({parsed} AS {name})"), (bad[0][0] if bad else None)


register(
    Backend(
        "duckdb",
        "duckdb",
        "duckdb",
        _read_duckdb,
        lambda native: deps.is_duckdb_relation(native),
        _duckdb_times,
    )
)


# --- spark ---------------------------------------------------------------------------------------


def spark_session() -> Any:
    """The active SparkSession, or a new local one with SQL time zone UTC.

    Raises:
        KpikitError: Spark cannot start, most often because no Java runtime is installed.
    """
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        # pyspark checks the pandas version once, when pyspark.testing.utils is first imported
        # (during its first conversion of a Python value), and warns about pandas 3. kpikit hands
        # results over through Arrow, not pyspark's pandas API: import it here, quietly.
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        import pyspark.testing.utils  # noqa: F401

        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        try:
            session = (
                SparkSession.builder.appName("kpikit")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.showConsoleProgress", "false")  # no progress bars on stderr
                .getOrCreate()
            )
        except Exception as exc:  # PySparkRuntimeError: JAVA_GATEWAY_EXITED and the like
            raise KpikitError(
                "cannot start Spark",
                found=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                hint="Spark needs a Java 17 runtime: install one and set JAVA_HOME, or create "
                "your own SparkSession before calling kpikit",
            ) from None
    session.sparkContext.setLogLevel("ERROR")  # kpikit's own session: errors only
    return session


def _read_spark(source: Source) -> Any:
    from pyspark.errors import PySparkException

    spark = spark_session()
    try:
        if _is_parquet(source):
            frame = spark.read.parquet(*[str(p) for p in _parquet_files(source)])
            if frame.schema[source.time].dataType.typeName() == "timestamp":
                # An instant shown in the session's zone; the source's (else the file's) zone
                # counts.
                from pyspark.sql import functions as F

                zone = spark.conf.get("spark.sql.session.timeZone")
                local = F.convert_timezone(
                    F.lit(zone),
                    F.lit(source.timezone or _parquet_zone(source) or "UTC"),
                    frame[source.time].cast("timestamp_ntz"),
                )
                frame = frame.withColumn(source.time, local)
            return frame
        frame = spark.read.csv(
            str(source.path),
            header=True,
            inferSchema=True,  # types from every row, as pandas does
            multiLine=True,  # quoted line breaks, as every other CSV reader
            escape='"',  # "" inside quotes is a quote (RFC 4180), not \"
        )
        if source.time in frame.columns and frame.schema[source.time].dataType.typeName() == (
            "timestamp"
        ):
            # Spark infers every written time as an instant, naive ones in the session's zone.
            # Read the text again, with the schema found (no second pass), and parse it as
            # every backend does.
            from pyspark.sql.types import StringType, StructField, StructType

            fields = [
                StructField(f.name, StringType()) if f.name == source.time else f
                for f in frame.schema.fields
            ]
            frame = spark.read.csv(
                str(source.path), schema=StructType(fields), header=True, multiLine=True, escape='"'
            )
            frame = frame.withColumn(source.time, _spark_parse(frame, source.time, source.timezone))
        return frame
    except (OSError, PySparkException) as exc:
        raise _unreadable(source, exc) from None


def _spark_parse(native: Any, column: str, zone: str | None) -> Any:
    """The text column ``column`` as ``timestamp_ntz``, by the rule on UTC offsets.

    A row with an offset is an instant (``timestamp``) shown in ``zone``, or without ``zone`` the
    time written before the offset (stripped here, as on the other backends).
    """
    from pyspark.sql import functions as F

    text = native[column]
    if zone is None:
        local = F.regexp_replace(text, UTC_OFFSET, "$1").try_cast("timestamp_ntz")
    else:
        session = native.sparkSession.conf.get("spark.sql.session.timeZone")
        instant = text.try_cast("timestamp").cast("timestamp_ntz")  # in the session's zone
        local = F.convert_timezone(F.lit(session), F.lit(zone), instant)
    return F.when(text.rlike(UTC_OFFSET), local).otherwise(text.try_cast("timestamp_ntz"))


def _spark_times(native: Any, column: str, zone: str | None) -> tuple[Any, Any]:
    parsed = _spark_parse(native, column, zone)
    misfit = native.filter(native[column].isNotNull() & parsed.isNull())
    bad = misfit.select(column).limit(1).collect()
    return native.withColumn(column, parsed), (bad[0][0] if bad else None)


register(
    Backend(
        "spark",
        "pyspark",
        "spark",
        _read_spark,
        lambda native: (
            deps.is_pyspark_dataframe(native) or deps.is_pyspark_connect_dataframe(native)
        ),
        _spark_times,
    )
)
