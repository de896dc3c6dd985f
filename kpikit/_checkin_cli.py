"""The ``kpikit checkin`` and ``kpikit history`` commands (the check-in store on the command line).

``kpikit checkin SPEC KPI --period P --note TEXT`` records the KPI's value, target and status for
the period, with the owner's note (and their own ``--status`` if they judge it differently);
``kpikit history SPEC [KPI]`` prints what was recorded. The store is :mod:`kpikit.checkins`.

Example:
    >>> from kpikit.cli import main
    >>> main(["checkin", "data/kpis.yml", "revenue", "--period", "2026-11",  # doctest: +SKIP
    ...       "--note", "Black Friday lands next week"])
    recorded revenue for 2026-11 (value 1,167,063, target 1,200,000, no status) by ana in ...
    0
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit import checkins, periods
from kpikit.errors import KpikitWarning, ParameterError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from kpikit.spec import Spec

__all__ = ["add_commands", "run_checkin", "run_history"]

LAST_COMPLETE = "last-complete"
HISTORY_FORMATS = ("table", "csv", "json")
#: The columns ``kpikit history`` prints (``kpi`` first when no KPI is named).
HISTORY_COLUMNS = ("period", "value", "target", "status", "note", "author", "recorded_at")


def add_commands(commands: Any) -> None:
    """Add ``checkin`` and ``history`` to the ``kpikit`` parser's subcommands."""
    checkin = commands.add_parser(
        "checkin",
        help="record a check-in: a KPI's value, target and status for a period, with a note",
        description="Record a check-in for one KPI and period: its value, target and computed "
        "status, your own status if you judge it differently, a note and the author. Stored in "
        "SQLite beside the spec (<spec>.checkins.sqlite) unless --db says otherwise.",
    )
    checkin.add_argument("spec", metavar="SPEC", help="the KPI spec file, e.g. data/kpis.yml")
    checkin.add_argument("kpi", metavar="KPI", help="the KPI's id, e.g. revenue")
    checkin.add_argument(
        "--period",
        required=True,
        metavar="P",
        help=f"the period checked, e.g. 2026-11 or 2026-Q4, or '{LAST_COMPLETE}' (the last "
        "month every source covers)",
    )
    checkin.add_argument(
        "--status",
        metavar="S",
        help="your status, if it differs from the computed one: " + ", ".join(checkins.STATUSES),
    )
    checkin.add_argument("--note", required=True, metavar="TEXT", help="what you have to say")
    checkin.add_argument(
        "--author", metavar="NAME", help="who checks in (default: $KPIKIT_AUTHOR, else your login)"
    )
    checkin.add_argument(
        "--db", metavar="PATH", help="the check-in database (default: beside the spec)"
    )
    checkin.set_defaults(run=run_checkin)

    history = commands.add_parser(
        "history",
        help="print the check-ins recorded for a KPI (or every KPI)",
        description="Print the check-ins recorded for a KPI, or for every KPI: period, value, "
        "target, status (yours if you gave one), note, author and when (UTC).",
    )
    history.add_argument("spec", metavar="SPEC", help="the KPI spec file, e.g. data/kpis.yml")
    history.add_argument("kpi", nargs="?", metavar="KPI", help="only this KPI (default: all)")
    history.add_argument(
        "--format",
        choices=HISTORY_FORMATS,
        default="table",
        help="table: aligned text (default); csv: plain numbers; json: a list of records",
    )
    history.add_argument(
        "--db", metavar="PATH", help="the check-in database (default: beside the spec)"
    )
    history.set_defaults(run=run_history)


# --- checkin -------------------------------------------------------------------------------------


def run_checkin(args: argparse.Namespace) -> int:
    """``kpikit checkin``: record one check-in and print one line saying what and where."""
    from kpikit._load import load_spec

    spec = load_spec(args.spec)
    kpi = spec.kpi(args.kpi)
    override = args.status
    if override is not None and override not in checkins.STATUSES:
        raise ParameterError(
            f"unknown --status '{override}'",
            expected="one of " + ", ".join(checkins.STATUSES),
            found=repr(override),
            hint=did_you_mean(override, checkins.STATUSES),
        )
    period = _period(spec, args.period)
    row = _review_row(spec, kpi.id, period)
    path = _database(spec, args.db)
    author = args.author or os.environ.get("KPIKIT_AUTHOR") or _login()
    saved = checkins.record_checkin(
        path,
        kpi=kpi.id,
        period=period,
        value=row["value"],
        target=row["target"],
        status=row["status"],
        override=override,
        note=args.note,
        author=author,
    )
    print(
        f"recorded {kpi.id} for {period} ({_summary(saved, kpi.unit)})"
        + (f" by {author}" if author else "")
        + f" in {_shown(path)}"
    )
    return 0


