"""The check-in store: check-ins and review snapshots in one SQLite file.

A **check-in** is the tracking cadence made real: for one KPI and period, the value, the target,
the status kpikit computed, the owner's own status if they override it, a note, the author and
the time. A **review snapshot** keeps every KPI's value, target, status and a hash of its
definition each time a review is saved, so the next review can say what changed since
(:func:`changes`).

The store is the standard library's :mod:`sqlite3`: one file, no server, safe for several
processes (WAL journal, ``BEGIN IMMEDIATE`` and a busy timeout), with every value bound as a
parameter, so a note is stored exactly as written whatever quotes or SQL it contains. By default
the file lives beside the spec (:func:`database_path`). The schema is versioned
(``PRAGMA user_version``) and upgraded in place by :data:`_MIGRATIONS`.

Example:
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "kpis.checkins.sqlite"
    >>> saved = record_checkin(db, kpi="revenue", period="2026-11", value=1167063.0,
    ...                        target=1200000.0, status="at_risk", override="on_track",
    ...                        note="Black Friday lands next week", author="ana")
    >>> saved.status, saved.computed_status
    ('on_track', 'at_risk')
    >>> history(db, "revenue")[["period", "status", "note"]].to_dict(orient="records")
    [{'period': '2026-11', 'status': 'on_track', 'note': 'Black Friday lands next week'}]
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kpikit import periods
from kpikit.errors import KpikitError, ParameterError, did_you_mean
from kpikit.targets import STATUSES  # the statuses a KPI can have for a period

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Kpi, Spec

__all__ = [
    "CHECKIN_COLUMNS",
    "SCHEMA_VERSION",
    "STATUSES",
    "Checkin",
    "Definition",
    "Snapshot",
    "StoreError",
    "changes",
    "database_path",
    "definition_hash",
    "definitions_of",
    "history",
    "last_snapshot",
    "latest_checkins",
    "record_checkin",
    "save_snapshot",
    "target_text",
]

#: The columns of :func:`history` and :func:`latest_checkins`, in order.
CHECKIN_COLUMNS = (
    "kpi", "period", "value", "target", "status", "computed_status", "override",
    "note", "author", "recorded_at",
)  # fmt: skip
#: The columns of :func:`changes`.
CHANGE_COLUMNS = ("kpi", "what", "before", "after")
#: The version of the schema this kpikit writes (``PRAGMA user_version``).
SCHEMA_VERSION = 1
#: ``PRAGMA application_id`` of a kpikit check-in file ("kpik"), so a foreign file is recognised.
APPLICATION_ID = 0x6B70696B
#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30.0
_SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(KpikitError):
    """The check-in file cannot be used: not a kpikit check-in database, newer, or unwritable."""


# --- where the file lives ------------------------------------------------------------------------


def database_path(spec: Spec, override: str | Path | None = None) -> Path:
    """The check-in file of a spec: ``override``, the spec's ``review: checkins``, or the default.

    The default sits beside the spec (``data/kpis.yml`` -> ``data/kpis.checkins.sqlite``). A
    relative ``override`` is read from the spec's folder, as the paths of sources are (the
    spec's ``review: {checkins: PATH}``); resolve a path typed on the command line against the
    current folder before passing it.

    Example:
        >>> from kpikit.spec import Spec
        >>> spec = Spec(path=Path("data/kpis.yml"), version=1, sources={}, objectives={}, kpis={})
        >>> database_path(spec).as_posix(), database_path(spec, "store/ci.sqlite").as_posix()
        ('data/kpis.checkins.sqlite', 'data/store/ci.sqlite')
    """
    folder = Path(spec.path).parent
    if override is None:
        override = spec.review.checkins  # the spec's `review: {checkins: PATH}`, if any
    if override is not None:
        return folder / Path(override)  # an absolute override replaces the folder
    return folder / f"{Path(spec.path).stem}.checkins.sqlite"


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkin:
    """One check-in as stored. ``status`` is the owner's ``override`` if any, else computed."""

    id: int
    kpi: str
    period: str
    value: float
    target: float
    status: str | None
    computed_status: str | None
    override: str | None
    note: str
    author: str | None
    recorded_at: str  # UTC, ISO 8601: 2026-12-04T20:45:12+00:00


