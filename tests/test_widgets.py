from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("ipywidgets")

import kpikit  # noqa: E402
from kpikit._data import read_source  # noqa: E402
from kpikit.errors import KpikitError, ParameterError  # noqa: E402
from kpikit.fmt import format_value  # noqa: E402
from kpikit.widgets import Explorer, ExplorerState, explorer  # noqa: E402
from kpikit.widgets._state import TABLE_PERIODS, Options, apply, initial, options, render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def spec() -> kpikit.Spec:
    return kpikit.load_spec(DATA / "kpis.yml")


@pytest.fixture(scope="module")
def frames(spec: kpikit.Spec) -> dict[str, Any]:
    """The sources read once for the module (render and explorer accept them as data=)."""
    return {sid: read_source(source) for sid, source in spec.sources.items()}


@pytest.fixture(scope="module")
def choices(spec: kpikit.Spec, frames: dict[str, Any]) -> Options:
    return options(spec, frames)


def _quarter(dates: pd.Series) -> pd.Series:
    return dates.str[:4] + "-Q" + ((dates.str[5:7].astype(int) - 1) // 3 + 1).astype(str)


def _roas_by_channel_per_quarter() -> pd.DataFrame:
    """ROAS per quarter and channel with plain pandas: sum(attributed_sales) / sum(spend).

    Whole quarters only: the data runs from 2023-12-01 to 2026-11-30, so the explorer shows
    2024-Q1 to 2026-Q3.
    """
    ads = pd.read_csv(DATA / "campaigns.csv")
    ads = ads[(ads["date"] >= "2024-01-01") & (ads["date"] <= "2026-09-30")]
    sums = ads.groupby([_quarter(ads["date"]), "channel"])[["attributed_sales", "spend"]].sum()
    return (sums["attributed_sales"] / sums["spend"]).unstack("channel")


# ------------------------------------------------------------------------------- state and options


def test_options_offer_only_the_kpis_own_text_and_boolean_columns(choices: Options) -> None:
    assert choices.kpis[0] == ("Revenue", "revenue")
    assert choices.grains == ("day", "week", "month", "quarter", "year")
    # orders.csv: ids (thousands of values) and the time column are not dimensions
    assert choices.dimensions["revenue"] == ("channel", "region", "refunded")
    assert choices.dimensions["roas"] == ("channel", "campaign")
    assert choices.dimensions["sessions"] == ("channel",)
    assert choices.dimensions["average_rating"] == ("product",)  # not the free-text review
    assert choices.dimensions["brand_recall"] == ("recalled_brand",)  # not respondent ids
    assert choices.default_grains["click_through_rate"] == "week"  # from its weekly cadence


def test_options_read_frames_given_as_data(spec: kpikit.Spec, frames: dict[str, Any]) -> None:
    small = dict(
        frames,
        web=pd.DataFrame(
            {
                "date": ["2026-01-01"],
                "channel": ["x"],
                "device": ["mobile"],
                "sessions": [1],
                "bounces": [0],
                "social_shares": [0],
            }
        ),
    )
    assert options(spec, small).dimensions["sessions"] == ("channel", "device")


def test_initial_state_is_the_first_kpi_at_its_cadence(choices: Options) -> None:
    assert initial(choices) == ExplorerState("revenue", "month", None)
    assert initial(choices, "cost_per_click") == ExplorerState("cost_per_click", "week", None)


def test_state_is_frozen() -> None:
    state = ExplorerState("revenue")
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.kpi = "orders"  # type: ignore[misc]


def test_changing_the_kpi_keeps_a_dimension_its_source_has(choices: Options) -> None:
    state = apply(ExplorerState("revenue"), choices, dimension="channel")
    assert apply(state, choices, kpi="roas") == ExplorerState("roas", "month", "channel")


def test_changing_the_kpi_resets_a_dimension_its_source_lacks(choices: Options) -> None:
    state = apply(ExplorerState("revenue"), choices, dimension="region", grain="quarter")
    assert apply(state, choices, kpi="roas") == ExplorerState("roas", "quarter", None)
    assert state == ExplorerState("revenue", "quarter", "region")  # the old state is unchanged


def test_apply_can_clear_the_dimension(choices: Options) -> None:
    state = ExplorerState("revenue", "month", "channel")
    assert apply(state, choices, dimension=None).dimension is None
    assert apply(state, choices, dimension="").dimension is None


def test_apply_rejects_bad_changes(choices: Options) -> None:
    state = ExplorerState("revenue")
    with pytest.raises(
        ParameterError, match=r"'roas' cannot be split by 'region'.*channel, campaign"
    ):
        apply(state, choices, kpi="roas", dimension="region")
    with pytest.raises(ParameterError, match=r"unknown grain 'mont'.*did you mean 'month'"):
        apply(state, choices, grain="mont")
    with pytest.raises(KpikitError, match=r"no KPI 'revnue' to explore.*did you mean 'revenue'"):
        apply(state, choices, kpi="revnue")
    with pytest.raises(TypeError, match=r"no field 'segment'"):
        apply(state, choices, segment="channel")


# ------------------------------------------------------------------------------------------ render


def test_render_matches_pandas_for_a_ratio_split_by_channel(
    spec: kpikit.Spec, frames: dict[str, Any]
) -> None:
    expected = _roas_by_channel_per_quarter()
    table, figure = render(ExplorerState("roas", "quarter", "channel"), spec, frames)
    assert list(table.columns) == ["Period", "display", "search", "social", "video"]
    newest = expected.sort_index(ascending=False).head(TABLE_PERIODS)
    assert list(table["Period"]) == list(newest.index)
    for channel in ["display", "search", "social", "video"]:
        assert list(table[channel]) == [format_value(v, "ratio") for v in newest[channel]]
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    for channel in ["display", "search", "social", "video"]:
        np.testing.assert_allclose(
            lines[channel].get_ydata(), expected[channel].to_numpy(), rtol=1e-9
        )
    target = spec.kpi("roas").target
    assert target is not None
    (target_line,) = [line for label, line in lines.items() if label.startswith("Target ")]
    assert set(target_line.get_ydata()) == {target.value}


def test_render_without_dimension_matches_pandas(spec: kpikit.Spec, frames: dict[str, Any]) -> None:
    orders = pd.read_csv(DATA / "orders.csv")
    kept = orders[~orders["refunded"]]
    expected = kept.groupby(kept["order_date"].str[:7])["order_id"].count()
    table, figure = render(ExplorerState("orders", "month", None), spec, frames)
    assert list(table.columns) == ["Period", "Orders"]
    assert len(table) == TABLE_PERIODS
    assert table.iloc[0].to_dict() == {
        "Period": "2026-11",
        "Orders": format_value(expected["2026-11"], "count"),
    }
    np.testing.assert_array_equal(figure.axes[0].get_lines()[0].get_ydata(), expected.to_numpy())


@pytest.mark.parametrize(
    ("grain", "first", "last"),
    [("week", "2023-W49", "2026-W48"), ("quarter", "2024-Q1", "2026-Q3"), ("year", "2024", "2025")],
)
def test_render_shows_only_whole_periods(
    spec: kpikit.Spec, frames: dict[str, Any], grain: str, first: str, last: str
) -> None:
    # the sample data runs from Friday 2023-12-01 to Monday 2026-11-30
    table, figure = render(ExplorerState("orders", grain, None), spec, frames)
    line = figure.axes[0].get_lines()[0]
    label = figure.axes[0].xaxis.get_major_formatter()
    assert (label(0, 0), label(len(line.get_xdata()) - 1, 0)) == (first, last)
    assert table["Period"].iloc[0] == last


def test_render_leaves_out_the_incomplete_last_period(
    spec: kpikit.Spec, frames: dict[str, Any]
) -> None:
    table, figure = render(ExplorerState("sessions", "week", None), spec, frames)
    # the data ends on Monday 2026-11-30, the first day of 2026-W49
    assert table["Period"].iloc[0] == "2026-W48"
    assert (
        figure.axes[0].xaxis.get_major_formatter()(
            len(figure.axes[0].get_lines()[0].get_xdata()) - 1, 0
        )
        == "2026-W48"
    )


def test_render_figure_is_not_registered_with_pyplot(
    spec: kpikit.Spec, frames: dict[str, Any]
) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    render(ExplorerState("sessions"), spec, frames)
    assert plt.get_fignums() == before


def test_render_does_not_change_the_data(spec: kpikit.Spec, frames: dict[str, Any]) -> None:
    web = frames["web"]
    before = web.copy()
    render(ExplorerState("bounce_rate", "week", "channel"), spec, frames)
    pd.testing.assert_frame_equal(web, before)


# -------------------------------------------------------------------------- the real ipywidgets app


@pytest.fixture(scope="module")
def app(spec: kpikit.Spec, frames: dict[str, Any]) -> Explorer:
    return explorer(spec, data=frames)


def _output_mimes(app: Explorer) -> list[set[str]]:
    return [set(out.get("data", {})) for out in app.output.outputs]


def test_explorer_starts_on_the_first_kpi(app: Explorer) -> None:
    assert app.state == ExplorerState("revenue", "month", None)
    assert app.kpi_dropdown.value == "revenue"
    assert [label for label, _ in app.dimension_dropdown.options] == [
        "(none)",
        "channel",
        "region",
        "refunded",
    ]
    assert _output_mimes(app) == [{"image/png", "text/plain"}, {"text/html", "text/plain"}]
    png = base64.b64decode(app.output.outputs[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG")
    assert "Net sales of orders that were not refunded." in app.about.value


def test_explorer_updates_on_dropdown_changes(app: Explorer) -> None:
    app.kpi_dropdown.value = "roas"
    app.grain_dropdown.value = "quarter"
    app.dimension_dropdown.value = "channel"
    assert app.state == ExplorerState("roas", "quarter", "channel")
    expected = _roas_by_channel_per_quarter()
    assert app.table is not None and app.figure is not None
    assert app.table.iloc[0].to_dict() == {
        "Period": "2026-Q3",
        **{c: format_value(expected.loc["2026-Q3", c], "ratio") for c in expected.columns},
    }
    html = app.output.outputs[1]["data"]["text/html"]
    assert format_value(expected.loc["2026-Q3", "search"], "ratio") in html
    lines = {line.get_label(): line for line in app.figure.axes[0].get_lines()}
    np.testing.assert_allclose(lines["video"].get_ydata(), expected["video"].to_numpy(), rtol=1e-9)


def test_explorer_resets_the_dimension_dropdown_for_a_kpi_without_it(app: Explorer) -> None:
    app.kpi_dropdown.value = "revenue"
    app.dimension_dropdown.value = "region"
    assert app.state.dimension == "region"
    app.kpi_dropdown.value = "sessions"
    assert app.state == ExplorerState("sessions", app.state.grain, None)
    assert app.dimension_dropdown.value == ""
    assert [v for _, v in app.dimension_dropdown.options] == ["", "channel"]
    assert list(app.table.columns) == ["Period", "Web sessions"]


def test_explorer_shows_errors_instead_of_raising(
    spec: kpikit.Spec, frames: dict[str, Any]
) -> None:
    broken = dict(frames, reviews=frames["reviews"].drop(columns=["rating"]))
    app = explorer(spec, data=broken, kpi="revenue")
    app.kpi_dropdown.value = "average_rating"
    assert app.table is None
    assert app.output.outputs[0]["output_type"] == "stream"
    assert "column 'rating' not found" in app.output.outputs[0]["text"]


def test_import_kpikit_does_not_import_ipywidgets_or_the_widgets_package() -> None:
    code = (
        "import sys, json, kpikit\n"
        "kpikit.compute; kpikit.scorecard; import kpikit.fmt, kpikit.plot\n"
        "heavy = {'ipywidgets', 'matplotlib'}\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in heavy or m.startswith('kpikit.widgets'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout) == []
