"""The check-in store (kpikit.checkins) and the `kpikit checkin` / `kpikit history` commands.

Everything written is read back with plain sqlite3 in the test, not through kpikit, and numbers
from the CLI are checked against pandas sums written here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import multiprocessing
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kpikit import checkins
from kpikit.checkins import (
    StoreError,
    changes,
    database_path,
    definition_hash,
    definitions_of,
    history,
    last_snapshot,
    latest_checkins,
    record_checkin,
    save_snapshot,
)
from kpikit.cli import main
from kpikit.errors import ParameterError

UTC = dt.UTC


def raw(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows straight from SQLite, without kpikit."""
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


# --- check-ins round trip ------------------------------------------------------------------------


def test_a_checkin_is_stored_as_given_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "kpis.checkins.sqlite"
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    saved = record_checkin(
        db,
        kpi="revenue",
        period="2026-11",
        value=1167063.5,
        target=1200000.0,
        status="at_risk",
        override="on_track",
        note="Black Friday lands next week",
        author="ana",
        recorded_at=at,
    )
    record_checkin(
        db,
        kpi="orders",
        period="2026-11",
        value=5210.0,
        target=float("nan"),
        status="no_target",
        note="",
    )
    rows = raw(
        db,
        "SELECT kpi, period, value, target, computed_status, override, note, author, recorded_at"
        " FROM checkins ORDER BY id",
    )
    assert rows[0] == (
        "revenue", "2026-11", 1167063.5, 1200000.0, "at_risk", "on_track",
        "Black Friday lands next week", "ana", "2026-12-01T07:30:00+00:00",
    )  # fmt: skip
    assert rows[1][:8] == ("orders", "2026-11", 5210.0, None, "no_target", None, "", None)
    assert saved.status == "on_track" and saved.computed_status == "at_risk"

    frame = history(db)
    assert list(frame.columns) == list(checkins.CHECKIN_COLUMNS)
    by_kpi = frame.set_index("kpi")
    # status is the owner's override when given, else the computed status
    assert by_kpi.loc["revenue", "status"] == "on_track"
    assert by_kpi.loc["orders", "status"] == "no_target"
    assert by_kpi.loc["revenue", "value"] == 1167063.5
    assert pd.isna(by_kpi.loc["orders", "target"])
    assert by_kpi.loc["orders", "note"] == ""
    assert by_kpi.loc["orders", "override"] is None and by_kpi.loc["orders", "author"] is None