class Definition(NamedTuple):
    """What a snapshot keeps of a KPI's definition.

    Its hash, its target as text, and (for reading a change) the formula in words.
    """

    hash: str
    target: str
    text: str = ""


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A saved review: its period, when it was saved, and one row per KPI.

    ``rows`` has the columns ``kpi, value, target, status, definition_hash, target_text,
    definition_text``.
    """

    id: int
    period: str
    saved_at: str
    rows: pd.DataFrame


# --- definitions ---------------------------------------------------------------------------------


def definition_hash(kpi: Kpi) -> str:
    """A sha256 of what determines a KPI's numbers, so an edit to the definition is noticed.

    It covers the source, the measure, numerator and denominator, the filter, the formula, the
    window, the Python function and its columns, the unit and the direction; not the name,
    description, owner, cadence or types (they change no number). The target is tracked apart
    (:func:`target_text`). A formula KPI's hash covers its formula text, not the definitions of
    the KPIs it reads.

    Example:
        >>> from kpikit.spec import Kpi
        >>> a = Kpi(id="orders", name="Orders", source="orders", unit="count", direction="up")
        >>> definition_hash(a) == definition_hash(a._replace(name="All orders", owner="Ana"))
        True
        >>> definition_hash(a) == definition_hash(a._replace(unit="currency"))
        False
    """
    parts = {
        "source": kpi.source,
        "measure": kpi.measure.text if kpi.measure is not None else None,
        "numerator": kpi.numerator.text if kpi.numerator is not None else None,
        "denominator": kpi.denominator.text if kpi.denominator is not None else None,
        "filter": kpi.filter_text,
        "formula": kpi.formula_text,
        "window": kpi.window.text if kpi.window is not None else None,
        "python": kpi.python,
        "columns": dict(sorted(kpi.columns.items())),
        "unit": kpi.unit,
        "direction": kpi.direction,
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def target_text(kpi: Kpi) -> str:
    """A KPI's target as one line of text, as it could be written in the spec ('' if none).

    Fields left at their default are left out, so a target keeps its text when kpikit later
    adds a field with a default.

    Example:
        >>> from kpikit.spec import Kpi, Target
        >>> kpi = Kpi(id="orders", name="Orders", source="orders", unit="count", direction="up",
        ...           target=Target(value=5500.0, by=dt.date(2026, 12, 31)))
        >>> target_text(kpi)
        '{value: 5500, by: 2026-12-31}'
    """
    target = kpi.target
    if target is None:
        return ""
    shown = []
    for f in dataclasses.fields(target):
        value = getattr(target, f.name)
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
            continue
        shown.append(f"{f.name}: {_text(value)}")
    return "{" + ", ".join(shown) + "}"


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def definitions_of(spec: Spec) -> dict[str, Definition]:
    """Every KPI's :class:`Definition` (hash, target text, formula in words), for a snapshot.

    Example:
        >>> definitions_of(kpikit.load_spec("data/kpis.yml"))["revenue"].target  # doctest: +SKIP
        '{value: 1200000, by: 2026-12-31}'
    """
    return {
        kpi.id: Definition(definition_hash(kpi), target_text(kpi), kpi.definition)
        for kpi in spec.kpis.values()
    }


# --- the database --------------------------------------------------------------------------------


def _create_v1(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS checkins ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " kpi TEXT NOT NULL, period TEXT NOT NULL, value REAL, target REAL,"
        " computed_status TEXT, override TEXT, note TEXT NOT NULL, author TEXT,"
        " recorded_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS checkins_by_kpi ON checkins (kpi, period)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS snapshots ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " period TEXT NOT NULL, grain TEXT NOT NULL, saved_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS snapshot_rows ("
        " snapshot INTEGER NOT NULL REFERENCES snapshots (id),"
        " kpi TEXT NOT NULL, value REAL, target REAL, status TEXT,"
        " definition_hash TEXT NOT NULL, target_text TEXT NOT NULL,"
        " definition_text TEXT NOT NULL, PRIMARY KEY (snapshot, kpi))"
    )


#: ``(version, upgrade)``: each upgrade takes the schema from the version before to its own,
#: inside one ``BEGIN IMMEDIATE`` transaction. Add a step for every schema change; never edit one.
_MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = ((1, _create_v1),)


def _check_file(path: Path) -> None:
    """Refuse a folder, or a file that is not SQLite, before SQLite opens it.

    So a data file given by mistake is never written to.
    """
    if path.is_dir():
        raise StoreError(
            f"the check-in database {path} is a folder",
            expected="a file path such as kpis.checkins.sqlite",
            found="a folder",
            hint="name a file inside it",
        )
    if path.exists():
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
        if head and head != _SQLITE_HEADER:
            raise StoreError(
                f"{path} is not a check-in database",
                expected="a SQLite file written by kpikit",
                found="a file of another kind (left untouched)",
                hint="point --db (or the spec's review: {checkins: ...}) at a new file name",
            )


@contextlib.contextmanager
def _open(path: str | Path, *, write: bool) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode (transactions are explicit), schema checked/upgraded."""
    path = Path(path)
    _check_file(path)
    if write and not path.parent.is_dir():
        raise StoreError(
            f"cannot create the check-in database {path}",
            expected="an existing folder",
            found=f"no folder {path.parent}",
            hint=f"create it first: mkdir -p {path.parent}",
        )
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the check-in database {path}", found=str(exc)) from None
    try:
        _retry(lambda: _prepare(db, path, write=write))
        yield db
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                f"the check-in database {path} stayed busy for {BUSY_TIMEOUT:g} s",
                expected="other writers to finish within that time",
                found=str(exc),
                hint="try again; a process may hold a long transaction on the file",
            ) from None
        raise StoreError(
            f"cannot use the check-in database {path}",
            found=str(exc),
            hint="check that the file and its folder are writable",
        ) from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a usable check-in database",
            expected="a SQLite file written by kpikit",
            found=str(exc),
            hint="point --db at a new file name; keep the old file to inspect it",
        ) from None
    finally:
        db.close()


