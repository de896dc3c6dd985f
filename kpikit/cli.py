"""The ``kpikit`` command: compute KPIs, lint a spec, run the monthly report.

Start-up stays lean: pandas, the engine, papermill and nbconvert are imported inside the
subcommand that needs them, so ``kpikit --help`` answers at once.

Exit status: 0 success; 1 ``lint`` found errors; 2 a usage error or any mistake in the spec, the
data, the arguments or the report parameters (a :class:`~kpikit.errors.KpikitError`, shown as one
line ``kpikit: error: ...`` without a traceback). Anything else is a bug in kpikit and keeps its
traceback.

Example:
    >>> main(["lint", "data/kpis.yml"])  # doctest: +SKIP
    data/kpis.yml: no problems
    0
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kpikit import __version__
from kpikit.errors import KpikitError, ParameterError
from kpikit.periods import GRAINS

if TYPE_CHECKING:
    from kpikit._rows import Rows

__all__ = ["build_parser", "main"]

PROG = "kpikit"
DEFAULT_SPEC = "data/kpis.yml"
DEFAULT_TEMPLATE = "monthly_report"
TEMPLATE_DIR = "templates"
DEFAULT_OUTPUT_DIR = "reports"
LAST_COMPLETE = "last-complete"
FORMATS = ("table", "csv", "json")
#: Numbers are printed to this many significant digits, so the float noise of adding in a
#: different order (~1e-15 relative, different on each backend) never shows.
SIGNIFICANT_DIGITS = 12

_DESCRIPTION = "Create, compute and review KPIs defined in a spec file (kpis.yml)."
_EPILOG = """\
exit status: 0 success, 1 `lint` found errors, 2 bad arguments or a problem in the spec, the
data or the report parameters (one line on stderr: `kpikit: error: ...`).