def _review_row(spec: Spec, kpi_id: str, period: str) -> dict[str, Any]:
    """The KPI's ``value``, ``target`` and computed ``status`` for the period, from its review."""
    from kpikit.fmt import is_empty
    from kpikit.review import review

    card = review(spec, period=period, kpis=[kpi_id])
    row = card.iloc[0]
    complete = row["complete"]  # a nullable boolean: NA when the period has no data at all
    if is_empty(complete) and is_empty(row["value"]):
        raise ParameterError(
            f"no data for {kpi_id} in {period}",
            expected="a period the KPI's data covers",
            found=f"no rows for {period}",
            hint="check in on a period with data, e.g. --period last-complete",
        )
    if not is_empty(complete) and not bool(complete):
        warnings.warn(
            f"the data covers only part of {period}: {kpi_id}'s value so far is recorded; "
            "check in on a complete period (--period last-complete) to judge it",
            KpikitWarning,
            stacklevel=2,
        )
    return {
        "value": float(row["value"]),
        "target": float(row["target"]),
        "status": str(row["computed_status"]),
    }


def _period(spec: Spec, text: str) -> str:
    text = text.strip()
    if text == LAST_COMPLETE:
        from kpikit.engine import last_complete_period

        return last_complete_period(spec, "month")
    periods.parse_period(text, spec.calendar)  # a label of the spec's calendar, or a clear error
    return text


def _database(spec: Spec, db: str | None) -> Path:
    # --db is typed relative to the current folder; the spec's key will be relative to the spec.
    return checkins.database_path(spec, Path(db).absolute() if db else None)


def _login() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): record no author
        return None


def _summary(saved: checkins.Checkin, unit: str) -> str:
    from kpikit.fmt import format_value

    if saved.override:
        computed = f"; computed {saved.computed_status}" if saved.computed_status else ""
        status = f"status {saved.override} (yours{computed})"
    else:
        status = f"status {saved.computed_status}" if saved.computed_status else "no status"
    return (
        f"value {format_value(saved.value, unit)}, target {format_value(saved.target, unit)}, "
        f"{status}"
    )


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


# --- history -------------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    """``kpikit history``: print the check-ins of a KPI, or of every KPI."""
    import sys

    from kpikit._load import load_spec

    spec = load_spec(args.spec)
    kpi_id = spec.kpi(args.kpi).id if args.kpi else None
    path = _database(spec, args.db)
    frame = checkins.history(path, kpi_id)
    columns = list(HISTORY_COLUMNS) if kpi_id else ["kpi", *HISTORY_COLUMNS]
    frame = frame[columns]
    if frame.empty:
        whose = f"for {kpi_id} " if kpi_id else ""
        line = (
            f"no check-ins {whose}yet in {_shown(path)}; record one with "
            f"`kpikit checkin {args.spec} {kpi_id or 'KPI'} --period P --note TEXT`"
        )
        if args.format == "table":
            print(line)
            return 0
        print(line, file=sys.stderr)
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False, na_rep="", lineterminator="\n"))
    elif args.format == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        print(json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        units = {kpi.id: kpi.unit for kpi in spec.kpis.values()}
        sys.stdout.write(_table(frame, units, kpi_id))
    return 0


def _table(frame: pd.DataFrame, units: dict[str, str], kpi_id: str | None) -> str:
    """Aligned text: numbers right, by the KPI's unit; a note's line breaks shown as ' / '."""
    from kpikit.fmt import format_value

    columns = [str(c) for c in frame.columns]
    rows = []
    for record in frame.to_dict(orient="records"):
        unit = units.get(str(record.get("kpi", kpi_id)), "count")
        row = []
        for column in columns:
            cell = record[column]
            if column in ("value", "target"):
                row.append(format_value(cell, unit))
            elif cell is None:
                row.append("–")
            else:
                row.append(" / ".join(str(cell).splitlines()) if column == "note" else str(cell))
        rows.append(row)
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if column in ("value", "target") else cell.ljust(width)
            for cell, width, column in zip(cells, widths, columns, strict=True)
        ).rstrip()

    return "\n".join([line(columns), *(line(r) for r in rows)]) + "\n"