def _prepare(db: sqlite3.Connection, path: Path, *, write: bool) -> None:
    """Check the file is ours, create or upgrade its tables, and switch a new file to WAL."""
    _upgrade(db, path, write=write)
    if write and db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, when the file is new


def _retry(step: Callable[[], None]) -> None:
    """Run ``step``, again while SQLite says the file is locked, for up to BUSY_TIMEOUT.

    SQLite's busy timeout does not cover every case: when two processes create the file at the
    same moment, or switch it to WAL, one of them may be told "database is locked" at once (to
    avoid a deadlock). Waiting a little and trying again is what SQLite's documentation advises.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _upgrade(db: sqlite3.Connection, path: Path, *, write: bool) -> None:
    application_id, version = _identity(db)
    if application_id not in (0, APPLICATION_ID) or (
        application_id == 0 and version == 0 and _has_tables(db)
    ):
        raise StoreError(
            f"{path} is not a check-in database",
            expected="a SQLite file written by kpikit",
            found="a SQLite file of another application (left untouched)",
            hint="point --db (or the spec's review: {checkins: ...}) at a new file name",
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the check-in database {path} was written by a newer kpikit",
            expected=f"schema version {SCHEMA_VERSION} or older",
            found=f"version {version}",
            hint="upgrade kpikit: pip install -U kpikit",
        )
    if version == SCHEMA_VERSION or (version == 0 and not write):
        return  # up to date, or an empty file only read: nothing to create
    db.execute("BEGIN IMMEDIATE")
    try:
        _, version = _identity(db)  # another process may have upgraded it meanwhile
        for step, upgrade in _MIGRATIONS:
            if step > version:
                upgrade(db)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _identity(db: sqlite3.Connection) -> tuple[int, int]:
    (application_id,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(application_id), int(version)


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: one write transaction.

    It takes the write lock at once, waiting up to :data:`BUSY_TIMEOUT` for another writer, so
    concurrent writers queue instead of failing.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# --- check-ins -----------------------------------------------------------------------------------


def record_checkin(
    path: str | Path,
    *,
    kpi: str,
    period: str,
    value: float | None,
    target: float | None,
    status: str | None,
    override: str | None = None,
    note: str,
    author: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> Checkin:
    """Record a check-in for one KPI and period; the file is created on first use.

    Args:
        path: the SQLite file (see :func:`database_path`).
        kpi: the KPI's id.
        period: the period's label (``2026-11``, ``2026-Q4``, ``2026-W48`` ...).
        value: the KPI's value for the period (None or NaN: unknown).
        target: the target for the period (None or NaN: none).
        status: the status kpikit computed (one of :data:`STATUSES`, or None).
        override: the owner's status, if they judge it differently (one of :data:`STATUSES`).
        note: what the owner has to say, stored exactly as given.
        author: who checked in.
        recorded_at: when (timezone-aware; default now); stored in UTC, ISO 8601.

    Returns:
        The :class:`Checkin` as stored.

    Example:
        >>> record_checkin(db, kpi="orders", period="2026-11", value=5210.0,  # doctest: +SKIP
        ...                target=5500.0, status="at_risk", note="Stock-outs in week 47")
    """
    periods.grain_of(_text_arg(period, "period", "2026-11"))  # a period label, or a clear error
    _text_arg(kpi, "kpi", "revenue")
    _status_arg(status, "status")
    _status_arg(override, "override")
    if not isinstance(note, str):
        raise ParameterError(
            "note must be text", expected="a string such as 'on plan'", found=repr(note)
        )
    stamp = _utc(recorded_at)
    row = (kpi, period, _real(value), _real(target), status, override, note, author, stamp)
    with _open(path, write=True) as db, _transaction(db):
        cursor = db.execute(
            "INSERT INTO checkins (kpi, period, value, target, computed_status, override,"
            " note, author, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        new_id = cursor.lastrowid
    assert new_id is not None
    return Checkin(
        id=new_id,
        kpi=kpi,
        period=period,
        value=_float(value),
        target=_float(target),
        status=override or status,
        computed_status=status,
        override=override,
        note=note,
        author=author,
        recorded_at=stamp,
    )


_SELECT_CHECKINS = (
    "SELECT kpi, period, value, target, coalesce(override, computed_status) AS status,"
    " computed_status, override, note, author, recorded_at FROM checkins"
)


def history(path: str | Path, kpi: str | None = None) -> pd.DataFrame:
    """Every check-in (of one KPI, or all), by period, then in the order they were recorded.

    Columns: :data:`CHECKIN_COLUMNS`. ``status`` is the owner's override if given, else the
    computed status. A file that does not exist yet has no check-ins (it is not created).

    Example:
        >>> history("data/kpis.checkins.sqlite", "revenue")  # doctest: +SKIP
    """
    where, params = ("WHERE kpi = ?", (kpi,)) if kpi is not None else ("", ())
    sql = f"{_SELECT_CHECKINS} {where} ORDER BY period, kpi, recorded_at, id"
    return _frame(_read(path, sql, params))


def latest_checkins(path: str | Path, period: str) -> pd.DataFrame:
    """The newest check-in of each KPI for ``period`` (one row per KPI that has one).

    The review reads its ``note`` and ``author`` columns from here. Columns:
    :data:`CHECKIN_COLUMNS`, sorted by KPI.

    Example:
        >>> latest_checkins("data/kpis.checkins.sqlite", "2026-11")  # doctest: +SKIP
    """
    sql = (
        f"{_SELECT_CHECKINS} WHERE id IN (SELECT (SELECT id FROM checkins AS newer"
        " WHERE newer.kpi = c.kpi AND newer.period = c.period"
        " ORDER BY recorded_at DESC, id DESC LIMIT 1)"
        " FROM checkins AS c WHERE c.period = ? GROUP BY c.kpi) ORDER BY kpi"
    )
    return _frame(_read(path, sql, (period,)))


def _read(path: str | Path, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if not Path(path).exists():
        return []
    with _open(path, write=False) as db:
        if _identity(db)[1] == 0:  # an empty SQLite file: nothing recorded yet
            return []
        return db.execute(sql, params).fetchall()


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(CHECKIN_COLUMNS))
    for column in ("value", "target"):
        frame[column] = frame[column].astype("float64")
    for column in CHECKIN_COLUMNS:
        if column not in ("value", "target"):  # text; missing is None, not NaN
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
    return frame


# --- review snapshots ----------------------------------------------------------------------------


def save_snapshot(
    path: str | Path,
    *,
    period: str,
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    definitions: Mapping[str, Definition | tuple[str, ...]],
    saved_at: dt.datetime | None = None,
) -> int:
    """Save a review of ``period``: each KPI's value, target, status and definition; its id.

    Args:
        path: the SQLite file.
        period: the review's period label.
        rows: the review's records (a DataFrame or mappings) with ``kpi``, ``value``,
            ``target`` and ``status``; other keys are ignored.
        definitions: KPI id -> ``(definition hash, target text[, definition text])``, as
            :func:`definitions_of` gives them.
        saved_at: when (timezone-aware; default now).

    Example:
        >>> save_snapshot(db, period="2026-11", rows=card,  # doctest: +SKIP
        ...               definitions=definitions_of(spec))
        3
    """
    grain = periods.grain_of(_text_arg(period, "period", "2026-11"))
    records = _records(rows)
    missing = [r["kpi"] for r in records if r["kpi"] not in definitions]
    if missing:
        raise ParameterError(
            "a snapshot needs every KPI's definition",
            expected="definitions for every KPI in rows",
            found=f"none for {', '.join(map(str, missing))}",
            hint="pass definitions=definitions_of(spec)",
        )
    counts = collections.Counter(str(r["kpi"]) for r in records)
    twice = sorted(kpi for kpi, n in counts.items() if n > 1)
    if twice:
        raise ParameterError(
            "a snapshot has one row per KPI",
            expected="each KPI once (the review's total, not its segments)",
            found=f"more than one row for {', '.join(twice)}",
        )
    stamp = _utc(saved_at)
    with _open(path, write=True) as db, _transaction(db):
        cursor = db.execute(
            "INSERT INTO snapshots (period, grain, saved_at) VALUES (?, ?, ?)",
            (period, grain, stamp),
        )
        snapshot = cursor.lastrowid
        db.executemany(
            "INSERT INTO snapshot_rows (snapshot, kpi, value, target, status, definition_hash,"
            " target_text, definition_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    snapshot,
                    str(r["kpi"]),
                    _real(r.get("value")),
                    _real(r.get("target")),
                    _status_text(r.get("status")),
                    *_definition(definitions[r["kpi"]]),
                )
                for r in records
            ],
        )
    assert snapshot is not None
    return snapshot


def last_snapshot(path: str | Path, *, before_or_at: str | None = None) -> Snapshot | None:
    """The newest saved review, or None when there is none.

    With ``before_or_at`` (a period label), the newest review of a period of the same grain on
    or before it: reviews of later periods (and of other grains) are passed over. Among reviews
    of the same period, the one saved last wins.

    Example:
        >>> last_snapshot("data/kpis.checkins.sqlite", before_or_at="2026-11")  # doctest: +SKIP
    """
    if before_or_at is None:
        sql, params = "SELECT id, period, saved_at FROM snapshots", ()
        order = " ORDER BY saved_at DESC, id DESC LIMIT 1"
    else:
        grain = periods.grain_of(_text_arg(before_or_at, "before_or_at", "2026-11"))
        # Labels of one grain and calendar sort as text: 2026-09 < 2026-10, 2026-W09 < 2026-W10.
        sql = "SELECT id, period, saved_at FROM snapshots WHERE grain = ? AND period <= ?"
        params = (grain, before_or_at)  # type: ignore[assignment]
        order = " ORDER BY period DESC, saved_at DESC, id DESC LIMIT 1"
    found = _read(path, sql + order, params)
    if not found:
        return None
    snapshot, period, saved_at = found[0]
    rows = _read(
        path,
        "SELECT kpi, value, target, status, definition_hash, target_text, definition_text"
        " FROM snapshot_rows WHERE snapshot = ? ORDER BY rowid",
        (snapshot,),
    )
    import pandas as pd

    columns = ["kpi", "value", "target", "status", "definition_hash", "target_text"]
    frame = pd.DataFrame(rows, columns=[*columns, "definition_text"])
    for column in ("value", "target"):
        frame[column] = frame[column].astype("float64")
    return Snapshot(id=int(snapshot), period=str(period), saved_at=str(saved_at), rows=frame)


def changes(
    previous: Snapshot | None,
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    definitions: Mapping[str, Definition | tuple[str, ...]],
) -> pd.DataFrame:
    """What changed since a saved review: status moves, definition and target edits, new KPIs.

    One row per change, with the columns ``kpi, what, before, after``; ``what`` is ``status``,
    ``definition``, ``target``, ``new`` (a KPI the earlier review did not have) or ``removed``.
    ``before``/``after`` are the statuses, the targets as text, or the definitions in words
    (their short hashes when the words did not change, e.g. a source's edit). No earlier
    review (``previous`` None): no rows.

    Example:
        >>> before = last_snapshot(db, before_or_at="2026-11")  # doctest: +SKIP
        >>> changes(before, card, definitions_of(spec))  # doctest: +SKIP
                   kpi        what   before     after
        0      revenue      status  at_risk  on_track
        1  bounce_rate  definition  ...
    """
    import pandas as pd

    found: list[tuple[str, str, str | None, str | None]] = []
    if previous is not None:
        earlier = {str(r["kpi"]): r for r in previous.rows.to_dict(orient="records")}
        now = _records(rows)
        for r in now:
            kpi = str(r["kpi"])
            status = _status_text(r.get("status"))
            if kpi not in earlier:
                found.append((kpi, "new", None, status))
                continue
            old = earlier[kpi]
            old_status = _status_text(old["status"])
            if old_status != status:
                found.append((kpi, "status", old_status, status))
            definition = Definition(*_definition(definitions[kpi])) if kpi in definitions else None
            if definition is None:
                continue
            if old["definition_hash"] != definition.hash:
                same_words = not definition.text or old["definition_text"] == definition.text
                before, after = (
                    (old["definition_hash"][:12], definition.hash[:12])
                    if same_words
                    else (old["definition_text"], definition.text)
                )
                found.append((kpi, "definition", before, after))
            if old["target_text"] != definition.target:
                found.append((kpi, "target", old["target_text"] or None, definition.target or None))
        current = {str(r["kpi"]) for r in now}
        for kpi, old in earlier.items():
            if kpi not in current:
                found.append((kpi, "removed", _status_text(old["status"]), None))
    return pd.DataFrame(found, columns=list(CHANGE_COLUMNS), dtype=object)


# --- small helpers -------------------------------------------------------------------------------


def _records(rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[dict[str, Any]]:
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        records = [{str(k): v for k, v in r.items()} for r in rows.to_dict(orient="records")]
    else:
        records = [dict(r) for r in rows]
    for r in records:
        if "kpi" not in r:
            raise ParameterError(
                "every review row needs a kpi",
                expected="records with kpi, value, target and status",
                found=", ".join(map(str, r)) or "an empty record",
            )
    return records


def _definition(value: Definition | tuple[str, ...]) -> tuple[str, str, str]:
    parts = tuple(value)
    if len(parts) not in (2, 3) or not all(isinstance(p, str) for p in parts):
        raise ParameterError(
            "a KPI's definition must be (hash, target text[, definition text])",
            expected="what definitions_of(spec) gives",
            found=repr(value),
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def _text_arg(value: object, name: str, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(
            f"{name} must be text", expected=f"a string such as '{example}'", found=repr(value)
        )
    return value


def _status_arg(value: object, name: str) -> None:
    if value is not None and value not in STATUSES:
        raise ParameterError(
            f"unknown {name} {value!r}",
            expected="one of " + ", ".join(STATUSES),
            found=repr(value),
            hint=did_you_mean(str(value), STATUSES),
        )


def _status_text(value: Any) -> str | None:
    """A status from a review row: missing (None, NaN, NA) is None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return None if text in ("<NA>", "nan") else text


def _real(value: Any) -> float | None:
    """A number for SQLite: None for missing and NaN (SQLite has no NaN)."""
    from pandas import isna

    if value is None or isna(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(
            "a check-in's value and target must be numbers",
            expected="a number, None or NaN",
            found=repr(value),
        ) from None
    return None if math.isnan(number) else number


def _float(value: Any) -> float:
    number = _real(value)
    return float("nan") if number is None else number


def _utc(moment: dt.datetime | None) -> str:
    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise ParameterError(
            "a check-in time must say its time zone",
            expected="a timezone-aware datetime",
            found=repr(moment),
            hint="datetime.datetime.now(datetime.UTC)",
        )
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