def test_recorded_at_defaults_to_now_in_utc(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    before = dt.datetime.now(UTC).replace(microsecond=0)
    record_checkin(db, kpi="k", period="2026-W48", value=1, target=2, status=None, note="x")
    after = dt.datetime.now(UTC)
    (stamp,) = raw(db, "SELECT recorded_at FROM checkins")[0]
    moment = dt.datetime.fromisoformat(stamp)
    assert moment.utcoffset() == dt.timedelta(0)
    assert before <= moment <= after


def test_history_of_one_kpi_is_by_period_then_time(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    for period, hour, kpi in [
        ("2026-11", 10, "revenue"),
        ("2026-10", 12, "revenue"),
        ("2026-11", 9, "revenue"),
        ("2026-11", 8, "orders"),
    ]:
        record_checkin(
            db, kpi=kpi, period=period, value=1.0, target=None, status=None,
            note=f"{kpi} {period} {hour}", recorded_at=dt.datetime(2026, 12, 1, hour, tzinfo=UTC),
        )  # fmt: skip
    assert history(db, "revenue")["note"].tolist() == [
        "revenue 2026-10 12",
        "revenue 2026-11 9",
        "revenue 2026-11 10",
    ]
    assert len(history(db)) == 4


def test_latest_checkins_keep_the_newest_per_kpi_for_the_period(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    plan = [
        ("revenue", "2026-11", 9, "first look"),
        ("revenue", "2026-11", 15, "after the call"),
        ("revenue", "2026-11", 11, "second look"),
        ("revenue", "2026-12", 16, "next month"),
        ("orders", "2026-11", 10, "orders note"),
    ]
    for kpi, period, hour, note in plan:
        record_checkin(
            db, kpi=kpi, period=period, value=1.0, target=None, status="on_track", note=note,
            author=f"author {hour}", recorded_at=dt.datetime(2026, 12, 2, hour, tzinfo=UTC),
        )  # fmt: skip
    latest = latest_checkins(db, "2026-11")
    assert latest[["kpi", "note", "author"]].values.tolist() == [
        ["orders", "orders note", "author 10"],
        ["revenue", "after the call", "author 15"],
    ]
    assert latest_checkins(db, "2026-09").empty


def test_reading_a_missing_file_gives_empty_frames_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "none.sqlite"
    assert history(db).empty and list(history(db).columns) == list(checkins.CHECKIN_COLUMNS)
    assert latest_checkins(db, "2026-11").empty
    assert last_snapshot(db) is None
    assert not db.exists()


# --- notes are data, never SQL -------------------------------------------------------------------

NOTES = [
    "'); DROP TABLE checkins; --",
    "O'Brien said \"fine\"; we'll see",
    "a;b;c",
    "Robert'); DELETE FROM checkins WHERE ('1'='1",
    "line one\nline two\ttabbed",
    "ünïcødé – €1,2 ✓",
    "%s %(x)s ? :name $1",
    "   spaces kept   ",
]


def test_notes_with_quotes_and_sql_are_stored_as_given(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    for i, note in enumerate(NOTES):
        record_checkin(
            db, kpi=f"k{i}", period="2026-11", value=i, target=None, status=None,
            note=note, author=note,
        )  # fmt: skip
    assert raw(db, "SELECT note, author FROM checkins ORDER BY id") == [(n, n) for n in NOTES]
    tables = {name for (name,) in raw(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"checkins", "snapshots", "snapshot_rows"} <= tables
    assert history(db)["note"].tolist() == [NOTES[i] for i in range(len(NOTES))]


# --- two processes at once -----------------------------------------------------------------------


def _write_many(db: str, who: str, count: int, barrier: Any) -> None:
    barrier.wait()
    for i in range(count):
        record_checkin(
            db, kpi="revenue", period="2026-11", value=float(i), target=None,
            status="on_track", note=f"{who} {i}", author=who,
        )  # fmt: skip


def test_two_processes_writing_at_the_same_moment_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kpis.checkins.sqlite"  # created by whichever process gets there first
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_write_many, args=(str(db), who, 200, barrier))
        for who in ("ana", "ben")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [w.exitcode for w in workers] == [0, 0]
    rows = raw(db, "SELECT author, note FROM checkins")
    assert len(rows) == 400
    expected = {(who, f"{who} {i}") for who in ("ana", "ben") for i in range(200)}
    assert set(rows) == expected
    assert raw(db, "PRAGMA journal_mode")[0][0] == "wal"


# --- a file that is not ours ---------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    content = b"order_date,revenue\n2026-11-01,10\n"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=r"orders\.csv is not a check-in database.*another kind"):
        record_checkin(path, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")
    with pytest.raises(StoreError, match=r"orders\.csv is not a check-in database"):
        history(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]  # no -wal, no -shm


def test_another_applications_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE people (name TEXT)")
    connection.execute("INSERT INTO people VALUES ('ana')")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match=r"app\.sqlite is not a check-in database.*another app"):
        record_checkin(path, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")
    assert raw(path, "SELECT name FROM people") == [("ana",)]
    assert raw(path, "SELECT name FROM sqlite_master") == [("people",)]


def test_a_corrupt_sqlite_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(StoreError, match=r"broken\.sqlite is not a usable check-in database"):
        record_checkin(path, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")


def test_a_file_from_a_newer_kpikit_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    record_checkin(db, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(StoreError, match=r"written by a newer kpikit.*found version 99"):
        history(db)


def test_the_schema_is_versioned(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    record_checkin(db, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")
    assert raw(db, "PRAGMA user_version") == [(checkins.SCHEMA_VERSION,)]
    assert raw(db, "PRAGMA application_id") == [(0x6B70696B,)]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "c.sqlite"
    with pytest.raises(StoreError, match=r"expected an existing folder.*Hint: create it first"):
        record_checkin(db, kpi="k", period="2026-11", value=1, target=1, status=None, note="x")


@pytest.mark.parametrize(
    ("changes_", "message"),
    [
        ({"status": "on_trak"}, r"unknown status 'on_trak'.*did you mean 'on_track'"),
        ({"override": "great"}, r"unknown override 'great'.*one of achieved, on_track"),
        ({"period": "2026-13"}, r"2026-13"),
        ({"note": None}, r"note must be text"),
        ({"recorded_at": dt.datetime(2026, 12, 1)}, r"must say its time zone"),
    ],
)
def test_bad_arguments_are_parameter_errors(
    tmp_path: Path, changes_: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "kpi": "k", "period": "2026-11", "value": 1.0, "target": 2.0, "status": None, "note": "x",
    }  # fmt: skip
    with pytest.raises(ParameterError, match=message):
        record_checkin(tmp_path / "c.sqlite", **{**arguments, **changes_})


# --- where the file lives ------------------------------------------------------------------------


def test_the_database_lives_beside_the_spec_unless_overridden(write_spec: Any) -> None:
    spec = write_spec({"orders": ORDERS}, KPIS)
    folder = spec.path.parent
    assert database_path(spec) == folder / "kpis.checkins.sqlite"
    assert database_path(spec, "store/c.sqlite") == folder / "store" / "c.sqlite"
    assert database_path(spec, folder.parent / "abs.sqlite") == folder.parent / "abs.sqlite"


# --- snapshots and what changed ------------------------------------------------------------------

ORDERS = pd.DataFrame(
    {
        "day": ["2026-01-01", "2026-01-20", "2026-02-03", "2026-02-14", "2026-02-20"],
        "revenue": [100.0, 40.0, 70.0, 25.0, 60.0],
        "refunded": [False, True, False, False, True],
    }
)
KPIS = """
revenue: {name: Revenue, source: orders, measure: sum(revenue), filter: refunded == false,
          unit: currency, direction: up, target: {value: 100, by: 2026-12-31}}
orders: {name: Orders, source: orders, measure: count(), unit: count, direction: up,
         target: {value: 3, by: 2026-12-31}}
gross: {name: Gross revenue, source: orders, measure: sum(revenue), unit: currency,
        direction: up}
"""


def test_snapshot_rows_are_stored_and_read_back(tmp_path: Path, write_spec: Any) -> None:
    spec = write_spec({"orders": ORDERS}, KPIS)
    db = tmp_path / "c.sqlite"
    rows = [
        {"kpi": "revenue", "value": 170.0, "target": 100.0, "status": "achieved", "other": 1},
        {"kpi": "orders", "value": 5.0, "target": 3.0, "status": "achieved"},
        {"kpi": "gross", "value": 295.0, "target": float("nan"), "status": "no_target"},
    ]
    at = dt.datetime(2026, 12, 3, 8, tzinfo=UTC)
    first = save_snapshot(
        db, period="2026-11", rows=rows, definitions=definitions_of(spec), saved_at=at
    )
    stored = raw(
        db,
        "SELECT kpi, value, target, status, definition_hash, target_text FROM snapshot_rows"
        " WHERE snapshot = ? ORDER BY rowid",
        (first,),
    )
    revenue_canonical = (
        '{"columns":{},"denominator":null,"direction":"up","filter":"refunded == false",'
        '"formula":null,"measure":"sum(revenue)","numerator":null,"python":null,'
        '"source":"orders","unit":"currency","window":null}'
    )
    assert stored[0] == (
        "revenue", 170.0, 100.0, "achieved",
        hashlib.sha256(revenue_canonical.encode()).hexdigest(), "{value: 100, by: 2026-12-31}",
    )  # fmt: skip
    assert stored[2][:4] == ("gross", 295.0, None, "no_target") and stored[2][5] == ""
    assert raw(db, "SELECT period, grain, saved_at FROM snapshots") == [
        ("2026-11", "month", "2026-12-03T08:00:00+00:00")
    ]
    snapshot = last_snapshot(db)
    assert snapshot is not None and snapshot.id == first and snapshot.period == "2026-11"
    assert snapshot.rows["kpi"].tolist() == ["revenue", "orders", "gross"]
    assert snapshot.rows["value"].tolist() == [170.0, 5.0, 295.0]


def test_missing_values_in_a_review_frame_are_stored_as_null(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    rows = pd.DataFrame(
        {
            "kpi": ["a", "b"],
            "value": [1.5, float("nan")],
            "target": [float("nan"), 2.0],
            "status": pd.array(["on_track", pd.NA], dtype="string"),
        }
    )
    definitions = {"a": ("hash-a", "{value: 3}"), "b": ("hash-b", "")}
    save_snapshot(db, period="2026-W48", rows=rows, definitions=definitions)
    assert raw(db, "SELECT kpi, value, target, status, definition_hash, target_text,"
               " definition_text FROM snapshot_rows ORDER BY kpi") == [
        ("a", 1.5, None, "on_track", "hash-a", "{value: 3}", ""),
        ("b", None, 2.0, None, "hash-b", "", ""),
    ]  # fmt: skip
    assert raw(db, "SELECT period, grain FROM snapshots") == [("2026-W48", "week")]


def test_last_snapshot_before_or_at_a_period(tmp_path: Path, write_spec: Any) -> None:
    spec = write_spec({"orders": ORDERS}, KPIS)
    db = tmp_path / "c.sqlite"
    rows = [{"kpi": "orders", "value": 5.0, "target": 3.0, "status": "achieved"}]
    ids = {}
    for period, day in [("2026-09", 1), ("2026-11", 2), ("2026-10", 3), ("2026-Q3", 4)]:
        ids[period] = save_snapshot(
            db, period=period, rows=rows, definitions=definitions_of(spec),
            saved_at=dt.datetime(2026, 12, day, tzinfo=UTC),
        )  # fmt: skip
    again = save_snapshot(
        db, period="2026-10", rows=rows, definitions=definitions_of(spec),
        saved_at=dt.datetime(2026, 12, 5, tzinfo=UTC),
    )  # fmt: skip

    def found(period: str | None) -> int | None:
        snapshot = last_snapshot(db, before_or_at=period)
        return None if snapshot is None else snapshot.id

    assert found(None) == again  # the one saved last
    assert found("2026-11") == ids["2026-11"]
    assert found("2026-10") == again  # the later of two reviews of October
    assert found("2026-09") == ids["2026-09"]
    assert found("2026-08") is None
    assert found("2026-Q4") == ids["2026-Q3"]  # quarters only


def _rows(statuses: dict[str, str]) -> list[dict[str, Any]]:
    return [{"kpi": k, "value": 1.0, "target": 1.0, "status": s} for k, s in statuses.items()]


def test_a_filter_edit_is_reported_as_a_definition_change_of_that_kpi_only(
    tmp_path: Path, write_spec: Any
) -> None:
    db = tmp_path / "c.sqlite"
    statuses = {"revenue": "achieved", "orders": "on_track", "gross": "no_target"}
    before = write_spec({"orders": ORDERS}, KPIS)
    save_snapshot(db, period="2026-10", rows=_rows(statuses), definitions=definitions_of(before))
    # Same spec, but revenue now also counts refunded orders, and every name is reworded.
    edited = KPIS.replace("filter: refunded == false,", "filter: revenue > 0,").replace(
        "name: Orders", "name: All orders"
    )
    after = write_spec({"orders": ORDERS}, edited)
    found = changes(last_snapshot(db), _rows(statuses), definitions_of(after))
    assert found.to_dict(orient="records") == [
        {
            "kpi": "revenue",
            "what": "definition",
            "before": "sum(revenue) where refunded == false",
            "after": "sum(revenue) where revenue > 0",
        }
    ]


def test_target_and_status_moves_new_and_removed_kpis(tmp_path: Path, write_spec: Any) -> None:
    db = tmp_path / "c.sqlite"
    before = write_spec({"orders": ORDERS}, KPIS)
    save_snapshot(
        db,
        period="2026-10",
        rows=_rows({"revenue": "achieved", "orders": "on_track", "gross": "no_target"}),
        definitions=definitions_of(before),
    )
    edited = KPIS.replace(
        "target: {value: 3, by: 2026-12-31}", "target: {value: 4, by: 2027-03-31}"
    ).replace("gross:", "margin:")
    after = write_spec({"orders": ORDERS}, edited)
    now = _rows({"revenue": "at_risk", "orders": "on_track", "margin": "no_target"})
    found = changes(last_snapshot(db), now, definitions_of(after))
    assert found.to_dict(orient="records") == [
        {"kpi": "revenue", "what": "status", "before": "achieved", "after": "at_risk"},
        {
            "kpi": "orders",
            "what": "target",
            "before": "{value: 3, by: 2026-12-31}",
            "after": "{value: 4, by: 2027-03-31}",
        },
        {"kpi": "margin", "what": "new", "before": None, "after": "no_target"},
        {"kpi": "gross", "what": "removed", "before": "no_target", "after": None},
    ]


def test_nothing_changed_and_no_earlier_review_give_no_rows(
    write_spec: Any, tmp_path: Path
) -> None:
    spec = write_spec({"orders": ORDERS}, KPIS)
    db = tmp_path / "c.sqlite"
    rows = pd.DataFrame(_rows({"revenue": "achieved", "orders": "on_track", "gross": "no_target"}))
    save_snapshot(db, period="2026-10", rows=rows, definitions=definitions_of(spec))
    assert changes(last_snapshot(db), rows, definitions_of(spec)).empty
    assert changes(None, rows, definitions_of(spec)).empty
    assert list(changes(None, rows, definitions_of(spec)).columns) == [
        "kpi", "what", "before", "after",
    ]  # fmt: skip


def test_the_definition_hash_ignores_words_and_follows_numbers(write_spec: Any) -> None:
    spec = write_spec({"orders": ORDERS}, KPIS)
    revenue = spec.kpi("revenue")
    same = revenue._replace(name="Net revenue", description="Money", owner="Ana", cadence="weekly")
    assert definition_hash(same) == definition_hash(revenue)
    for change in ({"unit": "count"}, {"direction": "down"}, {"source": "other"}):
        assert definition_hash(revenue._replace(**change)) != definition_hash(revenue)


def test_a_snapshot_has_one_row_per_kpi(tmp_path: Path) -> None:
    rows = _rows({"revenue": "achieved"}) * 2
    definitions = {"revenue": ("h", "")}
    with pytest.raises(ParameterError, match=r"found more than one row for revenue"):
        save_snapshot(tmp_path / "c.sqlite", period="2026-11", rows=rows, definitions=definitions)
    assert not (tmp_path / "c.sqlite").exists()


def test_a_snapshot_needs_every_kpis_definition(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"found none for revenue.*definitions_of\(spec\)"):
        save_snapshot(tmp_path / "c.sqlite", period="2026-11", rows=_rows({"revenue": "achieved"}),
                      definitions={})  # fmt: skip


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_spec(write_spec: Any) -> Any:
    return write_spec({"orders": ORDERS}, KPIS)


def test_checkin_then_history_shows_the_row(
    cli_spec: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPIKIT_AUTHOR", "Ana Lyst")
    spec = str(cli_spec.path)
    note = "Refunds spiked; '); DROP TABLE checkins; --"
    code = main(["checkin", spec, "revenue", "--period", "2026-01", "--status", "at_risk",
                 "--note", note])  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 1
    assert "revenue" in out and "2026-01" in out and "kpis.checkins.sqlite" in out

    assert main(["history", spec, "revenue", "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"period": str})
    kept = ORDERS[~ORDERS["refunded"]]
    january = kept.loc[
        kept["day"].str.startswith("2026-01"), "revenue"
    ].sum()  # 100; the 40 is refunded
    assert got.columns.tolist() == [
        "period", "value", "target", "status", "note", "author", "recorded_at",
    ]  # fmt: skip
    assert got.loc[0, ["period", "value", "target", "status", "note", "author"]].tolist() == [
        "2026-01", january, 100.0, "at_risk", note, "Ana Lyst",
    ]  # fmt: skip
    # and it is in the file beside the spec, as plain SQLite shows
    db = cli_spec.path.parent / "kpis.checkins.sqlite"
    # the computed status is kept beside the owner's: January's 100 meets the target of 100
    assert raw(db, "SELECT kpi, period, value, override, computed_status FROM checkins") == [
        ("revenue", "2026-01", january, "at_risk", "achieved")
    ]


def test_history_of_every_kpi_as_json_and_table(
    cli_spec: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec, db = str(cli_spec.path), str(tmp_path / "elsewhere.sqlite")
    assert main(["checkin", spec, "orders", "--period", "2026-01", "--note", "slow start",
                 "--author", "ben", "--db", db]) == 0  # fmt: skip
    assert main(["checkin", spec, "revenue", "--period", "2026-01", "--note", "fine",
                 "--author", "ana", "--db", db]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["history", spec, "--format", "json", "--db", db]) == 0
    records = json.loads(capsys.readouterr().out)
    january = ORDERS[ORDERS["day"].str.startswith("2026-01")]
    assert [(r["kpi"], r["value"], r["author"]) for r in records] == [
        ("orders", float(len(january)), "ben"),
        ("revenue", january.loc[~january["refunded"], "revenue"].sum(), "ana"),
    ]
    # January has 2 orders against a target of 3 (no pacing path): a third short, far beyond the
    # default tolerance of 5%, so the computed status is off_track
    assert len(january) == 2
    assert records[0]["status"] == "off_track"
    assert main(["history", spec, "--db", db]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "kpi", "period", "value", "target", "status", "note", "author", "recorded_at",
    ]  # fmt: skip
    assert table[1].split()[:3] == ["orders", "2026-01", "2"]
    assert not (cli_spec.path.parent / "kpis.checkins.sqlite").exists()


def test_last_complete_is_the_last_whole_month_of_the_data(
    cli_spec: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the data ends on 2026-02-20, so January is the last complete month
    assert main(["checkin", str(cli_spec.path), "orders", "--period", "last-complete",
                 "--note", "ok"]) == 0  # fmt: skip
    assert "2026-01" in capsys.readouterr().out
    db = cli_spec.path.parent / "kpis.checkins.sqlite"
    assert raw(db, "SELECT period, value FROM checkins") == [("2026-01", 2.0)]


@pytest.mark.filterwarnings("default::kpikit.errors.KpikitWarning")  # printed by main()
def test_a_checkin_on_a_partial_period_warns_in_one_line(
    cli_spec: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the data ends on 2026-02-20: February is recorded, with a warning
    assert main(["checkin", str(cli_spec.path), "orders", "--period", "2026-02",
                 "--note", "so far"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert err == (
        "kpikit: warning: the data covers only part of 2026-02: orders's value so far is "
        "recorded; check in on a complete period (--period last-complete) to judge it\n"
    )
    db = cli_spec.path.parent / "kpis.checkins.sqlite"
    assert raw(db, "SELECT period, value FROM checkins") == [("2026-02", 3.0)]


def test_an_empty_history_says_so(cli_spec: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", str(cli_spec.path), "revenue"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no check-ins for revenue yet in ") and "kpikit checkin" in out
    assert main(["history", str(cli_spec.path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["checkin", "{spec}", "revenu", "--period", "2026-01", "--note", "x"],
         r"no KPI 'revenu'.*did you mean 'revenue'"),
        (["checkin", "{spec}", "revenue", "--period", "2026-13", "--note", "x"], r"2026-13"),
        (["checkin", "{spec}", "revenue", "--period", "2026-01", "--status", "ontrack",
          "--note", "x"], r"unknown --status 'ontrack'.*did you mean 'on_track'"),
        (["history", "{spec}", "revnue"], r"no KPI 'revnue'"),
        (["checkin", "{spec}", "revenue", "--period", "2026-01", "--note", "x", "--db",
          "{data}"], r"orders\.csv is not a check-in database"),
    ],
)  # fmt: skip
def test_cli_mistakes_are_one_line_and_exit_2(
    cli_spec: Any, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    data = cli_spec.path.parent / "orders.csv"
    content = data.read_bytes()
    argv = [a.format(spec=cli_spec.path, data=data) for a in arguments]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("kpikit: error: ")
    assert re.search(message, err)
    assert data.read_bytes() == content
    assert not (cli_spec.path.parent / "kpis.checkins.sqlite").exists()


# --- the docs ------------------------------------------------------------------------------------


def test_the_python_examples_in_docs_checkins_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[1]
    # the sample data without any check-in database `make report` may have left beside the spec
    ignore = shutil.ignore_patterns("*.checkins.sqlite*")
    shutil.copytree(root / "data", tmp_path / "data", ignore=ignore)
    monkeypatch.chdir(tmp_path)
    text = (root / "docs" / "checkins.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(examples) == 2
    for example in examples:
        exec(compile(example, "docs/checkins.md", "exec"), {})  # noqa: S102
    db = tmp_path / "data" / "kpis.checkins.sqlite"
    assert raw(
        db, "SELECT kpi, period, value, computed_status, override, author FROM checkins"
    ) == [("revenue", "2026-11", 1167063.17, "at_risk", "on_track", "Ana")]
    assert raw(db, "SELECT kpi, status FROM snapshot_rows") == [("revenue", "at_risk")]
    assert "Empty DataFrame" in capsys.readouterr().out  # no earlier review: no changes


def test_db_on_the_command_line_is_relative_to_the_current_folder(
    cli_spec: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["checkin", str(cli_spec.path), "orders", "--period", "2026-01", "--note", "x",
                 "--author", "ana", "--db", "mine.sqlite"]) == 0  # fmt: skip
    assert capsys.readouterr().out.rstrip().endswith(" by ana in mine.sqlite")
    assert raw(tmp_path / "here" / "mine.sqlite", "SELECT kpi, note FROM checkins") == [
        ("orders", "x")
    ]
    assert not (cli_spec.path.parent / "mine.sqlite").exists()
