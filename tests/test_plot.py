from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import kpikit  # noqa: E402
from kpikit import periods  # noqa: E402
from kpikit._expr import Measure  # noqa: E402
from kpikit.errors import ParameterError  # noqa: E402
from kpikit.fmt import format_change, format_value  # noqa: E402
from kpikit.plot import _style, plot_trend, render_dashboard  # noqa: E402
from kpikit.spec import Kpi, Target  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "data" / "kpis.yml"

REVENUE = Kpi(
    id="revenue",
    name="Revenue",
    source="orders",
    unit="currency",
    direction="up",
    objective="grow",
    target=Target(1000.0, dt.date(2026, 12, 31)),
)
BOUNCE = Kpi(id="bounce_rate", name="Bounce rate", source="web", unit="percent", direction="down")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _frame() -> pd.DataFrame:
    """A compute()-like frame: revenue with a gap (2026-03 absent) and an empty value (2026-05)."""
    return pd.DataFrame(
        {
            "kpi": ["revenue"] * 5 + ["bounce_rate"] * 2,
            "period": ["2026-01", "2026-02", "2026-04", "2026-05", "2026-06", "2026-01", "2026-02"],
            "value": [800.0, 900.0, 950.0, np.nan, 1100.0, 0.41, 0.40],
            "numerator": [np.nan] * 5 + [41.0, 40.0],
            "denominator": [np.nan] * 5 + [100.0, 100.0],
        }
    )


def _segmented() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": ["revenue"] * 5,
            "period": ["2026-01", "2026-01", "2026-02", "2026-02", "2026-02"],
            "channel": pd.array(["web", "store", "web", "store", pd.NA], dtype="str"),
            "value": [500.0, 300.0, 550.0, 350.0, 7.0],
            "numerator": [np.nan] * 5,
            "denominator": [np.nan] * 5,
        }
    )


def _lines(ax: matplotlib.axes.Axes) -> dict[str, matplotlib.lines.Line2D]:
    return {str(line.get_label()): line for line in ax.get_lines()}


# ----------------------------------------------------------------------------------- plot_trend


def test_trend_plots_the_values_with_gaps_for_missing_and_empty_periods() -> None:
    frame = _frame()
    before = frame.copy()
    ax = plot_trend(frame, REVENUE)
    pd.testing.assert_frame_equal(frame, before)
    line = _lines(ax)["Revenue"]
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(line.get_ydata(), [800.0, 900.0, np.nan, 950.0, np.nan, 1100.0])
    labels = [ax.xaxis.get_major_formatter()(x, 0) for x in range(6)]
    assert labels == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def test_trend_target_is_a_dashed_line_at_the_target_value() -> None:
    ax = plot_trend(_frame(), REVENUE)
    target = _lines(ax)["Target 1,000 by 2026-12-31"]
    assert set(target.get_ydata()) == {1000.0}
    assert target.get_linestyle() == "--"
    assert "Target" not in "".join(_lines(plot_trend(_frame(), BOUNCE)))


def test_trend_draws_per_period_targets_at_their_periods_and_a_range_as_a_band() -> None:
    per_period = REVENUE._replace(target=Target(per_period={"2026-02": 950.0, "2026-04": 1050.0}))
    ax = plot_trend(_frame(), per_period)
    dashes = _lines(ax)["Target per month: 950.00 (2026-02), 1,050 (2026-04)"]
    # the x positions of 2026-02 and 2026-04 on the calendar 2026-01 .. 2026-06
    assert list(dashes.get_xdata()) == [1, 3]
    assert list(dashes.get_ydata()) == [950.0, 1050.0]
    band = REVENUE._replace(direction="range", target=Target(min=900.0, max=1000.0))
    ax = plot_trend(_frame(), band)
    (patch,) = [p for p in ax.patches if p.get_label() == "Target 900.00 to 1,000"]
    ys = {
        round(y, 6) for _, y in patch.get_path().transformed(patch.get_patch_transform()).vertices
    }
    assert {900.0, 1000.0} <= ys
    assert ax.get_ylabel() == "currency, better inside the band"


def test_trend_axis_uses_the_shared_formatters() -> None:
    ax = plot_trend(_frame(), BOUNCE)
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(0.405, 0) == format_value(0.405, "percent") == "40.5%"
    assert plot_trend(_frame(), REVENUE).yaxis.get_major_formatter()(1_500_000, 0) == "1.5M"
    assert ax.get_title(loc="left") == "Bounce rate"
    assert ax.get_ylabel() == "percent, lower is better"


