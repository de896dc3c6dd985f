"""``compute(..., by=..., top=N)`` and ``kpikit compute --top N`` against hand-written pandas.

The expected top segments are ranked here by hand (the denominator for ratios, the sum of values
for other KPIs) and ``other`` is computed from the rows of the remaining segments.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpikit.cli import main
from kpikit.engine import compute
from kpikit.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]


def kpi(kid: str, source: str = "o", **fields: object) -> str:
    body = {"name": kid, "source": source, "unit": "count", "direction": "up", **fields}
    return f"{kid}:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in body.items())


def orders(n: int = 500, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channel = rng.choice(
        np.array(list("abcdefg") + [None], dtype=object),
        n,
        p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05],
    )
    return pd.DataFrame(
        {
            "t": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
            "channel": channel,
            "amount": rng.lognormal(3, 1, n).round(2),
            "qty": rng.integers(0, 4, n),
            "customer": rng.choice([f"C{i}" for i in range(40)], n),
        }
    )


SPEC = (
    kpi("revenue", measure="sum(amount)")
    + kpi("per_item", numerator="sum(amount)", denominator="sum(qty)")
    + kpi("buyers", measure="count_distinct(customer)")
    + kpi("median_amount", measure="median(amount)")
)


def test_top_n_and_other_match_pandas(write_spec, backend) -> None:
    frame = orders()
    spec = write_spec({"o": frame}, SPEC)
    got = compute(spec, by="channel", top=3, start="2026-02", backend=backend)
    rows = frame[frame.t >= "2026-02-01"].assign(period=lambda f: f.t.dt.strftime("%Y-%m"))
    seg = rows.channel.fillna("(none)")
    weights = {
        "revenue": rows.amount.groupby(seg).sum(),
        "per_item": rows.qty.groupby(seg).sum(),  # a ratio: ranked by its denominator
        "buyers": rows.groupby(["period", seg]).customer.nunique().groupby(level=1).sum(),
        "median_amount": rows.groupby(["period", seg]).amount.median().groupby(level=1).sum(),
    }
    for kid, weight in weights.items():
        ranked = sorted(weight.index, key=lambda s: (-weight[s], s == "(none)", s))
        top = ranked[:3]
        mine = got[got.kpi == kid]
        for period, in_period in rows.groupby("period"):
            shown = mine[mine.period == period]
            names = [s if isinstance(s, str) else "(none)" for s in shown.channel]
            present = [s for s in top if (in_period.channel.fillna("(none)") == s).any()]
            want_names = sorted(present, key=lambda s: (s == "(none)", s))  # missing last
            assert names == [*want_names, "other"], (kid, period)  # other after the top
            rest = in_period[~in_period.channel.fillna("(none)").isin(top)]
            want = {
                "revenue": rest.amount.sum(),
                "per_item": rest.amount.sum() / rest.qty.sum(),
                "buyers": rest.customer.nunique(),
                "median_amount": rest.amount.median(),
            }[kid]
            other = shown[shown.channel == "other"]
            assert other["value"].item() == pytest.approx(want, rel=1e-11), (kid, period)
            if kid == "per_item":
                assert other["numerator"].item() == pytest.approx(rest.amount.sum())
                assert other["denominator"].item() == rest.qty.sum()


def test_top_keeps_the_total_and_leaves_few_segments_alone(write_spec, backend) -> None:
    frame = orders()
    spec = write_spec({"o": frame}, SPEC)
    total = compute(spec, kpis=["revenue", "per_item"], backend=backend)
    parts = compute(spec, kpis=["revenue", "per_item"], by="channel", top=2, backend=backend)
    summed = parts.groupby(["kpi", "period"], sort=False)[["value", "numerator", "denominator"]]
    summed = summed.sum().reset_index()
    rev = summed[summed.kpi == "revenue"]
    np.testing.assert_allclose(rev["value"], total[total.kpi == "revenue"]["value"], rtol=1e-11)
    ratio = summed[summed.kpi == "per_item"]
    want = total[total.kpi == "per_item"]
    np.testing.assert_allclose(ratio["numerator"], want["numerator"], rtol=1e-11)
    np.testing.assert_allclose(ratio["denominator"], want["denominator"], rtol=1e-11)
    many = compute(spec, kpis=["revenue"], by="channel", top=20, backend=backend)
    plain = compute(spec, kpis=["revenue"], by="channel", backend=backend)
    pd.testing.assert_frame_equal(many, plain)  # 8 segments, top 20: nothing to gather


def test_other_of_a_ratio_is_the_ratio_of_sums_not_the_mean_of_ratios(write_spec, backend) -> None:
    # Simpson's paradox: within 'other', x and y each convert better in March, but the pooled
    # rate falls because the weak segment grew; kpikit pools the rows.
    frame = pd.DataFrame(
        {
            "day": ["2026-02-10"] * 3 + ["2026-03-10"] * 3,
            "seg": ["big", "x", "y"] * 2,
            "conversions": [500, 90, 10, 500, 19, 60],
            "visits": [1000, 100, 100, 1000, 20, 500],
        }
    )
    spec = write_spec(
        {"o": frame}, kpi("cr", "o", numerator="sum(conversions)", denominator="sum(visits)")
    )
    got = compute(spec, by="seg", top=1, backend=backend).set_index(["period", "seg"])["value"]
    feb, mar = frame[frame.day < "2026-03"], frame[frame.day >= "2026-03"]
    rest = {p: f[f.seg != "big"] for p, f in (("2026-02", feb), ("2026-03", mar))}
    pooled = {p: f.conversions.sum() / f.visits.sum() for p, f in rest.items()}
    mean_of_rates = {p: (f.conversions / f.visits).mean() for p, f in rest.items()}
    assert got[("2026-02", "other")] == pytest.approx(pooled["2026-02"])  # 100 / 200
    assert got[("2026-03", "other")] == pytest.approx(pooled["2026-03"])  # 79 / 520
    assert mean_of_rates["2026-03"] > mean_of_rates["2026-02"]  # the mean says it rose
    assert got[("2026-03", "other")] < got[("2026-02", "other")]  # pooled: it fell


ROWS = st.lists(
    st.tuples(
        st.integers(1, 3),  # month
        st.sampled_from(["p", "q", "r", "s", None]),  # segment
        st.integers(0, 1000),  # numerator
        st.integers(0, 3),  # denominator, often 0
    ),
    min_size=1,
    max_size=30,
)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_any_partition_and_top_re_aggregates_to_the_ungrouped_ratio(
    make_spec_in, tmp_path_factory, engine
) -> None:
    start = pd.DataFrame({"day": ["2026-01-01"], "seg": ["p"], "num": [1], "den": [1]})
    yaml = kpi("rate", "src", numerator="sum(num)", denominator="sum(den)")
    spec = make_spec_in(tmp_path_factory.mktemp("prop"), {"src": start}, yaml)

    @settings(max_examples=25, deadline=None)
    @given(ROWS, st.integers(1, 4))
    def check(rows: list[tuple[int, str | None, int, int]], top: int) -> None:
        frame = pd.DataFrame(rows, columns=["month", "seg", "num", "den"])
        frame.insert(0, "day", pd.to_datetime({"year": 2026, "month": frame.month, "day": 15}))
        data = {"src": _native(frame.drop(columns="month"), engine)}
        total = compute(spec, data=data).set_index("period")
        parts = compute(spec, by="seg", top=top, data=data)
        assert parts.groupby("period")["seg"].nunique().max() <= top + 1
        summed = parts.groupby("period")[["numerator", "denominator"]].sum()
        # every month from the first to the last, with 0 where no row falls (the time spine)
        months = pd.period_range(frame.day.min(), frame.day.max(), freq="M").strftime("%Y-%m")
        label = frame.day.dt.strftime("%Y-%m")
        num = frame.groupby(label)["num"].sum().astype(float).reindex(months, fill_value=0.0)
        den = frame.groupby(label)["den"].sum().astype(float).reindex(months, fill_value=0.0)
        np.testing.assert_allclose(summed["numerator"], num)
        np.testing.assert_allclose(summed["denominator"], den)
        want = np.where(den == 0, np.nan, num / den.where(den != 0))
        np.testing.assert_allclose(total["value"], want, equal_nan=True)
        again = summed["numerator"] / summed["denominator"].where(summed["denominator"] != 0)
        np.testing.assert_allclose(again, total["value"], equal_nan=True)

    check()


def _native(frame: pd.DataFrame, engine: str) -> object:
    if engine == "pandas":
        return frame
    import duckdb
    import pyarrow as pa

    return duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))


@pytest.mark.parametrize(
    ("top", "by", "message"),
    [
        (3, (), r"top=3 needs segments: expected by= \(or --by\)"),
        (0, "channel", r"top=0 is not a number of segments.*1 or more, found 0"),
        (-2, "channel", r"found -2"),
        (1.5, "channel", r"found 1.5"),
        (True, "channel", r"found True"),
    ],
)
def test_top_errors(write_spec, top, by, message) -> None:
    spec = write_spec({"o": orders(20)}, SPEC)
    with pytest.raises(ParameterError, match=message):
        compute(spec, by=by, top=top)


def test_cli_top_prints_the_largest_campaigns_and_other(capsys) -> None:
    args = ["compute", str(ROOT / "data/kpis.yml"), "--kpi", "roas", "--by", "campaign"]
    assert main([*args, "--top", "2", "--from", "2026-10", "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"period": str})
    ads = pd.read_csv(ROOT / "data/campaigns.csv")
    ads = ads[ads.date >= "2026-10-01"].assign(period=lambda f: f.date.str[:7])
    top = ads.groupby("campaign").spend.sum().nlargest(2).index
    for period, rows in ads.groupby("period"):
        shown = got[got.period == period]
        assert shown.campaign.tolist() == [*sorted(top), "other"]
        rest = rows[~rows.campaign.isin(top)]
        other = shown[shown.campaign == "other"].iloc[0]
        assert other["numerator"] == pytest.approx(rest.attributed_sales.sum(), rel=1e-11)
        assert other["value"] == pytest.approx(
            rest.attributed_sales.sum() / rest.spend.sum(), rel=1e-11
        )
    assert main([*args[:2], "--kpi", "roas", "--top", "2"]) == 2
    assert "top=2 needs segments" in capsys.readouterr().err


def test_other_of_a_windowed_ratio_is_the_window_of_the_other_rows(write_spec, backend) -> None:
    frame = pd.DataFrame(
        {
            "t": [
                "2026-01-10",
                "2026-01-11",
                "2026-01-12",
                "2026-02-10",
                "2026-02-11",
                "2026-03-01",
            ],
            "ch": ["a", "b", "c", "a", "c", "b"],
            "x": [10.0, 1.0, 2.0, 30.0, 4.0, 8.0],
            "n": [5, 1, 1, 5, 2, 4],
        }
    )
    spec = write_spec(
        {"o": frame},
        kpi("rate2", numerator="sum(x)", denominator="sum(n)", window={"periods": 2}),
    )
    got = compute(spec, by="ch", top=1, backend=backend).set_index(["period", "ch"])["value"]
    # the largest denominator is a's (10); b and c are gathered, then windowed over two months
    rest = frame[frame.ch != "a"].assign(month=lambda f: f.t.str[:7])
    for period, months in [("2026-01", ["2026-01"]), ("2026-02", ["2026-01", "2026-02"]),
                           ("2026-03", ["2026-02", "2026-03"])]:  # fmt: skip
        rows = rest[rest.month.isin(months)]
        assert got[(period, "other")] == pytest.approx(rows.x.sum() / rows.n.sum())
