"""Targets and review settings in the spec: every form loads, every malformed one is located."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import kpikit
from kpikit import lint_spec, load_spec
from kpikit.errors import SpecError
from kpikit.fmt import format_target
from kpikit.spec import Review, Target
from kpikit.tables import kpi_table, scorecard_table

ORDERS = "order_date,revenue,rating\n2026-10-05,100.0,4\n2026-11-05,130.0,5\n2026-11-06,110.0,4\n"

HEAD = """\
version: 1
review: {tolerance: 0.1, min_denominator: 50, checkins: db/checkins.sqlite}
sources:
  orders: {path: orders.csv, time: order_date}
kpis:
"""

KPI = "{name: K, source: orders, measure: sum(revenue), unit: currency, direction: %s, target: %s}"


def write(tmp_path: Path, *kpis: str, head: str = HEAD) -> Path:
    """A spec with one KPI per line (line 6, 7 ... of the file), over a small orders table."""
    (tmp_path / "orders.csv").write_text(ORDERS)
    path = tmp_path / "kpis.yml"
    path.write_text(head + "".join(f"  k{i}: {body}\n" for i, body in enumerate(kpis)))
    return path


def test_every_form_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        KPI % ("up", "1200000"),
        KPI % ("up", "{value: 1300000, by: 2026-12-31, from: 2026-06, shape: seasonal}"),
        KPI % ("up", "{2026-10: 1100000, 2026-11: 1300000, 2026-Q4: 3600000, 2027: 9}"),
        KPI % ("down", "{change: -0.1, vs: year_ago}"),
        KPI % ("range", "{min: 4.5, max: 4.8}"),
        (KPI % ("up", "{value: 1, by: 2026-12-31}"))[:-1] + ", review: {alpha: 0.01}}",
    )
    spec = load_spec(path)
    targets = [k.target for k in spec.kpis.values()]
    assert targets[0] == Target(1_200_000.0)
    assert targets[1] == Target(1_300_000.0, dt.date(2026, 12, 31), "2026-06", "seasonal")
    assert targets[2] is not None and dict(targets[2].per_period) == {
        "2026-10": 1_100_000.0, "2026-11": 1_300_000.0, "2026-Q4": 3_600_000.0, "2027": 9.0
    }  # fmt: skip
    assert targets[3] == Target(change=-0.1, vs="year_ago")
    assert targets[4] == Target(min=4.5, max=4.8)
    assert [t.kind for t in targets if t] == [
        "level", "level", "per_period", "relative", "range", "level"
    ]  # fmt: skip
    assert spec.kpi("k4").direction == "range"
    assert spec.review == Review(
        0.1, 50, 0.05, tmp_path / "db" / "checkins.sqlite",
        frozenset({"tolerance", "min_denominator", "checkins"}),
    )  # fmt: skip
    own = spec.review_for("k5")
    assert (own.tolerance, own.min_denominator, own.alpha) == (0.1, 50, 0.01)
    assert spec.review_for(spec.kpi("k0")).alpha == 0.05
    assert hash(spec.kpi("k2"))  # a KPI stays hashable with a per-period target


def test_without_review_blocks_the_defaults_apply(tmp_path: Path) -> None:
    spec = load_spec(
        write(tmp_path, KPI % ("up", "1"), head=HEAD.replace(HEAD.splitlines()[1], ""))
    )
    assert spec.review == Review() and spec.review_for("k0") == Review()
    assert (Review().tolerance, Review().min_denominator, Review().alpha) == (0.05, 30, 0.05)


BROKEN = [
    ("{value: 1, by: 2026-12-31, from: 2027-01}", "up",
     r":6: k0: error: target.from: the baseline period 2027-01 starts on 2027-01-01, not before "
     r"the end date 2026-12-31"),
    ("{value: 1, from: 2026-06}", "up",
     r":6: k0: error: target.from: a target with a baseline \('from'\) needs an end date 'by'"),
    ("{value: 1, by: 2026-12-31, from: June}", "up",
     r":6: k0: error: target.from: expected a period label such as 2026-06, found str 'June'"),
    ("{value: 1, by: 2026-12-31, shape: seasonal}", "up",
     r":6: k0: error: target.shape: a shape needs a baseline period 'from'"),
    ("{value: 1, by: 2026-12-31, from: 2026-06, shape: seasonl}", "up",
     r":6: k0: error: target.shape: expected one of linear, seasonal, found str 'seasonl' "
     r"Hint: did you mean 'seasonal'\?"),
    ("{2026-13: 1100000}", "up",
     r":6: k0: error: target.2026-13: expected a period label such as 2026-11"),
    ("{2026-10: lots}", "up", r":6: k0: error: target.2026-10: expected a number, found str 'lots'"),
    ("{value: 1, 2026-10: 2}", "up", r":6: k0: error: target.2026-10: a target mixes forms"),
    ("{value: 1, change: 0.2, vs: previous}", "up",
     r":6: k0: error: target: a target mixes forms \(level and relative\): value, change, vs"),
    ("{change: 0.2}", "up", r":6: k0: error: target.vs: a relative target needs 'vs'"),
    ("{change: 0.2, vs: last_year}", "up",
     r":6: k0: error: target.vs: expected one of previous, year_ago, found str 'last_year'"),
    ("{change: -1.5, vs: previous}", "up",
     r":6: k0: error: target.change: expected a fraction above -1, found -1.5"),
    ("{change: 0.2, vs: previous, from: 2026-06}", "up",
     r":6: k0: error: target.from: 'from' applies to a target value, not to a relative target"),
    ("{min: 4.9, max: 4.8}", "range",
     r":6: k0: error: target.min: min \(4.9\) is above max \(4.8\) "
     r"Hint: swap them: \{min: 4.8, max: 4.9\}"),
    ("{min: 4.5}", "range", r":6: k0: error: target.max: missing 'max' in a range target"),
    ("{min: 4.5, max: 4.8}", "up",
     r":6: k0: error: target: a range target \{min, max\} needs direction: range"),
    ("4.5", "range", r":6: k0: error: target: direction: range needs a range target"),
    ("{by: 2026-12-31}", "up", r":6: k0: error: target: a target needs value, change and vs"),
    ("{vale: 1}", "up", r":6: k0: error: target.vale: unknown key in target"),
    ("{}", "up", r":6: k0: error: target: expected a target, found an empty mapping"),
    ("{value: 1, by: 2026-12}", "up",
     r":6: k0: error: target.by: expected a date YYYY-MM-DD, found str '2026-12'"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "direction", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_malformed_target_is_located_and_explained(
    tmp_path: Path, target: str, direction: str, message: str
) -> None:
    path = write(tmp_path, KPI % (direction, target))
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_direction_range_without_a_target_is_an_error(tmp_path: Path) -> None:
    body = "{name: K, source: orders, measure: sum(revenue), unit: score, direction: range}"
    with pytest.raises(SpecError, match=r":6: k0: error: target: direction: range needs a range"):
        load_spec(write(tmp_path, body))


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ("{tolerance: 2}", r":2: -: error: review.tolerance: expected a fraction from 0 to 1"),
        ("{alpha: 0}", r":2: -: error: review.alpha: expected a significance level"),
        ("{min_denominator: 2.5}", r":2: -: error: review.min_denominator: expected a whole"),
        (
            "{tolerence: 0.1}",
            r":2: -: error: tolerence: unknown key in review Hint: did you mean 'tolerance'\?",
        ),
        ("{checkins: 3}", r":2: -: error: review.checkins: expected the path of a SQLite file"),
        ("0.1", r":2: -: error: review: expected a mapping"),
    ],
)
def test_a_malformed_review_block_is_located(tmp_path: Path, review: str, message: str) -> None:
    path = write(
        tmp_path, KPI % ("up", "1"), head=HEAD.replace(HEAD.splitlines()[1], f"review: {review}")
    )
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_a_kpis_review_block_takes_no_checkins(tmp_path: Path) -> None:
    body = (KPI % ("up", "1"))[:-1] + ", review: {checkins: x.db, tolerance: 7}}"
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, body))
    report = caught.value.report()
    assert ":6: k0: error: review.checkins: the check-in database is set once" in report
    assert ":6: k0: error: review.tolerance: expected a fraction from 0 to 1" in report


def test_lint_asks_for_a_time_frame_only_for_a_level_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        KPI % ("up", "1"),
        KPI % ("up", "{2026-11: 1}"),
        KPI % ("up", "{change: 0.1, vs: previous}"),
        KPI % ("range", "{min: 1, max: 2}"),
    )
    no_frame = [p.kpi for p in lint_spec(path) if "no time frame" in p.message]
    assert no_frame == ["k0"]


def test_each_form_is_shown_in_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        KPI % ("up", "{value: 1300000, by: 2026-12-31, from: 2026-06}"),
        KPI % ("up", "{2026-10: 1100000, 2026-11: 1300000}"),
        KPI % ("up", "{change: 0.2, vs: year_ago}"),
        KPI % ("range", "{min: 4.5, max: 4.8}"),
    )
    spec = load_spec(path)
    assert kpi_table(spec)["Target"].tolist() == [
        "1,300,000 by 2026-12-31 (from 2026-06)",
        "per month: 1.1M (2026-10), 1.3M (2026-11)",
        "+20% vs year ago",
        "4.50 to 4.80",
    ]
    assert (
        format_target(Target(change=-0.125, vs="previous"), "percent")
        == "−12.5% vs previous period"
    )


def test_the_scorecard_shows_the_target_of_the_period(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        KPI % ("up", "{2026-10: 1100000, 2026-11: 1300000}"),
        KPI % ("up", "{change: 0.2, vs: previous}"),
        KPI % ("range", "{min: 200, max: 300}"),
    )
    # through the package: importing kpikit.scorecard as a module would shadow the function
    card = kpikit.scorecard(load_spec(path), period="2026-11").set_index("kpi")
    # November's revenue is 130 + 110 = 240, October's 100
    assert card.loc["k0", "target"] == 1_300_000
    assert card.loc["k1", "target"] == pytest.approx(100 * 1.2)
    assert (card.loc["k2", "target_low"], card.loc["k2", "target_high"]) == (200, 300)
    # 100 was 100 below the range, 240 is inside it: better
    assert bool(card.loc["k2", "better"]) is True
    table = scorecard_table(card.reset_index())
    assert table["Target"].tolist() == ["1,300,000", "120.00", "200.00 to 300.00"]


def test_the_whole_files_of_the_targets_docs_load(tmp_path: Path) -> None:
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "kpi-spec.md").read_text()
    section = docs[docs.index("## Targets and status") : docs.index("## Catalog")]
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith("version")]
    assert len(blocks) == 2
    (tmp_path / "orders.csv").write_text("order_date,revenue,refunded\n2026-01-01,1.0,false\n")
    (tmp_path / "reviews.csv").write_text("date,rating\n2026-01-01,5\n")
    kinds = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"spec{i}.yml"
        path.write_text(block)
        spec = load_spec(path)
        kinds += [k.target.kind for k in spec.kpis.values() if k.target]
    assert kinds == ["level", "per_period", "relative", "range", "level"]
    # the Python example of the docs, on the first file: from 700,000 in June to 1,300,000 in
    # December, October (4 of 6 months in) expects 700,000 + 600,000 * 4 / 6
    from kpikit.targets import assess

    first = load_spec(tmp_path / "spec0.yml")
    history = {"2026-06": 700000.0, "2026-10": 1050000.0}
    result = assess(first.kpi("revenue"), history, "2026-10", spec=first)
    assert (result.status, result.periods_left) == ("at_risk", 2)
    assert result.expected == pytest.approx(700_000 + 600_000 * 4 / 6)
    assert (
        "('at_risk', 1100000.0, 2)"
        in (Path(__file__).resolve().parents[1] / "docs" / "kpi-spec.md").read_text()
    )
    assert spec.review_for("revenue").tolerance == 0.02
    assert spec.review.checkins == tmp_path / "kpis.checkins.sqlite"


def test_a_target_shows_the_fields_that_are_set() -> None:
    assert repr(Target(4.8, dt.date(2026, 12, 31))) == (
        "Target(value=4.8, by=datetime.date(2026, 12, 31))"  # as the notebooks show it
    )
    assert repr(Target(min=4.5, max=4.8)) == "Target(min=4.5, max=4.8)"
    assert repr(Target(change=0.2, vs="year_ago")) == "Target(change=0.2, vs='year_ago')"