examples:
  kpikit lint data/kpis.yml
  kpikit compute data/kpis.yml --grain quarter --by channel --kpi revenue
  kpikit compute data/kpis.yml --from 2026-01 --to 2026-06 --format csv -o h1.csv
  kpikit compute data/kpis.yml --grain quarter --by channel --backend duckdb
  kpikit compute data/kpis.yml --by campaign --top 5 --kpi roas
  kpikit review data/kpis.yml --period last-complete
  kpikit review data/kpis.yml --period 2026-11 --format html -o review.html
  kpikit report --period last-complete
  kpikit catalog --stage engagement
  kpikit catalog ctr
  kpikit schema
  kpikit checkin data/kpis.yml revenue --period last-complete --note "Black Friday next week"
  kpikit history data/kpis.yml revenue
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kpikit`` command (also used to render ``--help``)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True

    compute = commands.add_parser(
        "compute",
        help="compute KPIs per period (and segment) and print the table",
        description="Compute KPIs per period (and segment): one row per KPI, period and segment, "
        "with the value and, for ratio KPIs, the numerator and denominator.",
    )
    compute.add_argument("spec", metavar="SPEC", help="the KPI spec file, e.g. data/kpis.yml")
    compute.add_argument(
        "--grain",
        default="month",
        metavar="G",
        help=f"period length: {', '.join(GRAINS)} (default: month)",
    )
    compute.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="DIM",
        help="segment by this column (repeat for several), e.g. --by channel",
    )
    compute.add_argument(
        "--kpi",
        action="append",
        default=[],
        metavar="ID",
        help="compute only this KPI (repeat for several; default: all)",
    )
    compute.add_argument(
        "--from", dest="start", metavar="P", help="first period, e.g. 2026-01 (inclusive)"
    )
    compute.add_argument("--to", dest="end", metavar="P", help="last period (inclusive)")
    compute.add_argument(
        "--backend",
        metavar="NAME",
        help="the library that reads and computes the data: pandas (default), polars, duckdb or "
        "spark; the numbers are the same (docs/backends.md)",
    )
    compute.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="C",
        help="set each row beside an earlier period: previous, year_ago or lag:N (comma list or "
        "repeat), adding its value, change, relative change, better and to_date columns",
    )
    compute.add_argument(
        "--top",
        type=int,
        metavar="N",
        help="with --by: keep each KPI's N largest segments and gather the rest as 'other'",
    )
    compute.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned text with formatted values (default); csv: plain numbers (12 "
        "significant digits), empty cells for missing values; json: a list of records",
    )
    compute.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout"
    )
    compute.set_defaults(run=_compute)

    lint = commands.add_parser(
        "lint",
        help="check a spec file and list every problem",
        description="Check a KPI spec and print one line per problem: "
        "FILE:LINE: KPI: error|warning: message. Exits 1 when there are errors.",
    )
    lint.add_argument("spec", metavar="SPEC", help="the KPI spec file, e.g. data/kpis.yml")
    lint.set_defaults(run=_lint)

    schema = commands.add_parser(
        "schema",
        help="print the path of the spec's JSON Schema, for editors (or copy it with -o)",
        description="Print the path of the JSON Schema that describes kpis.yml files, for "
        "editors that complete and check YAML with it (docs/kpi-spec.md, Editor support).",
    )
    schema.add_argument(
        "-o", "--output", metavar="FILE", help="write a copy of the schema to FILE instead"
    )
    schema.set_defaults(run=_schema)

    report = commands.add_parser(
        "report",
        help="run the report notebook for a month and export it as HTML",
        description="Run a report template with papermill for one month, then export it as HTML "
        "(code hidden, renders offline). Writes OUTPUT_DIR/<YYYY-MM>/<template>.ipynb and .html.",
    )
    report.add_argument(
        "--period",
        required=True,
        metavar="YYYY-MM",
        help=f"the reporting month, or '{LAST_COMPLETE}' for the last month every source covers",
    )
    report.add_argument(
        "--spec",
        metavar="SPEC",
        help=f"the KPI spec file (default: {DEFAULT_SPEC})",
    )
    report.add_argument(
        "--template",
        default=DEFAULT_TEMPLATE,
        metavar="NAME",
        help=f"a template name in {TEMPLATE_DIR}/ or a notebook path (default: {DEFAULT_TEMPLATE})",
    )
    report.add_argument(
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        metavar="DIR",
        help=f"folder for the reports (default: {DEFAULT_OUTPUT_DIR})",
    )
    report.add_argument(
        "--no-save",
        action="store_true",
        help="do not store this report's review in the check-in database (by default it is "
        "stored, so the next report says what changed since)",
    )
    report.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines or progress bar on stderr"
    )
    report.set_defaults(run=_report)

    review = commands.add_parser(
        "review",
        help="the scorecard of one period: value, target, status, noise and chance of hitting",
        description="Review every KPI for one period: its value against the target and the "
        "pacing path, a status (achieved, on_track, at_risk, off_track, no_target, "
        "insufficient_data) with its reason, the change and whether it is noise, and the chance "
        "of reaching the target by the end of its time frame (docs/review.md).",
    )
    review.add_argument("spec", metavar="SPEC", help="the KPI spec file, e.g. data/kpis.yml")
    review.add_argument(
        "--period",
        default=LAST_COMPLETE,
        metavar="P",
        help=f"the period, e.g. 2026-11 or 2026-Q3, or '{LAST_COMPLETE}' (default): the last "
        "month every source covers completely",
    )
    review.add_argument(
        "--kpi", action="append", default=[], metavar="ID", help="review only this KPI (repeat)"
    )
    review.add_argument("--backend", metavar="NAME", help="as for compute (default: pandas)")
    review.add_argument(
        "--format",
        choices=("table", "csv", "json", "html"),
        default="table",
        help="table: grouped by objective, status in colour on a terminal (default); csv and "
        "json: every column of kpikit.review(); html: a standalone page",
    )
    review.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the status in a table: auto (on a terminal, unless NO_COLOR is set)",
    )
    review.add_argument(
        "--save",
        action="store_true",
        help="save this review as a snapshot, so the next one says what changed since",
    )
    review.add_argument(
        "--db",
        metavar="PATH",
        help="the check-in database, relative to the current folder (default: beside the spec)",
    )
    review.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout"
    )
    review.set_defaults(run=_review)

    catalog = commands.add_parser(
        "catalog",
        help="list the built-in KPI catalog, or show one entry with a YAML snippet",
        description="List the built-in KPI definitions a spec can use with `use: <id>`, filtered "
        "by a search word, stage or unit; with an exact id (e.g. `kpikit catalog ctr`), show that "
        "entry: its formula, variant and a YAML snippet to paste into kpis.yml.",
    )
    catalog.add_argument("word", nargs="?", metavar="ID_OR_WORD", help="an id or a search word")
    catalog.add_argument("--stage", metavar="S", help="reach, engagement or results")
    catalog.add_argument("--unit", metavar="U", help="count, currency, percent, ratio or score")
    catalog.add_argument(
        "--markdown", action="store_true", help="print the whole catalog as docs/kpi-catalog.md"
    )
    catalog.set_defaults(run=_catalog)

    from kpikit._checkin_cli import add_commands

    add_commands(commands)  # checkin, history
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kpikit`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    Run as the command (``argv`` None), the process skips Python's last garbage collection at
    exit, which walks every object pandas and its libraries made (about 0.07 s): ``gc.freeze``
    runs after every other exit handler, and the operating system frees the memory.
    """
    if argv is None:
        import atexit
        import gc

        atexit.register(gc.freeze)  # exit handlers run last-registered first: this one last
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has printed them
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    run: Callable[[argparse.Namespace], int] = args.run
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return run(args)
        except KpikitError as exc:
            print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    print(f"{PROG}: warning: {_one_line(str(message))}", file=file or sys.stderr)


# --- compute -------------------------------------------------------------------------------------


def _compute(args: argparse.Namespace) -> int:
    from kpikit._load import load_spec
    from kpikit.engine import compute_rows

    spec = load_spec(args.spec)
    rows = compute_rows(
        spec,
        grain=args.grain,
        by=tuple(args.by),
        kpis=list(args.kpi) or None,
        start=args.start,
        end=args.end,
        backend=args.backend,
        compare=list(args.compare) or None,
        top=args.top,
    )  # on DuckDB these rows often never meet pandas (kpikit._rows): the command stays quick
    digits = f".{SIGNIFICANT_DIGITS}g"
    rows = rows.map(
        [c for c in rows.columns if _is_number(c)], lambda x: float(format(x, digits))
    )  # 205759.85 (pandas), 205759.84999999998 (Polars), 205759.85000000012 (DuckDB): 205759.85
    if args.format == "csv":
        text = rows.to_csv()
    elif args.format == "json":
        text = rows.to_json()
    else:
        units = {kpi.id: kpi.unit for kpi in spec.kpis.values()}
        text = _table(rows, units)
    if args.output:
        path = _write_atomically(Path(args.output), text)
        print(f"{PROG}: wrote {len(rows)} rows to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _is_number(column: str) -> bool:
    """The number columns: value, numerator, denominator and each comparison's numbers."""
    return column in ("value", "numerator", "denominator") or column.endswith(
        ("_value", "_change", "_change_pct")
    )


def _table(rows: Rows, units: dict[str, str]) -> str:
    """Aligned text: labels left, numbers right, values formatted by their KPI's unit."""
    from kpikit.fmt import format_segment, format_value

    columns = rows.columns
    numbers = [c for c in columns if _is_number(c)]
    lines: list[list[str]] = []
    for record in rows.records():
        row = []
        for column in columns:
            cell: Any = record[column]
            if column == "value" or column.endswith(("_value", "_change")):
                row.append(format_value(cell, units.get(str(record["kpi"]), "count")))
            elif column.endswith("_change_pct"):
                row.append(format_value(cell, "percent"))
            elif column in numbers:
                row.append(format_value(cell, "count"))
            elif column in ("kpi", "period"):
                row.append(str(cell))
            else:
                row.append(format_segment(cell))
        lines.append(row)
    widths = [max([len(c), *(len(r[i]) for r in lines)]) for i, c in enumerate(columns)]
    right = [c in numbers for c in columns]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(width) if is_right else cell.ljust(width)
            for cell, width, is_right in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in lines)]) + "\n"


def _write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then move it into place."""
    folder = path.parent
    if not folder.is_dir():
        raise ParameterError(
            "cannot write the output file",
            expected="an existing folder",
            found=f"no folder {folder}",
            hint=f"create it first: mkdir -p {folder}",
        )
    import uuid

    temporary = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


# --- lint ----------------------------------------------------------------------------------------


def _lint(args: argparse.Namespace) -> int:
    from kpikit._load import lint_spec

    problems = lint_spec(args.spec)
    if not any(p.severity == "error" for p in problems):  # design checks that read the data
        from kpikit._design_data import zero_denominator_problems
        from kpikit._load import load_spec

        problems += zero_denominator_problems(load_spec(args.spec), str(args.spec))
        problems.sort(key=lambda p: (p.line or 0, p.severity))
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings_ = len(problems) - errors
    if not problems:
        print(f"{args.spec}: no problems")
    else:
        print(
            f"{args.spec}: {errors} error{'s' * (errors != 1)}, "
            f"{warnings_} warning{'s' * (warnings_ != 1)}",
            file=sys.stderr,
        )
    return 1 if errors else 0


def _review(args: argparse.Namespace) -> int:
    from kpikit import _review_cli

    text, rows, period = _review_cli.run(
        args.spec,
        period=args.period,
        kpis=list(args.kpi) or None,
        backend=args.backend,
        form=args.format,
        save=args.save,
        database=str(Path(args.db).absolute()) if args.db else None,  # as checkin's --db
        color="never" if args.output else args.color,
        stream=sys.stdout,
    )
    if args.output:
        path = _write_atomically(Path(args.output), text)
        print(f"{PROG}: wrote the review of {period} ({rows} KPIs) to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from kpikit._catalog_cli import run

    print(run(args.word, stage=args.stage, unit=args.unit, markdown=args.markdown), end="")
    return 0


# --- schema --------------------------------------------------------------------------------------


def _schema(args: argparse.Namespace) -> int:
    from kpikit import _schema

    if args.output:
        path = _write_atomically(Path(args.output), _schema.text())
        print(f"{PROG}: wrote the spec's JSON Schema to {path}", file=sys.stderr)
    else:
        print(_schema.path())
    return 0


# --- report --------------------------------------------------------------------------------------


def _template(name: str) -> Path:
    """A template name (``monthly_report``) in templates/, or a notebook path."""
    is_path = name.endswith(".ipynb") or os.sep in name or "/" in name
    path = Path(name) if is_path else Path(TEMPLATE_DIR) / f"{name}.ipynb"
    if path.is_file():
        return path
    available = sorted(p.stem for p in Path(TEMPLATE_DIR).glob("*.ipynb"))
    from kpikit.errors import did_you_mean

    raise ParameterError(
        "report template not found",
        expected=f"a notebook in {TEMPLATE_DIR}/ or a path to one",
        found=str(path),
        hint=(did_you_mean(name, available) if available else None)
        or (
            f"templates: {', '.join(available)}"
            if available
            else "run kpikit from the project root"
        ),
    )


def _report(args: argparse.Namespace) -> int:
    from kpikit import periods
    from kpikit._load import load_spec
    from kpikit.engine import last_complete_period
    from kpikit.report import read_parameters, run_report

    template = _template(args.template)
    spec_path = Path(args.spec or DEFAULT_SPEC)
    spec = load_spec(spec_path)  # a broken spec fails here, before any kernel starts
    period = args.period.strip()
    if period == LAST_COMPLETE:
        period = last_complete_period(spec, "month")
    elif periods.grain_of(period) != "month":
        raise ParameterError(
            "the report period must be a month",
            expected=f"YYYY-MM such as 2026-11, or {LAST_COMPLETE}",
            found=repr(args.period),
        )
    parameters: dict[str, Any] = {"period": period}
    declared = read_parameters(template)
    if "spec_path" in declared:
        # The kernel runs in the template's folder: pass the spec the CLI checked, absolute.
        parameters["spec_path"] = str(spec_path.resolve())
    if "save_review" in declared and not args.no_save:
        parameters["save_review"] = True  # the next report says what changed since this one
    result = run_report(
        template,
        parameters=parameters,
        output_dir=Path(args.output_dir) / period,
        progress=not args.quiet,
    )
    print(_shown(result.notebook))
    if result.html is not None:
        print(_shown(result.html))
    return 0


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # python -m kpikit.cli, as python -m kpikit
    raise SystemExit(main())
