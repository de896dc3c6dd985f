"""The built-in KPI catalog: its entries, `use:` in a spec, `kpikit catalog`, docs/kpi-catalog.md.

Every catalog KPI the sample data can feed is computed from a spec that uses it and checked, month
by month and on every backend, against DuckDB SQL written here over data/*.csv. The entries the
sample data cannot feed are checked on small frames against sums worked out by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from kpikit import catalog
from kpikit._expr import parse_filter, parse_measure
from kpikit._formula import parse_formula
from kpikit._load import lint_spec, load_spec
from kpikit.cli import main
from kpikit.engine import compute
from kpikit.errors import ParameterError, SpecError
from kpikit.spec import DIRECTIONS, KPI_TYPES, UNITS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

# ------------------------------------------------------------------------------ the entries


def test_every_entry_is_well_formed() -> None:
    ids = {e.id for e in catalog.entries()}
    aliases = [a for e in catalog.entries() for a in e.aliases]
    assert len(aliases) == len(set(aliases)) and not ids & set(aliases)
    for e in catalog.entries():
        assert e.name and e.definition and "\n" not in e.definition, e.id
        assert e.unit in UNITS and e.direction in DIRECTIONS, e.id
        assert e.types and set(e.types) <= set(KPI_TYPES), e.id
        assert e.stage in (None, *catalog.STAGES), e.id
        hows = [e.measure, e.numerator, e.formula, e.python]
        assert sum(h is not None for h in hows) == 1, e.id
        assert (e.numerator is None) == (e.denominator is None), e.id
        for text in (e.measure, e.numerator, e.denominator):
            if text is not None:
                parse_measure(text)
        if e.filter is not None:
            parse_filter(e.filter)
        if e.formula is not None:
            parse_formula(e.formula)
            assert set(e.inputs) <= ids, e.id


# Every KPI issue 3 item 5 (and ../shared/seed-kpis.txt) names, by its catalog id.
REQUIRED = [
    "revenue", "revenue_growth_mom", "revenue_growth_yoy", "net_profit_margin", "gross_margin",
    "aov", "clv_historical", "conversion_rate", "roas", "acos", "ctr", "cpc", "cpm", "cpa",
    "impressions", "email_sends", "delivery_rate", "open_rate", "click_to_open_rate",
    "page_views", "bounce_rate", "bounce_rate_ga4", "social_shares", "video_completion_rate",
    "units_sold", "brand_recall", "csat", "nps", "average_rating", "review_count",
    "positive_review_share", "customer_retention", "customer_churn", "employee_turnover",
    "employee_retention",
]  # fmt: skip


def test_the_catalog_covers_every_kpi_the_issue_names() -> None:
    assert [i for i in REQUIRED if catalog.lookup(i) is None] == []


def test_variants_say_which_definition_they_use() -> None:
    assert catalog.entry("open_rate").denominator == "sum(delivered)"
    assert catalog.entry("open_rate_sent").denominator == "sum(sends)"
    assert catalog.entry("bounce_rate").how == "sum(bounces) / sum(sessions)"
    assert catalog.entry("bounce_rate_ga4").formula == "1 - engaged_sessions / sessions"
    assert catalog.entry("csat_satisfied").filter == "csat >= 4"
    for eid in ("bounce_rate", "open_rate", "csat", "nps", "acos", "video_completion_rate"):
        assert catalog.entry(eid).variant, eid


def test_entry_finds_aliases_and_suggests_close_ids() -> None:
    assert catalog.entry("click_through_rate") is catalog.entry("ctr")
    with pytest.raises(ParameterError, match=r"no KPI 'ctrr' in the catalog.*did you mean 'ctr'"):
        catalog.entry("ctrr")
    with pytest.raises(ParameterError, match=r"no KPI 'churn'.*entries about it: customer_churn"):
        catalog.entry("churn")


def test_search_by_word_stage_and_unit() -> None:
    assert [e.id for e in catalog.search("bounce")] == ["bounce_rate", "bounce_rate_ga4"]
    reach = catalog.search(stage="reach")
    assert {"impressions", "email_sends", "page_views"} <= {e.id for e in reach}
    assert all(e.stage == "reach" for e in reach)
    assert all(e.unit == "currency" for e in catalog.search(unit="currency"))
    assert [e.id for e in catalog.search("email", stage="reach")] == [
        "delivery_rate",
        "email_sends",
    ]
    with pytest.raises(ParameterError, match=r"unknown marketing stage.*did you mean 'reach'"):
        catalog.search(stage="reech")


# --------------------------------------------------------------- every entry on the sample data

SOURCES = f"""
orders: {{path: {DATA / "orders.csv"}, time: order_date}}
campaigns: {{path: {DATA / "campaigns.csv"}, time: date}}
web: {{path: {DATA / "web_sessions.csv"}, time: date}}
email: {{path: {DATA / "email.csv"}, time: date}}
reviews: {{path: {DATA / "reviews.csv"}, time: date}}
survey: {{path: {DATA / "survey.csv"}, time: date}}
"""
KEPT = "filter: refunded == false"
KPIS = f"""
revenue: {{use: revenue, source: orders, {KEPT}}}
orders: {{use: orders, source: orders, {KEPT}}}
customers: {{use: customers, source: orders, {KEPT}}}
aov: {{use: average_order_value, source: orders, {KEPT}}}
revenue_per_customer: {{use: revenue_per_customer, source: orders, {KEPT}}}
purchase_frequency: {{use: purchase_frequency, source: orders, {KEPT}}}
cogs: {{use: cost_of_goods, source: orders, {KEPT}}}
gross_profit: {{use: gross_profit, inputs: {{cost_of_goods: cogs}}}}
gross_margin: {{use: gross_margin, inputs: {{cost_of_goods: cogs}}}}
revenue_growth_mom: {{use: revenue_growth_mom}}
revenue_growth_yoy: {{use: revenue_growth_yoy}}
ad_spend: {{use: ad_spend, source: campaigns}}
ad_impressions: {{use: impressions, source: campaigns}}
clicks: {{use: clicks, source: campaigns}}
ctr: {{use: ctr, source: campaigns}}
cpc: {{use: cpc, source: campaigns}}
cpm: {{use: cpm, inputs: {{impressions: ad_impressions}}}}
conversions: {{use: conversions, source: campaigns}}
cpa: {{use: cpa, source: campaigns}}
ad_conversion_rate: {{use: ad_conversion_rate, source: campaigns}}
attributed_sales: {{use: attributed_sales, source: campaigns}}
roas: {{use: roas, source: campaigns}}
acos: {{use: acos, source: campaigns}}
vcr: {{use: video_completion_rate, source: campaigns, filter: channel == 'video'}}
vcr_impressions: {{use: video_completion_rate_impressions, source: campaigns,
                  filter: channel == 'video'}}