def test_trend_draws_one_line_per_segment_missing_last() -> None:
    ax = plot_trend(_segmented(), REVENUE, segment_column="channel")
    lines = _lines(ax)
    # a sum's target is for the total, so it is not drawn against each segment
    assert list(lines) == ["store", "web", "(missing)"]
    np.testing.assert_array_equal(lines["store"].get_ydata(), [300.0, 350.0])
    np.testing.assert_array_equal(lines["web"].get_ydata(), [500.0, 550.0])
    np.testing.assert_array_equal(lines["(missing)"].get_ydata(), [np.nan, 7.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["store", "web", "(missing)"]
    assert [lines[k].get_color() for k in lines] == list(_style.SERIES[:3])  # colour-blind safe


def test_trend_draws_a_ratio_target_against_each_segment() -> None:
    ratio = BOUNCE._replace(
        numerator=Measure("sum", "bounces", "sum(bounces)"),
        denominator=Measure("sum", "sessions", "sum(sessions)"),
        target=Target(0.36),
    )
    frame = _segmented().assign(kpi="bounce_rate", value=[0.4, 0.5, 0.41, 0.52, 0.3])
    lines = _lines(plot_trend(frame, ratio, segment_column="channel"))
    assert set(lines["Target 36.0%"].get_ydata()) == {0.36}


def test_trend_draws_on_the_given_axes_and_returns_them() -> None:
    fig, ax = plt.subplots()
    assert plot_trend(_frame(), REVENUE, ax=ax) is ax
    assert len(fig.axes) == 1


def test_trend_leaves_global_rc_params_alone() -> None:
    before = dict(matplotlib.rcParams)
    plot_trend(_frame(), REVENUE)
    render_dashboard(_card(), _history(), period="2026-06")
    assert dict(matplotlib.rcParams) == before


def test_trend_errors_name_the_problem() -> None:
    with pytest.raises(ParameterError, match=r"no segment column 'chanel'.*did you mean 'channel'"):
        plot_trend(_segmented(), REVENUE, segment_column="chanel")
    with pytest.raises(ParameterError, match=r"several rows per period.*segment_column"):
        plot_trend(_segmented(), REVENUE)
    with pytest.raises(ParameterError, match=r"not a kpikit.compute\(\) frame.*'value'"):
        plot_trend(pd.DataFrame({"kpi": ["revenue"], "period": ["2026-01"]}), REVENUE)


def test_trend_of_a_kpi_without_rows_is_empty_not_an_error() -> None:
    ax = plot_trend(_frame(), REVENUE._replace(id="other"))
    assert len(_lines(ax)["Revenue"].get_ydata()) == 0


# ------------------------------------------------------------------------------ render_dashboard


def _card() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": ["revenue", "bounce_rate", "nps", "orders", "sessions", "aov"],
            "name": ["Revenue", "Bounce rate", "NPS", "Orders", "Sessions", "Average order value"],
            "objective": ["grow", "engage", None, "grow", "engage", "grow"],
            "objective_title": ["Grow sales", "Engage", None, "Grow sales", "Engage", "Grow sales"],
            "unit": ["currency", "percent", "score", "count", "count", "currency"],
            "direction": ["up", "down", "up", "up", "up", "up"],
            "value": [1100.0, 0.39, 41.0, 123_456.0, 5000.0, 55.0],
            "previous": [950.0, 0.40, np.nan, 120_000.0, 5000.0, 60.0],
            "change": [150.0, -0.01, np.nan, 3456.0, 0.0, -5.0],
            "change_pct": [150 / 950, -0.025, np.nan, 0.0288, 0.0, -5 / 60],
            "better": pd.array([True, True, pd.NA, True, pd.NA, False], dtype="boolean"),
            "target": [1000.0, 0.36, np.nan, np.nan, np.nan, 58.0],
            "target_by": ["2026-12-31", "2026-12-31", None, None, None, None],
        }
    )


def _history() -> pd.DataFrame:
    labels = periods.period_range("2025-01", "2026-06")  # 18 months; the sparkline shows 13
    rows = []
    for i, label in enumerate(labels):
        rows.append({"kpi": "revenue", "period": label, "value": 500.0 + 10 * i})
        if label != "2026-02":  # a month without any row: a gap
            rows.append({"kpi": "bounce_rate", "period": label, "value": 0.5 - 0.005 * i})
    frame = pd.DataFrame(rows)
    frame.loc[(frame["kpi"] == "revenue") & (frame["period"] == "2025-12"), "value"] = np.nan
    return frame.assign(numerator=np.nan, denominator=np.nan)


