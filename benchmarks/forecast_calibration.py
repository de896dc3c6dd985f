"""Calibration of ``kpikit.forecast.probability_to_hit`` on simulated monthly series.

Simulates series whose future is known, of three kinds (seeded numpy):

- ``walk``: a random walk with drift (drift uniform in ±1, steps of sd 2), 12 to 36 points;
- ``line``: a straight line (slope uniform in ±2) plus noise of sd 3, 12 to 36 points;
- ``seasonal``: a line (slope in ±1), a yearly sine of amplitude 5 to 15 and noise of sd 3,
  24 to 36 points, forecast with ``season=12``;

each with a horizon of 1 to 12 periods, and prints:

1. the mean predicted probability for a target at the true median of the future value (a
   calibrated forecast gives about 0.5), and how often the future value reaches the forecast's
   own median (also about 0.5), and the coverage of the 80% prediction interval;
2. the reliability table: targets drawn around the truth, predicted probabilities grouped in
   tenths, and for each tenth the mean predicted probability against the share of targets the
   simulated future value actually reached; and the size-weighted mean gap (expected calibration
   error);
3. the time per call of ``probability_to_hit``.

Run: ``.venv/bin/python benchmarks/forecast_calibration.py [--series 6000] [--seed 1]``.
This is a script, not a test: pytest only collects ``tests/`` (tests/test_forecast.py runs a
smaller version of the same checks).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from kpikit.forecast import forecast, probability_to_hit

KINDS = ("walk", "line", "seasonal")


def simulate(
    rng: np.random.Generator, kind: str
) -> tuple[np.ndarray, float, float, int, int | None]:
    """One series: (history, future value, the future's true median, horizon, season)."""
    horizon = int(rng.integers(1, 13))
    if kind == "walk":
        n = int(rng.integers(12, 37))
        drift = rng.uniform(-1, 1)
        y = 100 + np.cumsum(drift + rng.normal(0, 2, n + horizon))
        return y[:n], float(y[-1]), float(y[n - 1] + drift * horizon), horizon, None
    t = np.arange(48)
    if kind == "line":
        n = int(rng.integers(12, 37))
        mean = 100 + rng.uniform(-2, 2) * t
        season = None
    else:
        n = int(rng.integers(24, 37))
        cycle = rng.uniform(5, 15) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        mean = 100 + rng.uniform(-1, 1) * t + cycle
        season = 12
    y = mean + rng.normal(0, 3, 48)
    at = n - 1 + horizon
    return y[:n], float(y[at]), float(mean[at]), horizon, season


def main() -> None:
    """Simulate, and print the calibration tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=6000, help="series to simulate")
    parser.add_argument("--seed", type=int, default=1, help="numpy seed")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    calls, seconds = 0, 0.0
    for i in range(args.series):
        kind = KINDS[i % len(KINDS)]
        history, future, median, horizon, season = simulate(rng, kind)
        f = forecast(history, horizon=horizon, season=season)
        target = median + rng.normal(0, 1.5) * max(f.scale, 1.0)
        start = time.perf_counter()
        p = probability_to_hit(history, target=target, horizon=horizon, season=season)
        seconds += time.perf_counter() - start
        calls += 1
        at_median = probability_to_hit(history, target=median, horizon=horizon, season=season)
        low, high = f.interval(0.8)
        rows.append(
            {
                "kind": kind,
                "p": p,
                "hit": future >= target,
                "p_at_true_median": at_median,
                "reaches_forecast_median": future >= f.quantile(0.5),
                "inside_80": low <= future <= high,
            }
        )
    table = pd.DataFrame(rows)
    print(f"{args.series} simulated series, seed {args.seed}\n")
    summary = table.groupby("kind", sort=False)[
        ["p_at_true_median", "reaches_forecast_median", "inside_80"]
    ].mean()
    summary.loc["all"] = table[summary.columns].mean()
    print("Targets at the median (calibrated: 0.50) and the 80% interval's coverage (0.80):")
    print(summary.round(3).to_string(), "\n")
    table["bin"] = np.minimum((table["p"] * 10).astype(int), 9)
    reliability = table.groupby("bin").agg(
        series=("p", "size"), predicted=("p", "mean"), observed=("hit", "mean")
    )
    reliability.index = [f"{b / 10:.1f}-{(b + 1) / 10:.1f}" for b in reliability.index]
    reliability["gap"] = reliability["observed"] - reliability["predicted"]
    print("Reliability: predicted probability against the share of targets reached:")
    print(reliability.round(3).to_string(), "\n")
    for kind in KINDS:
        part = table[table["kind"] == kind]
        gap = part.groupby("bin").apply(
            lambda g: abs(g["hit"].mean() - g["p"].mean()) * len(g), include_groups=False
        )
        print(f"expected calibration error, {kind}: {gap.sum() / len(part):.3f}")
    weighted = (reliability["gap"].abs() * reliability["series"]).sum() / len(table)
    print(f"expected calibration error, all: {weighted:.3f}")
    print(f"\nprobability_to_hit: {seconds / calls * 1e3:.2f} ms per call ({calls} calls)")


if __name__ == "__main__":
    main()
