"""Benchmark a review of the whole sample spec: ``kpikit.review`` and ``kpikit review``.

Issue 4's goal: a review of every KPI in ``data/kpis.yml`` for the last complete month takes under
two seconds. The script times, on each backend asked for:

- ``kpikit.review(spec, period=...)`` in process: once cold (the first call: imports and first
  reads), then the median of ``--repeat`` warm calls;
- the whole command ``kpikit review data/kpis.yml --period last-complete`` as a user runs it
  (median of ``--repeat`` runs after one warm-up).

It prints a table and exits 1 if a median misses the goal. This is a script, not a test: pytest
only collects ``tests/``. Run: ``make bench-review`` or
``.venv/bin/python benchmarks/review.py --repeat 5 --backends pandas,duckdb``. The figures are
in ``docs/review.md``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "data" / "kpis.yml"
GOAL_SECONDS = 2.0


def _timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> int:
    """Time the review on each backend, print the table; 1 when the goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm runs to take the median of")
    parser.add_argument(
        "--backends",
        default="pandas",
        help="comma list (default: pandas, the default backend; the goal is checked on each)",
    )
    parser.add_argument("--period", default="last-complete", help="the period to review")
    args = parser.parse_args()

    import kpikit

    spec = kpikit.load_spec(SPEC)
    period = args.period
    if period == "last-complete":
        period = kpikit.last_complete_period(spec, "month")
    print(f"review of {SPEC.relative_to(ROOT)} ({len(spec.kpis)} KPIs) for {period}")
    version = sys.version.split()[0]
    print(f"python {version}, kpikit {kpikit.__version__}, goal < {GOAL_SECONDS} s\n")
    rows, missed = [], False
    for backend in args.backends.split(","):
        cold = _timed(lambda b=backend: kpikit.review(spec, period=period, backend=b))
        warm = statistics.median(
            _timed(lambda b=backend: kpikit.review(spec, period=period, backend=b))
            for _ in range(args.repeat)
        )
        command = [
            sys.executable, "-m", "kpikit", "review", str(SPEC), "--period", period,
            "--backend", backend,
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)  # warm the file cache
        whole = statistics.median(
            _timed(lambda c=command: subprocess.run(c, check=True, capture_output=True))
            for _ in range(args.repeat)
        )
        missed |= warm >= GOAL_SECONDS or whole >= GOAL_SECONDS
        rows.append((backend, cold, warm, whole))
    print(f"{'backend':<10}{'cold s':>10}{'warm s':>10}{'command s':>12}")
    for backend, cold, warm, whole in rows:
        print(f"{backend:<10}{cold:>10.2f}{warm:>10.2f}{whole:>12.2f}")
    print("\ngoal met" if not missed else "\ngoal MISSED")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