def _texts(ax: matplotlib.axes.Axes) -> dict[str, matplotlib.text.Text]:
    return {str(t.get_gid()): t for t in ax.texts if t.get_gid()}


def _by_gid(fig: matplotlib.figure.Figure, prefix: str) -> dict[str, matplotlib.axes.Axes]:
    return {
        ax.get_gid().split(":", 1)[1]: ax
        for ax in fig.axes
        if (ax.get_gid() or "").startswith(prefix)
    }


def test_dashboard_has_one_tile_per_kpi_grouped_by_objective() -> None:
    card = _card()
    fig = render_dashboard(card, _history(), period="2026-06")
    tiles = _by_gid(fig, "tile:")
    assert list(tiles) == ["revenue", "orders", "aov", "bounce_rate", "sessions", "nps"]
    assert len(tiles) == len(card)
    headers = [t for t in fig.texts if (t.get_gid() or "").startswith("objective:")]
    assert [(t.get_gid(), t.get_text()) for t in headers] == [
        ("objective:grow", "Grow sales"),
        ("objective:engage", "Engage"),
        ("objective:", "(no objective)"),
    ]
    # headers sit above their tiles: each header is lower on the page than the tile before it
    bottoms = {k: ax.get_position().y0 for k, ax in tiles.items()}
    assert bottoms["revenue"] > bottoms["bounce_rate"] > bottoms["nps"]
    assert headers[1].get_position()[1] < bottoms["revenue"]
    assert headers[1].get_position()[1] > tiles["bounce_rate"].get_position().y1
    assert [t.get_text() for t in fig.texts if t.get_gid() == "title"] == [
        "KPI dashboard · 2026-06"
    ]


def test_dashboard_tiles_show_formatted_values_and_coloured_changes() -> None:
    fig = render_dashboard(_card(), _history(), period="2026-06", title="November review")
    tiles = _by_gid(fig, "tile:")
    revenue = _texts(tiles["revenue"])
    assert revenue["name"].get_text() == "Revenue"
    assert revenue["value"].get_text() == format_value(1100.0, "currency") == "1,100"
    assert revenue["change"].get_text() == f"▲ {format_change(150 / 950)} better vs 2026-05"
    assert revenue["change"].get_color() == _style.BETTER
    assert revenue["target"].get_text() == "target 1,000\nby 2026-12-31"
    assert _texts(tiles["orders"])["value"].get_text() == "123K"  # large values are abbreviated
    aov = _texts(tiles["aov"])
    assert aov["change"].get_text() == "▼ −8.3% worse vs 2026-05"
    assert aov["change"].get_color() == _style.WORSE
    assert aov["target"].get_text() == "target 58.00"
    bounce = _texts(tiles["bounce_rate"])
    # a percent KPI moves in points: 40.0% to 39.0% is one point down, and down is better here
    assert bounce["change"].get_text() == "▼ −1.0 pts better vs 2026-05"
    assert bounce["change"].get_color() == _style.BETTER
    flat = _texts(tiles["sessions"])["change"]
    assert (flat.get_text(), flat.get_color()) == ("■ 0.0% vs 2026-05", _style.NEUTRAL)
    nps = _texts(tiles["nps"])
    assert nps["change"].get_color() == _style.NEUTRAL
    assert nps["change"].get_text() == "– no comparison with 2026-05"
    assert "target" not in nps
    assert [t.get_text() for t in fig.texts if t.get_gid() == "title"] == ["November review"]


