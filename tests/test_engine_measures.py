"""median(col) and quantile(col, q) against numpy and pandas, on every backend.

The engine computes them in its single group_by pass; every backend must give pandas' linear
interpolation (numpy's ``method="linear"``), including between two values of an even-sized group.
"""

from __future__ import annotations

import json

import narwhals as nw
import numpy as np
import pandas as pd
import pytest

from kpikit.engine import compute


def kpi(kid: str, source: str = "orders", **fields: str) -> str:
    body = {"name": kid, "source": source, "unit": "count", "direction": "up", **fields}
    return f"{kid}:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in body.items())


def orders(n: int = 300, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3, 1, n).round(2)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "t": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
            "channel": rng.choice(np.array(["a", "b", "c", None], dtype=object), n),
            "amount": amount,
            "qty": rng.integers(0, 9, n),
            "refunded": rng.random(n) < 0.3,
        }
    )


QUANTILES = {
    "median(amount)": ("amount", 0.5),
    "quantile(amount, 0.9)": ("amount", 0.9),
    "quantile(amount, 0.25)": ("amount", 0.25),
    "quantile(amount, 0)": ("amount", 0.0),
    "quantile(amount, 1)": ("amount", 1.0),
    "median(qty)": ("qty", 0.5),  # whole numbers: halves where a group has an even size
    "quantile(qty, 0.33)": ("qty", 0.33),
}


@pytest.mark.parametrize("filtered", [False, True])
def test_median_and_quantiles_match_numpy_linear_interpolation(
    write_spec, backend, filtered
) -> None:
    frame = orders()
    extra = {"filter": "refunded == false"} if filtered else {}
    yaml = "".join(kpi(f"k{i}", measure=m, **extra) for i, m in enumerate(QUANTILES))
    spec = write_spec({"orders": frame}, yaml)
    got = compute(spec, grain="month", by="channel", backend=backend)
    rows = frame[~frame.refunded] if filtered else frame
    for i, (column, q) in enumerate(QUANTILES.values()):
        for (month, channel), group in rows.groupby(
            [rows.t.dt.strftime("%Y-%m"), rows.channel], dropna=False
        ):
            values = group[column].dropna().to_numpy(dtype=float)
            want = np.quantile(values, q, method="linear") if len(values) else np.nan
            mine = got[(got.kpi == f"k{i}") & (got.period == month)]
            mine = mine[mine.channel.isna()] if pd.isna(channel) else mine[mine.channel == channel]
            assert mine["value"].item() == pytest.approx(want, rel=1e-11, nan_ok=True), (i, month)


def test_median_of_an_even_group_is_the_mean_of_the_middle_two(write_spec, backend) -> None:
    frame = pd.DataFrame(
        {"t": ["2026-01-02"] * 4 + ["2026-02-02"] * 3, "x": [1, 2, 10, 40, 7, None, 3]}
    )
    spec = write_spec(
        {"o": frame},
        kpi("med", "o", measure="median(x)") + kpi("p10", "o", measure="quantile(x, 0.1)"),
    )
    got = compute(spec, backend=backend).set_index(["kpi", "period"])["value"]
    assert got[("med", "2026-01")] == 6.0  # (2 + 10) / 2, by hand
    assert got[("med", "2026-02")] == 5.0  # (3 + 7) / 2: the missing value is left out
    assert got[("p10", "2026-01")] == pytest.approx(1.3)  # 1 + 0.3 * (2 - 1), by hand
    assert got[("p10", "2026-02")] == pytest.approx(3.4)  # 3 + 0.1 * (7 - 3)


def test_a_month_without_values_gives_an_empty_median(write_spec, backend) -> None:
    frame = pd.DataFrame({"t": ["2026-01-02", "2026-02-02"], "x": [5.0, 1.0], "ok": [True, False]})
    spec = write_spec({"o": frame}, kpi("med", "o", measure="median(x)", filter="ok"))
    got = compute(spec, backend=backend)
    assert got["value"].iloc[0] == 5.0 and np.isnan(got["value"].iloc[1])


def test_medians_share_the_one_group_by_pass(write_spec, monkeypatch, backend) -> None:
    calls: list[int] = []
    for cls in (nw.DataFrame, nw.LazyFrame):

        def spy(self, *args, original=cls.group_by, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "group_by", spy)
    yaml = "".join(kpi(f"k{i}", measure=m) for i, m in enumerate(QUANTILES))
    compute(write_spec({"orders": orders()}, yaml), by="channel", backend=backend)
    assert len(calls) == 1


def test_columns_of_every_type_aggregate_as_pandas_does_by_hand(
    write_spec, backend, native
) -> None:
    # Columns are aggregated in their own type and cast to float64 afterwards (or before, for
    # true/false, 32-bit floats): each type must still give pandas' float64 numbers.
    frame = pd.DataFrame(
        {
            "t": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04", "2026-02-01"]),
            "i32": np.array([2_000_000_000, 2_000_000_000, 7, -1], dtype="int32"),
            "f32": np.array([0.1, 0.2, 0.7, 1.5], dtype="float32"),
            "flag": [True, False, True, True],
        }
    )
    fields = {
        "s_i32": "sum(i32)", "m_i32": "mean(i32)", "max_i32": "max(i32)", "med_i32": "median(i32)",
        "s_f32": "sum(f32)", "m_f32": "mean(f32)", "min_f32": "min(f32)",
        "s_flag": "sum(flag)", "m_flag": "mean(flag)",
    }  # fmt: skip
    yaml = "".join(kpi(k, "o", measure=m) for k, m in fields.items())
    yaml += kpi("n_flag", "o", measure="count()", filter="flag")
    spec = write_spec({"o": frame}, yaml)
    got = compute(spec, data={"o": native(frame)}, backend=backend).set_index(["kpi", "period"])
    jan = frame[frame.t < "2026-02-01"]
    as64 = jan.astype({"i32": "float64", "f32": "float64", "flag": "float64"})
    want = {
        "s_i32": as64.i32.sum(), "m_i32": as64.i32.mean(), "max_i32": as64.i32.max(),
        "med_i32": as64.i32.median(), "s_f32": as64.f32.sum(), "m_f32": as64.f32.mean(),
        "min_f32": as64.f32.min(), "s_flag": 2.0, "m_flag": 2 / 3, "n_flag": 2.0,
    }  # fmt: skip
    assert want["s_i32"] == 4_000_000_007  # beyond 32 bits: no overflow
    for kid, value in want.items():
        assert got.loc[(kid, "2026-01"), "value"] == pytest.approx(value, rel=1e-11), kid