sessions: {{use: sessions, source: web}}
page_views: {{use: page_views, source: web}}
pages_per_session: {{use: pages_per_session, source: web}}
bounce_rate: {{use: bounce_rate, source: web}}
social_shares: {{use: social_shares, source: web}}
conversion_rate: {{use: conversion_rate}}
email_sends: {{use: email_sends, source: email}}
delivery_rate: {{use: delivery_rate, source: email}}
open_rate: {{use: open_rate, source: email}}
open_rate_sent: {{use: open_rate_sent, source: email}}
click_to_open_rate: {{use: click_to_open_rate, source: email}}
email_click_rate: {{use: email_click_rate, source: email}}
brand_recall: {{use: brand_recall, source: survey}}
csat_responses: {{use: csat_responses, source: survey}}
csat_satisfied: {{use: csat_satisfied, source: survey}}
csat: {{use: csat}}
csat_mean: {{use: csat_mean, source: survey}}
nps_responses: {{use: nps_responses, source: survey}}
nps_promoters: {{use: nps_promoters, source: survey}}
nps_detractors: {{use: nps_detractors, source: survey}}
nps: {{use: nps}}
review_count: {{use: review_count, source: reviews}}
average_rating: {{use: average_rating, source: reviews}}
positive_reviews: {{use: positive_reviews, source: reviews}}
positive_review_share: {{use: positive_review_share}}
"""

# The same numbers in DuckDB SQL, one query per table, month by month.
SQL = {
    "orders": """
        select strftime(order_date, '%Y-%m') as period,
               sum(revenue) filter (where not refunded) as revenue,
               count(*) filter (where not refunded) as orders,
               count(distinct customer_id) filter (where not refunded) as customers,
               sum(cost) filter (where not refunded) as cost
        from read_csv('{data}/orders.csv') group by 1 order by 1""",
    "campaigns": """
        select strftime(date, '%Y-%m') as period, sum(spend) as spend,
               sum(impressions) as impressions, sum(clicks) as clicks,
               sum(conversions) as conversions, sum(attributed_sales) as sales,
               sum(video_completions) filter (where channel = 'video') as v_done,
               sum(video_starts) filter (where channel = 'video') as v_started,
               sum(impressions) filter (where channel = 'video') as v_shown
        from read_csv('{data}/campaigns.csv') group by 1 order by 1""",
    "web": """
        select strftime(date, '%Y-%m') as period, sum(sessions) as sessions,
               sum(page_views) as page_views, sum(bounces) as bounces,
               sum(social_shares) as shares
        from read_csv('{data}/web_sessions.csv') group by 1 order by 1""",
    "email": """
        select strftime(date, '%Y-%m') as period, sum(sends) as sends,
               sum(delivered) as delivered, sum(opens) as opens, sum(clicks) as clicks
        from read_csv('{data}/email.csv') group by 1 order by 1""",
    "survey": """
        select strftime(date, '%Y-%m') as period,
               avg(case when recalled_brand then 1.0 else 0.0 end) as recall,
               count(csat) as csat_n, count(csat) filter (where csat >= 4) as csat_top2,
               avg(csat) as csat_mean, count(nps) as nps_n,
               count(nps) filter (where nps >= 9) as promoters,
               count(nps) filter (where nps <= 6) as detractors
        from read_csv('{data}/survey.csv') group by 1 order by 1""",
    "reviews": """
        select strftime(date, '%Y-%m') as period, count(rating) as reviews,
               avg(rating) as rating, count(rating) filter (where rating >= 4) as positive
        from read_csv('{data}/reviews.csv') group by 1 order by 1""",
}


def _reference() -> dict[str, pd.Series]:
    con = duckdb.connect()
    t = {
        name: con.sql(query.format(data=DATA)).df().set_index("period").astype(float)
        for name, query in SQL.items()
    }
    o, c, w, e, s, r = (t[k] for k in ("orders", "campaigns", "web", "email", "survey", "reviews"))
    assert len(o) == 36  # every month has orders, so shift(k) is k months back
    return {
        "revenue": o.revenue, "orders": o.orders, "customers": o.customers,
        "aov": o.revenue / o.orders, "revenue_per_customer": o.revenue / o.customers,
        "purchase_frequency": o.orders / o.customers, "cogs": o.cost,
        "gross_profit": o.revenue - o.cost, "gross_margin": (o.revenue - o.cost) / o.revenue,
        "revenue_growth_mom": o.revenue / o.revenue.shift(1) - 1,
        "revenue_growth_yoy": o.revenue / o.revenue.shift(12) - 1,
        "ad_spend": c.spend, "ad_impressions": c.impressions, "clicks": c.clicks,
        "ctr": c.clicks / c.impressions, "cpc": c.spend / c.clicks,
        "cpm": c.spend / c.impressions * 1000, "conversions": c.conversions,
        "cpa": c.spend / c.conversions, "ad_conversion_rate": c.conversions / c.clicks,
        "attributed_sales": c.sales, "roas": c.sales / c.spend, "acos": c.spend / c.sales,
        "vcr": c.v_done / c.v_started, "vcr_impressions": c.v_done / c.v_shown,
        "sessions": w.sessions, "page_views": w.page_views,
        "pages_per_session": w.page_views / w.sessions, "bounce_rate": w.bounces / w.sessions,
        "social_shares": w.shares, "conversion_rate": o.orders / w.sessions,
        "email_sends": e.sends, "delivery_rate": e.delivered / e.sends,
        "open_rate": e.opens / e.delivered, "open_rate_sent": e.opens / e.sends,
        "click_to_open_rate": e.clicks / e.opens, "email_click_rate": e.clicks / e.delivered,
        "brand_recall": s.recall, "csat_responses": s.csat_n, "csat_satisfied": s.csat_top2,
        "csat": s.csat_top2 / s.csat_n, "csat_mean": s.csat_mean, "nps_responses": s.nps_n,
        "nps_promoters": s.promoters, "nps_detractors": s.detractors,
        "nps": 100 * (s.promoters - s.detractors) / s.nps_n,
        "review_count": r.reviews, "average_rating": r.rating, "positive_reviews": r.positive,
        "positive_review_share": r.positive / r.reviews,
    }  # fmt: skip


def test_every_catalog_kpi_on_the_sample_data_matches_duckdb_sql(write_spec, backend) -> None:
    spec = write_spec({}, KPIS, SOURCES)
    expected = _reference()
    assert sorted(expected) == sorted(spec.kpis)
    got = compute(spec, grain="month", backend=backend)
    for kid, want in expected.items():
        values = got[got["kpi"] == kid].set_index("period")["value"]
        assert list(values.index) == list(want.index), kid
        assert np.allclose(values, want, rtol=1e-9, equal_nan=True), kid
    assert got[got["kpi"] == "revenue_growth_mom"]["value"].isna().sum() == 1
    assert got[got["kpi"] == "revenue_growth_yoy"]["value"].isna().sum() == 12


BEYOND_SAMPLE = {  # checked on a small frame below
    "units_sold", "reach", "ad_frequency", "net_profit", "net_profit_margin", "engaged_sessions",
    "bounce_rate_ga4",
}  # fmt: skip
# Python KPIs and `window: all`: checked on small frames in tests/test_catalog_functions.py.
ON_SMALL_FRAMES = {
    "customer_retention", "customer_churn", "employee_turnover", "employee_retention",
    "clv_historical",
}  # fmt: skip


def test_every_entry_is_checked_somewhere(write_spec) -> None:
    spec = write_spec({}, KPIS, SOURCES)
    on_sample = {k.catalog for k in spec.kpis.values()}
    assert on_sample | BEYOND_SAMPLE | ON_SMALL_FRAMES == {e.id for e in catalog.entries()}


def test_use_records_the_catalog_id_and_fills_in_the_entry(write_spec) -> None:
    spec = write_spec({}, KPIS, SOURCES)
    ctr, cpm = spec.kpi("ctr"), spec.kpi("cpm")
    assert (ctr.catalog, ctr.name, ctr.unit, ctr.direction) == (
        "ctr",
        "Click-through rate",
        "percent",
        "up",
    )
    assert ctr.description == catalog.entry("ctr").definition
    assert ctr.types == catalog.entry("ctr").types
    assert ctr.definition == "sum(clicks) / sum(impressions)"
    assert spec.kpi("aov").catalog == "aov"  # an alias resolves to the entry's id
    assert cpm.definition == "1000 * ad_spend / ad_impressions"
    assert spec.kpi("csat_satisfied").definition == "count(csat) where csat >= 4"


def test_sample_spec_uses_the_catalog() -> None:
    spec = load_spec(DATA / "kpis.yml")
    used = {k.catalog for k in spec.kpis.values()} - {None}
    for eid in ("email_sends", "delivery_rate", "cpm", "acos", "brand_recall", "csat", "nps"):
        assert eid in used, eid
    assert spec.kpi("roas").definition == "sum(attributed_sales) / sum(spend)"
    assert lint_spec(DATA / "kpis.yml") == []


# ------------------------------------------------------ entries the sample data cannot feed


def test_column_mapping_overrides_and_entries_beyond_the_sample_data(
    write_spec, backend, native
) -> None:
    ads = pd.DataFrame(
        {
            "day": ["2026-01-03", "2026-01-20", "2026-02-02", "2026-02-09"],
            "link_clicks": [10, 30, 0, 5],
            "views": [1000, 1000, 500, 500],
            "visitor": ["a", "b", "a", "a"],
            "qty": [2, 3, 7, 1],
            "net": [5.0, -1.0, 4.0, 0.5],
            "sales": [100.0, 50.0, 40.0, 10.0],
            "engaged": [3, 1, 2, 2],
            "visits": [4, 6, 2, 3],
        }
    )
    spec = write_spec(
        {"ads": ads},
        """
        ctr: {use: ctr, source: ads, columns: {clicks: link_clicks, impressions: views},
              name: CTR, unit: ratio, direction: down, types: [leading]}
        big_ctr: {use: ctr, source: ads, columns: {clicks: link_clicks, impressions: views},
                  filter: link_clicks > 5}
        impressions: {use: impressions, source: ads, columns: {impressions: views}}
        reach: {use: reach, source: ads, columns: {user_id: visitor}}
        ad_frequency: {use: ad_frequency}
        units_sold: {use: units_sold, source: ads, columns: {quantity: qty}}
        net_profit: {use: net_profit, source: ads, columns: {net_income: net}}
        revenue: {use: revenue, source: ads, columns: {revenue: sales}}
        net_profit_margin: {use: net_profit_margin}
        engaged_sessions: {use: engaged_sessions, source: ads, columns: {engaged_sessions: engaged}}
        sessions: {use: sessions, source: ads, columns: {sessions: visits}}
        bounce_rate_ga4: {use: bounce_rate_ga4}
        promoters: {use: nps_promoters, source: ads, columns: {nps: qty}, filter: views > 600}
        """,
    )
    ctr = spec.kpi("ctr")
    assert (ctr.name, ctr.unit, ctr.direction, ctr.types) == ("CTR", "ratio", "down", ("leading",))
    assert spec.kpi("promoters").filter_text == "(qty >= 9) and (views > 600)"
    got = compute(spec, data={"ads": native(ads)}).set_index(["kpi", "period"])["value"]
    expected = {  # January, February, by hand
        "ctr": (40 / 2000, 5 / 1000),
        "big_ctr": (40 / 2000, np.nan),  # no row passes the filter in February: 0 / 0
        "impressions": (2000, 1000),
        "reach": (2, 1),
        "ad_frequency": (2000 / 2, 1000 / 1),
        "units_sold": (5, 8),
        "net_profit": (4.0, 4.5),
        "revenue": (150.0, 50.0),
        "net_profit_margin": (4 / 150, 4.5 / 50),
        "engaged_sessions": (4, 4),
        "sessions": (10, 5),
        "bounce_rate_ga4": (1 - 4 / 10, 1 - 4 / 5),
        "promoters": (0, 0),  # qty >= 9 nowhere
    }
    for kid, (jan, feb) in expected.items():
        assert np.allclose(
            [got[(kid, "2026-01")], got[(kid, "2026-02")]], [jan, feb], equal_nan=True
        ), kid


# ------------------------------------------------------------------------------ lint errors


def _problems(tmp_path: Path, kpis: str) -> list[str]:
    ads = pd.DataFrame({"day": ["2026-01-03"], "clicks": [1], "views": [10], "spend": [2.0]})
    ads.to_csv(tmp_path / "ads.csv", index=False)
    (tmp_path / "kpis.yml").write_text(
        "version: 1\nsources:\n  ads: {path: ads.csv, time: day}\nkpis:\n" + kpis
    )
    return [str(p) for p in lint_spec(tmp_path / "kpis.yml") if p.severity == "error"]


def test_lint_reports_every_catalog_mistake_with_its_line(tmp_path: Path) -> None:
    found = _problems(
        tmp_path,
        "  a: {use: ctrr, source: ads}\n"  # line 5
        "  b: {use: ctr, source: ads}\n"
        "  c:\n"
        "    use: ctr\n"
        "    source: ads\n"
        "    columns: {impressions: view, clics: clicks}\n"  # line 10
        "  d: {use: cpm}\n"
        "  e: {use: cpc, source: ads, measure: sum(spend)}\n"
        "  f: {use: cpm, source: ads, inputs: {ad_spend: e, impression: b}}\n"
        "  g: {name: G, source: ads, measure: sum(spend), unit: count, direction: up, "
        "inputs: {a: b}}\n"
        "  h: {use: ctr, source: ads, inputs: {clicks: a}}\n"  # line 15
        "  i: {use: [ctr], source: ads}\n",
    )
    expected = [
        r"kpis.yml:5: a: error: use: unknown catalog KPI 'ctrr' Hint: did you mean 'ctr'\?",
        r"kpis.yml:6: b: error: use: column 'impressions' not found in source 'ads' \(ads.csv\);"
        r" catalog KPI 'ctr' reads it as 'impressions' Hint: map it to your column with "
        r"columns: \{impressions: <column>\}",
        r"kpis.yml:10: c: error: columns.clics: the catalog entry uses no column 'clics' Hint: "
        r"did you mean 'clicks'\?",
        r"kpis.yml:10: c: error: columns.impressions: column 'view' not found in source 'ads' "
        r"\(ads.csv\); catalog KPI 'ctr' reads it as 'impressions' Hint: did you mean 'views'\?",
        r"kpis.yml:11: d: error: use: catalog KPI 'cpm' is computed from KPI 'ad_spend', which "
        r"the spec does not define Hint: add 'ad_spend: \{use: ad_spend, source: \.\.\.\}'",
        r"kpis.yml:11: d: error: use: catalog KPI 'cpm' is computed from KPI 'impressions'",
        r"kpis.yml:12: e: error: measure: 'measure' conflicts with 'use: cpc': the catalog entry "
        r"says how it is computed",
        r"kpis.yml:13: f: error: source: catalog KPI 'cpm' is a formula over other KPIs; it "
        r"takes no 'source'",
        r"kpis.yml:13: f: error: inputs.impression: the catalog entry uses no KPI 'impression' "
        r"Hint: did you mean 'impressions'\?",
        r"kpis.yml:13: f: error: use: catalog KPI 'cpm' is computed from KPI 'impressions'",
        r"kpis.yml:14: g: error: inputs: 'inputs' maps a catalog formula's KPIs",
        r"kpis.yml:15: h: error: inputs: catalog KPI 'ctr' is not a formula; it has no inputs",
        r"kpis.yml:16: i: error: use: unknown catalog KPI \['ctr'\]",
    ]
    for pattern in expected:
        assert any(__import__("re").search(pattern, line) for line in found), pattern
    assert len(found) == len(expected) + 1  # and the column h reads: 'impressions'


def test_load_spec_raises_for_catalog_mistakes(write_spec) -> None:
    with pytest.raises(SpecError, match=r"kpis.yml:\d+: x: error: use: unknown catalog KPI 'roaz'"):
        write_spec(
            {"ads": pd.DataFrame({"day": ["2026-01-01"], "spend": [1.0]})},
            "x: {use: roaz, source: ads}",
        )


# ------------------------------------------------------------------------------------- CLI


def test_cli_lists_filters_and_shows_one_entry(capsys) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "name", "unit", "direction", "stage"]
    assert f"{len(catalog.entries())} entries." in out
    assert main(["catalog", "--stage", "engagement", "--unit", "percent"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:-2]
    expected = [e for e in catalog.entries() if e.stage == "engagement" and e.unit == "percent"]
    assert [r.split()[0] for r in rows] == sorted(e.id for e in expected)
    assert main(["catalog", "ctr"]) == 0
    out = capsys.readouterr().out
    assert "how:      sum(clicks) / sum(impressions)" in out
    assert "variant:  Clicks as the platform counts them" in out
    assert out.endswith("ctr:\n  use: ctr\n  source: my_source\n"
                        "  # columns: {clicks: clicks, impressions: impressions}\n"
                        "  # objective, description, target, cadence, owner: as for any KPI\n")  # fmt: skip


def test_cli_catalog_mistakes_are_one_line_and_exit_2(capsys) -> None:
    assert main(["catalog", "zzzq"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpikit: error: no catalog KPI matches") and err.count("\n") == 1
    assert main(["catalog", "--unit", "pct"]) == 2
    assert "did you mean 'percent'?" in capsys.readouterr().err


def test_snippets_paste_into_a_working_spec(write_spec) -> None:
    table = pd.DataFrame(
        {"day": ["2026-01-01"], "clicks": [3], "impressions": [100], "spend": [2.0]}
    )
    kpis = "\n".join(catalog.entry(eid).snippet(source="ads") for eid in ("ctr", "cpm"))
    spec = write_spec({"ads": table}, kpis, "ads: {path: ads.csv, time: day}")
    got = compute(spec).set_index("kpi")["value"]
    assert got["ctr"] == pytest.approx(3 / 100) and got["cpm"] == pytest.approx(2 / 100 * 1000)


def test_catalog_command_stays_light() -> None:
    code = (
        "import sys\nfrom kpikit.cli import main\nmain(['catalog', 'nps'])\n"
        "print(sorted(m for m in ('pandas', 'narwhals', 'duckdb') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_docs_kpi_catalog_is_fresh() -> None:
    committed = (ROOT / "docs" / "kpi-catalog.md").read_text(encoding="utf-8")
    assert committed == catalog.markdown(), (
        "docs/kpi-catalog.md is stale: run `kpikit catalog --markdown > docs/kpi-catalog.md`"
    )


def test_the_spec_docs_catalog_example_works_on_the_sample_data(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "kpi-spec.md").read_text(encoding="utf-8")
    block = text.split("## Catalog", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "kpis.yml"
    path.write_text(
        "version: 1\nsources:\n"
        f"  campaigns: {{path: {DATA / 'campaigns.csv'}, time: date}}\n"
        "objectives:\n  make-advertising-pay: {title: Make advertising pay}\n" + block
    )
    spec = load_spec(path)
    got = compute(spec, kpis=["cost_per_mille"], start="2026-11", end="2026-11")
    ads = pd.read_csv(DATA / "campaigns.csv")
    november = ads[ads["date"].str.startswith("2026-11")]
    assert got["value"].iloc[0] == pytest.approx(
        november["spend"].sum() / november["impressions"].sum() * 1000
    )
    assert spec.kpi("click_through_rate").catalog == "ctr"