def test_dashboard_sparklines_show_the_last_13_periods_with_gaps_and_targets() -> None:
    history = _history()
    fig = render_dashboard(_card(), history, period="2026-06")
    sparks = _by_gid(fig, "spark:")
    assert len(sparks) == len(_card())
    labels = periods.period_range("2025-06", "2026-06")
    expected = (
        history[history["kpi"] == "revenue"].set_index("period")["value"].reindex(labels).to_numpy()
    )
    line = next(ln for ln in sparks["revenue"].get_lines() if ln.get_gid() == "spark-line:revenue")
    np.testing.assert_array_equal(line.get_ydata(), expected)
    assert np.isnan(line.get_ydata()[labels.index("2025-12")])
    bounce = next(
        ln for ln in sparks["bounce_rate"].get_lines() if ln.get_gid() == "spark-line:bounce_rate"
    )
    assert np.isnan(bounce.get_ydata()[labels.index("2026-02")])  # absent period: a gap, not 0
    assert np.nansum(np.isnan(bounce.get_ydata())) == 1
    target = next(ln for ln in sparks["revenue"].get_lines() if ln.get_gid() == "target:revenue")
    assert set(target.get_ydata()) == {1000.0}
    lo, hi = sparks["revenue"].get_ylim()
    assert lo < np.nanmin(expected) and hi > 1000.0  # the target is in view
    assert [t.get_text() for t in sparks["nps"].texts] == ["no history"]


def test_dashboard_is_deterministic() -> None:
    images = []
    for _ in range(2):
        buffer = io.BytesIO()
        render_dashboard(_card(), _history(), period="2026-06").savefig(buffer, format="png")
        images.append(buffer.getvalue())
    assert images[0] == images[1]


def test_dashboard_does_not_change_its_inputs() -> None:
    card, history = _card(), _history()
    card_before, history_before = card.copy(), history.copy()
    render_dashboard(card, history, period="2026-06")
    pd.testing.assert_frame_equal(card, card_before)
    pd.testing.assert_frame_equal(history, history_before)


def test_dashboard_rejects_segmented_or_mismatched_history() -> None:
    with pytest.raises(ParameterError, match=r"history has segment columns.*'channel'"):
        render_dashboard(_card(), _history().assign(channel="web"), period="2026-06")
    with pytest.raises(ParameterError, match=r"different grains.*grain='quarter'"):
        render_dashboard(_card(), _history(), period="2026-Q2")


# ------------------------------------------------------------------- on the sample data (engine)


@pytest.fixture(scope="module")
def spec() -> kpikit.Spec:
    return kpikit.load_spec(SPEC_PATH)


def _monthly_revenue() -> pd.Series:
    """Revenue per month, computed with plain pandas from the CSV (refunded orders left out)."""
    orders = pd.read_csv(ROOT / "data" / "orders.csv")
    kept = orders[~orders["refunded"]]
    return kept.groupby(kept["order_date"].str[:7])["revenue"].sum()


def test_trend_on_sample_data_matches_pandas(spec: kpikit.Spec) -> None:
    frame = kpikit.compute(spec, grain="month", kpis=["revenue"])
    ax = plot_trend(frame, spec.kpi("revenue"))
    expected = _monthly_revenue()
    line = _lines(ax)["Revenue"]
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy(), rtol=1e-9)
    assert ax.xaxis.get_major_formatter()(0, 0) == expected.index[0]
    kpi_target = spec.kpi("revenue").target
    assert kpi_target is not None
    (target,) = [line for label, line in _lines(ax).items() if label.startswith("Target ")]
    assert set(target.get_ydata()) == {kpi_target.value}


def test_dashboard_on_sample_data(spec: kpikit.Spec) -> None:
    period = "2026-11"
    card = kpikit.scorecard(spec, period=period)
    history = kpikit.compute(spec, grain="month", start=periods.previous(period, 12), end=period)
    fig = render_dashboard(card, history, period=period)
    tiles = _by_gid(fig, "tile:")
    assert list(tiles) == list(spec.kpis)
    titles = [t.get_text() for t in fig.texts if (t.get_gid() or "").startswith("objective:")]
    assert titles == [o.title for o in spec.objectives.values()]
    expected = _monthly_revenue().loc["2025-11":"2026-11"]
    spark = _by_gid(fig, "spark:")["revenue"]
    line = next(ln for ln in spark.get_lines() if ln.get_gid() == "spark-line:revenue")
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy(), rtol=1e-9)
    value = _texts(tiles["revenue"])["value"].get_text()
    assert value == format_value(expected.iloc[-1], "currency", compact=True)


def test_comparison_columns_are_not_taken_for_segments() -> None:
    from kpikit.plot._frames import segment_columns

    frame = pd.DataFrame(
        columns=["kpi", "period", "channel", "complete", "value", "numerator", "denominator"]
        + [f"{c}_{p}" for c in ("previous", "lag3") for p in ("value", "change_pct", "better")]
    )
    assert segment_columns(frame) == ["channel"]
