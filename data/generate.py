r"""Seeded, deterministic synthetic business data for kpikit.

Writes seven CSV files covering 36 complete months, 2023-12-01 through
2026-11-30 (inclusive):

    campaigns.csv     daily ad metrics per channel and campaign
    web_sessions.csv  daily web sessions per traffic channel
    email.csv         one row per email campaign send
    orders.csv        one row per order (timestamped), with repeat customers
    reviews.csv       product reviews with star rating and short text
    survey.csv        customer survey answers (brand recall, NPS, CSAT)
    employees.csv     one row per employee (hire and termination dates)

The data carries planted structure (seasonality, a CTR step change, a price
change, a ratings fall that leads a churn rise, anomalous days, growth).
Every planted pattern, with its dates and sizes, is listed in README.md next
to this file; the dates are also the constants at the top of this module.

Determinism: every table draws from its own numpy ``default_rng`` seeded with
``[SEED, table number]``, floats are rounded to 2 decimals, rows are sorted,
and files are written with ``index=False`` and ``lineterminator="\n"``. So
running the script twice writes byte-for-byte identical files (for a given
numpy/pandas version), and changing one table's code does not shift another
table's random draws (except where a table is derived from another one:
web_sessions uses campaign clicks and email clicks).

Usage::

    python data/generate.py              # writes into the folder of this file
    python data/generate.py --out DIR    # writes into DIR (created if missing)

Only numpy, pandas and the standard library are used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20231201

# --------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------
START = pd.Timestamp("2023-12-01")
END = pd.Timestamp("2026-11-30")
# Orders are simulated from here so that the customer base is already warm
# (repeat customers exist) on the first day of the published window.
BURN_IN_START = pd.Timestamp("2022-01-01")

# --------------------------------------------------------------------------
# Planted patterns (documented in README.md)
# --------------------------------------------------------------------------
ANNUAL_GROWTH = 0.12  # volume trend, per year, for acquisition, sessions, spend
SOCIAL_CREATIVE_CHANGE = pd.Timestamp("2025-06-01")  # social CTR x1.56
SOCIAL_CTR_LIFT = 1.56
PRICE_CHANGE = pd.Timestamp("2025-03-01")  # list prices +8 %
PRICE_INCREASE = 1.08
PRICE_DEMAND_EFFECT = 0.93  # new-customer acquisition after the price change
PRICE_REPEAT_EFFECT = 0.98  # repeat probability multiplier after the change
RATINGS_FALL = (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-05-01"))  # ramp
CHURN_RISE = (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01"))  # ramp
REPEAT_PROB_AFTER = 0.80  # repeat probability multiplier once churn has risen
REFUND_RATE_BEFORE, REFUND_RATE_AFTER = 0.05, 0.08  # ramps with RATINGS_FALL
VIDEO_FLIGHT = (pd.Timestamp("2024-09-01"), pd.Timestamp("2024-10-31"))
VIDEO_FLIGHT_SPEND = 2.5
VIDEO_PAUSE = (pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-19"))
SUPPORT_ATTRITION = (pd.Timestamp("2026-04-01"), pd.Timestamp("2026-07-31"))

# Anomalous days
SPEND_DOUBLE_COUNTED = pd.Timestamp("2024-10-08")  # campaigns: spend x2
TRACKING_OUTAGE = pd.Timestamp("2025-08-14")  # web_sessions: ~10 % of normal
TRACKING_OUTAGE_KEEP = 0.10
CHECKOUT_OUTAGE = pd.Timestamp("2025-09-17")  # orders: ~20 % of normal
CHECKOUT_OUTAGE_KEEP = 0.20
BOT_SPIKE = pd.Timestamp("2026-02-10")  # web_sessions: +30,000 direct bots
BOT_SESSIONS = 30_000
EMAIL_DELIVERABILITY = pd.Timestamp("2025-05-13")  # newsletter 81 % delivered

# Ad platform attribution: conversions keep arriving for 7 days after a
# click, and the export was taken on 2026-12-01, so the last 7 days are
# immature. Share of the eventual conversions reported, last 7 days:
ATTRIBUTION_COMPLETENESS = [0.97, 0.94, 0.90, 0.85, 0.78, 0.70, 0.60]

# --------------------------------------------------------------------------
# Seasonality shapes
# --------------------------------------------------------------------------
# Month multipliers (Jan..Dec) at mid-month, linearly interpolated by day.
MONTH_FACTORS = np.array([0.86, 0.84, 0.93, 0.94, 0.97, 0.93, 0.90, 0.93, 0.97, 1.03, 1.28, 1.38])
# Day-of-week multipliers, Monday..Sunday.
WEEKDAY_ORDERS = np.array([1.03, 1.02, 1.00, 0.99, 0.97, 0.95, 1.04])
WEEKDAY_SESSIONS = np.array([1.06, 1.05, 1.03, 1.00, 0.95, 0.90, 0.98])
WEEKDAY_SPEND = np.array([1.02, 1.02, 1.01, 1.00, 0.99, 0.97, 0.99])

TABLE_STREAMS = {
    "campaigns": 1,
    "web_sessions": 2,
    "email": 3,
    "orders": 4,
    "reviews": 5,
    "survey": 6,
    "employees": 7,
}


def table_rng(name: str) -> np.random.Generator:
    """Independent random stream for one table."""
    return np.random.default_rng([SEED, TABLE_STREAMS[name]])


# --------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------
def window_days() -> pd.DatetimeIndex:
    """Every day of the published window, START through END inclusive."""
    return pd.date_range(START, END, freq="D")


def black_friday(year: int) -> pd.Timestamp:
    """Day after the fourth Thursday of November."""
    nov1 = pd.Timestamp(year=year, month=11, day=1)
    first_thu = nov1 + pd.Timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thu + pd.Timedelta(days=22)


def ramp(days: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """0 before start, 1 from end on, linear in between."""
    span = (end - start).days
    return np.clip((days - start).days.to_numpy() / span, 0.0, 1.0)


def between(days: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """True on days from start to end, both included."""
    return np.asarray((days >= start) & (days <= end))


def trend(days: pd.DatetimeIndex) -> np.ndarray:
    """Compound growth of ANNUAL_GROWTH per year, 1.0 on START."""
    years = (days - START).days.to_numpy() / 365.25
    return (1.0 + ANNUAL_GROWTH) ** years


def month_season(days: pd.DatetimeIndex) -> np.ndarray:
    """Smooth yearly shape from MONTH_FACTORS (periodic interpolation)."""
    pos = days.month.to_numpy() - 1 + (days.day.to_numpy() - 0.5) / days.days_in_month.to_numpy()
    xp = np.concatenate([[-0.5], np.arange(12) + 0.5, [12.5]])
    fp = np.concatenate([[MONTH_FACTORS[-1]], MONTH_FACTORS, [MONTH_FACTORS[0]]])
    return np.interp(pos, xp, fp)


def holiday_events(days: pd.DatetimeIndex, strength: float = 1.0) -> np.ndarray:
    """Day multipliers for Thanksgiving week, Black Friday weekend, Cyber Monday and Christmas.

    ``strength`` scales the deviation from 1.
    """
    factor = np.ones(len(days))
    offsets = {-4: 1.10, -3: 1.10, -2: 1.12, -1: 0.90, 0: 2.60, 1: 1.60, 2: 1.40, 3: 2.00}
    for year in sorted(set(days.year)):
        bf = black_friday(year)
        for off, mult in offsets.items():
            factor[days == bf + pd.Timedelta(days=off)] *= mult
        for day, mult in {24: 0.75, 25: 0.50}.items():
            factor[days == pd.Timestamp(year=year, month=12, day=day)] *= mult
        late_dec = (days.year == year) & (days.month == 12) & (days.day >= 26)
        factor[late_dec] *= 0.85
    return 1.0 + strength * (factor - 1.0)


def demand_shape(
    days: pd.DatetimeIndex,
    weekday: np.ndarray,
    season_strength: float = 1.0,
    event_strength: float = 1.0,
) -> np.ndarray:
    """Seasonality x events x weekday, without trend."""
    season = 1.0 + season_strength * (month_season(days) - 1.0)
    return season * holiday_events(days, event_strength) * weekday[days.day_of_week.to_numpy()]


def fmt_day(days) -> np.ndarray:
    """Dates as ``YYYY-MM-DD`` strings."""
    return pd.DatetimeIndex(days).strftime("%Y-%m-%d").to_numpy()


def bool_text(values: np.ndarray) -> np.ndarray:
    """Booleans as the CSV text ``"true"`` / ``"false"``."""
    return np.where(values, "true", "false")


# --------------------------------------------------------------------------
# campaigns.csv
# --------------------------------------------------------------------------
# channel, campaign, base daily spend, CPM, CTR, CVR, video start rate
# (starts / impressions), video completion rate (completions / starts)
CAMPAIGNS = [
    ("search", "search_brand", 420, 55.0, 0.070, 0.039, 0.0, 0.0),
    ("search", "search_generic", 650, 38.0, 0.030, 0.018, 0.0, 0.0),
    ("search", "search_shopping", 380, 14.0, 0.012, 0.021, 0.0, 0.0),
    ("social", "social_prospecting", 420, 7.5, 0.0080, 0.0096, 0.22, 0.18),
    ("social", "social_retargeting", 180, 11.0, 0.0115, 0.018, 0.15, 0.22),
    ("display", "display_prospecting", 220, 2.8, 0.0022, 0.0048, 0.03, 0.35),
    ("display", "display_retargeting", 130, 4.5, 0.0045, 0.0132, 0.03, 0.35),
    ("video", "video_awareness", 200, 14.0, 0.0025, 0.003, 0.72, 0.58),
    ("video", "video_consideration", 150, 18.0, 0.0060, 0.0072, 0.68, 0.48),
]
ATTRIBUTED_BASKET = 220.0  # mean attributed sale per conversion before +8 %


def gen_campaigns() -> pd.DataFrame:
    """campaigns.csv: daily ad metrics per channel and campaign."""
    rng = table_rng("campaigns")
    days = window_days()
    n = len(days)
    spend_shape = trend(days) * demand_shape(days, WEEKDAY_SPEND, 1.2, 0.8)
    cpm_season = 1.0 + 0.6 * (month_season(days) - 1.0)  # Q4 auctions pricier
    conv_season = 1.0 + 0.5 * (month_season(days) - 1.0)
    price = np.where(days >= PRICE_CHANGE, PRICE_INCREASE, 1.0)
    completeness = np.ones(n)
    completeness[-len(ATTRIBUTION_COMPLETENESS) :] = ATTRIBUTION_COMPLETENESS

    frames = []
    for channel, campaign, spend0, cpm0, ctr0, cvr0, vsr, vcr in CAMPAIGNS:
        spend = spend0 * spend_shape * rng.lognormal(0.0, 0.08, n)
        if campaign == "video_awareness":
            spend *= np.where(between(days, *VIDEO_FLIGHT), VIDEO_FLIGHT_SPEND, 1.0)
        if campaign == "video_consideration":
            spend *= np.where(between(days, *VIDEO_PAUSE), 0.0, 1.0)
        spend = np.round(spend, 2)
        cpm = cpm0 * cpm_season * rng.lognormal(0.0, 0.06, n)
        impressions = np.round(spend / cpm * 1000.0).astype(np.int64)
        ctr = ctr0 * rng.lognormal(0.0, 0.07, n)
        if channel == "social":
            ctr *= np.where(days >= SOCIAL_CREATIVE_CHANGE, SOCIAL_CTR_LIFT, 1.0)
        clicks = rng.binomial(impressions, np.minimum(ctr, 1.0))
        cvr = np.minimum(cvr0 * conv_season * rng.lognormal(0.0, 0.08, n), 1.0)
        conversions = rng.binomial(rng.binomial(clicks, cvr), completeness)
        basket_noise = rng.lognormal(0.0, 0.35 / np.sqrt(np.maximum(conversions, 1)))
        attributed = np.round(conversions * ATTRIBUTED_BASKET * price * basket_noise, 2)
        starts = rng.binomial(impressions, vsr)
        completions = rng.binomial(starts, vcr)
        frames.append(
            pd.DataFrame(
                {
                    "date": fmt_day(days),
                    "channel": channel,
                    "campaign": campaign,
                    "impressions": impressions,
                    "clicks": clicks,
                    "spend": spend,
                    "conversions": conversions,
                    "attributed_sales": attributed,
                    "video_starts": starts,
                    "video_completions": completions,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    # Anomaly: the day's spend was loaded twice and summed.
    dup = df["date"] == SPEND_DOUBLE_COUNTED.strftime("%Y-%m-%d")
    df.loc[dup, "spend"] = np.round(df.loc[dup, "spend"] * 2.0, 2)
    return df.sort_values(["date", "channel", "campaign"], ignore_index=True)


# --------------------------------------------------------------------------
# email.csv
# --------------------------------------------------------------------------
# campaign: (share of list sent, open rate of delivered, click-to-open rate)
EMAIL_TYPES = {
    "weekly_newsletter": (1.00, 0.24, 0.11),
    "promo": (0.55, 0.20, 0.16),
    "winback": (0.12, 0.14, 0.09),
    "holiday_sale": (1.00, 0.28, 0.20),
    "product_launch": (0.80, 0.30, 0.18),
}
PRODUCT_LAUNCH_DAYS = [
    "2024-03-19",
    "2024-09-10",
    "2025-04-08",
    "2025-09-16",
    "2026-04-14",
    "2026-09-15",
]
EMAIL_LIST_START = 42_000


def email_schedule(
    days: pd.DatetimeIndex, rng: np.random.Generator
) -> list[tuple[pd.Timestamp, str]]:
    """The (day, email campaign) sends over ``days``, in day order."""
    sends = []
    launch = set(pd.to_datetime(PRODUCT_LAUNCH_DAYS))
    holiday_extra = set()
    for year in sorted(set(days.year)):
        bf = black_friday(year)
        holiday_extra |= {bf, bf + pd.Timedelta(days=3)}
    for day in days:
        wd = day.day_of_week
        if wd == 1:
            sends.append((day, "weekly_newsletter"))
        if wd == 3 and rng.random() < 0.6:
            sends.append((day, "promo"))
        if wd == 2 and day.day <= 7:
            sends.append((day, "winback"))
        in_holiday = (day.month == 11 and day.day >= 15) or (day.month == 12 and day.day <= 20)
        if day in holiday_extra or (in_holiday and wd == 5):
            sends.append((day, "holiday_sale"))
        if day in launch:
            sends.append((day, "product_launch"))
    return sends


def gen_email() -> pd.DataFrame:
    """email.csv: one row per email campaign send (sends, delivered, opens, clicks)."""
    rng = table_rng("email")
    days = window_days()
    schedule = email_schedule(days, rng)
    send_days = pd.DatetimeIndex([d for d, _ in schedule])
    campaigns = [c for _, c in schedule]
    list_size = EMAIL_LIST_START * trend(send_days)
    share = np.array([EMAIL_TYPES[c][0] for c in campaigns])
    open_rate = np.array([EMAIL_TYPES[c][1] for c in campaigns])
    ctor = np.array([EMAIL_TYPES[c][2] for c in campaigns])
    k = len(campaigns)
    sends = np.round(list_size * share * rng.uniform(0.97, 1.0, k)).astype(np.int64)
    delivery = rng.uniform(0.965, 0.985, k)
    bad = (send_days == EMAIL_DELIVERABILITY) & (np.array(campaigns) == "weekly_newsletter")
    delivery[bad] = 0.81
    delivered = rng.binomial(sends, delivery)
    opens = rng.binomial(delivered, np.minimum(open_rate * rng.lognormal(0, 0.06, k), 1.0))
    clicks = rng.binomial(opens, np.minimum(ctor * rng.lognormal(0, 0.08, k), 1.0))
    df = pd.DataFrame(
        {
            "date": fmt_day(send_days),
            "campaign": campaigns,
            "sends": sends,
            "delivered": delivered,
            "opens": opens,
            "clicks": clicks,
        }
    )
    return df.sort_values(["date", "campaign"], ignore_index=True)


# --------------------------------------------------------------------------
# web_sessions.csv
# --------------------------------------------------------------------------
# channel: (base sessions per day, bounce rate, extra pages per engaged
# session beyond 2, social shares per session)
WEB_CHANNELS = {
    "organic": (1400, 0.42, 2.6, 0.003),
    "paid_search": (0, 0.48, 2.2, 0.002),
    "social": (250, 0.58, 1.6, 0.012),
    "email": (120, 0.35, 2.8, 0.004),
    "direct": (800, 0.38, 3.0, 0.002),
    "referral": (240, 0.45, 2.4, 0.003),
}


def gen_web_sessions(campaigns: pd.DataFrame, email: pd.DataFrame) -> pd.DataFrame:
    """web_sessions.csv: daily sessions per traffic channel, fed by ad and email clicks."""
    rng = table_rng("web_sessions")
    days = window_days()
    n = len(days)
    day_str = fmt_day(days)
    shape = trend(days) * demand_shape(days, WEEKDAY_SESSIONS, 0.8, 0.7)
    ad_clicks = campaigns.groupby(["date", "channel"])["clicks"].sum().unstack(fill_value=0)
    ad_clicks = ad_clicks.reindex(day_str, fill_value=0)
    email_clicks = email.groupby("date")["clicks"].sum().reindex(day_str, fill_value=0).to_numpy()
    email_carry = np.concatenate([[0], email_clicks[:-1]])

    frames = []
    for channel, (base, bounce_rate, extra_pages, share_rate) in WEB_CHANNELS.items():
        sessions = rng.poisson(base * shape * rng.lognormal(0.0, 0.05, n))
        if channel == "paid_search":
            sessions = sessions + rng.binomial(ad_clicks["search"].to_numpy(), 0.93)
        elif channel == "social":
            sessions = sessions + rng.binomial(ad_clicks["social"].to_numpy(), 0.88)
        elif channel == "email":
            sessions = sessions + rng.binomial(email_clicks, 0.92) + rng.binomial(email_carry, 0.25)
        sessions = np.where(
            days == TRACKING_OUTAGE, rng.binomial(sessions, TRACKING_OUTAGE_KEEP), sessions
        )
        bot = np.zeros(n, dtype=np.int64)
        if channel == "direct":  # anomaly: one day of bot traffic
            bot[days == BOT_SPIKE] = BOT_SESSIONS + rng.integers(-500, 500)
        bounces = rng.binomial(sessions, bounce_rate) + rng.binomial(bot, 0.97)
        engaged = sessions + bot - bounces
        page_views = bounces + 2 * engaged + rng.poisson(engaged * extra_pages)
        shares = rng.poisson(sessions * share_rate)
        frames.append(
            pd.DataFrame(
                {
                    "date": day_str,
                    "channel": channel,
                    "sessions": sessions + bot,
                    "bounces": bounces,
                    "page_views": page_views,
                    "social_shares": shares,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["date", "channel"], ignore_index=True)


# --------------------------------------------------------------------------
# orders.csv
# --------------------------------------------------------------------------
BASE_NEW_CUSTOMERS = 42.5  # first purchases per day on START at seasonal 1.0
REPEAT_BETA = (6.2, 3.8)  # per-customer repeat probability, mean 0.62
RATE_GAMMA = (3.0, 1.0 / 120.0)  # per-customer purchase rate (1/day), mean 1/40
MIN_GAP_DAYS = 1.0
BASKET_MEDIAN = 210.0  # median of a customer's mean basket before +8 %
BASKET_SIGMA = 0.35  # spread of customer mean baskets (lognormal)
BASKET_SHAPE = 5.0  # order value = customer mean x Gamma(shape, 1/shape)
COGS_RATIO = (0.56, 0.03)  # cost / pre-increase order value
ORDER_CHANNELS = ["organic", "paid_search", "social", "email", "direct", "referral"]
FIRST_ORDER_MIX = [0.32, 0.26, 0.16, 0.04, 0.12, 0.10]
REPEAT_ORDER_MIX = [0.22, 0.12, 0.08, 0.28, 0.25, 0.05]
REGIONS = ["north", "south", "east", "west"]
REGION_MIX = [0.28, 0.25, 0.24, 0.23]
REGION_MISSING = 0.03
HOUR_WEIGHTS = np.array(
    [
        0.8,
        0.5,
        0.3,
        0.2,
        0.2,
        0.4,
        0.9,
        1.8,
        2.8,
        3.6,
        4.2,
        4.8,
        5.4,
        5.2,
        4.8,
        4.6,
        4.7,
        5.0,
        5.6,
        6.4,
        6.8,
        6.0,
        4.2,
        2.2,
    ]
)


def simulate_purchases(
    rng: np.random.Generator, days: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer purchase histories over ``days``.

    New customers arrive as a Poisson process (trend x seasonality). After
    every purchase a customer buys again with probability p_i (times the
    price and churn multipliers in force on that purchase day); the wait is
    exponential with the customer's own rate, measured on a seasonal clock so
    repeat purchases also bunch in the holidays.

    Returns (customer index, day index, is_first_order) per purchase.
    """
    n_days = len(days)
    shape = demand_shape(days, WEEKDAY_ORDERS)
    after_price = np.asarray(days >= PRICE_CHANGE)
    new_rate = BASE_NEW_CUSTOMERS * trend(days) * shape
    new_rate *= np.where(after_price, PRICE_DEMAND_EFFECT, 1.0)
    repeat_mult = np.where(after_price, PRICE_REPEAT_EFFECT, 1.0)
    repeat_mult = repeat_mult * (1.0 - (1.0 - REPEAT_PROB_AFTER) * ramp(days, *CHURN_RISE))
    clock = np.cumsum(shape / shape.mean())

    first_day = np.repeat(np.arange(n_days), rng.poisson(new_rate))
    n_customers = len(first_day)
    p_repeat = rng.beta(*REPEAT_BETA, n_customers)
    buy_rate = rng.gamma(RATE_GAMMA[0], RATE_GAMMA[1], n_customers)

    cust, day = np.arange(n_customers), first_day
    all_cust, all_day = [cust], [day]
    while len(cust):
        again = rng.random(len(cust)) < p_repeat[cust] * repeat_mult[day]
        cust, day = cust[again], day[again]
        wait = rng.exponential(1.0, len(cust)) / buy_rate[cust] + MIN_GAP_DAYS
        day = np.searchsorted(clock, clock[day] + wait)
        inside = day < n_days
        cust, day = cust[inside], day[inside]
        all_cust.append(cust)
        all_day.append(day)
    cust = np.concatenate(all_cust)
    day = np.concatenate(all_day)
    first = np.zeros(len(cust), dtype=bool)
    first[:n_customers] = True
    return cust, day, first


def gen_orders() -> pd.DataFrame:
    """orders.csv: one row per order in the window (timestamped), with repeat customers."""
    rng = table_rng("orders")
    days = pd.date_range(BURN_IN_START, END, freq="D")
    cust, day, first = simulate_purchases(rng, days)
    n_customers = int(cust.max()) + 1

    # Anomaly: checkout outage, most of that day's orders never happened.
    outage = np.asarray(days[day] == CHECKOUT_OUTAGE)
    keep = ~outage | (rng.random(len(day)) < CHECKOUT_OUTAGE_KEEP)
    # Customer-level traits, drawn for every customer (fixed draw order).
    basket_mean = BASKET_MEDIAN * rng.lognormal(0.0, BASKET_SIGMA, n_customers)
    home_region = rng.choice(len(REGIONS), n_customers, p=REGION_MIX)

    n = len(cust)
    seconds = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) * 3600 + rng.integers(
        0, 3600, n
    )
    base_value = basket_mean[cust] * rng.gamma(BASKET_SHAPE, 1.0 / BASKET_SHAPE, n)
    cogs = np.clip(rng.normal(*COGS_RATIO, n), 0.4, 0.7)
    first_channel = rng.choice(len(ORDER_CHANNELS), n, p=FIRST_ORDER_MIX)
    repeat_channel = rng.choice(len(ORDER_CHANNELS), n, p=REPEAT_ORDER_MIX)
    region_missing = rng.random(n) < REGION_MISSING
    refund_draw = rng.random(n)

    in_window = keep & (day >= days.get_loc(START))
    cust, day, first = cust[in_window], day[in_window], first[in_window]
    seconds, base_value, cogs = seconds[in_window], base_value[in_window], cogs[in_window]
    first_channel, repeat_channel = first_channel[in_window], repeat_channel[in_window]
    region_missing, refund_draw = region_missing[in_window], refund_draw[in_window]

    order_day = days[day]
    price = np.where(order_day >= PRICE_CHANGE, PRICE_INCREASE, 1.0)
    refund_rate = REFUND_RATE_BEFORE + (REFUND_RATE_AFTER - REFUND_RATE_BEFORE) * ramp(
        order_day, *RATINGS_FALL
    )
    region = np.array(REGIONS, dtype=object)[home_region[cust]]
    region[region_missing] = None

    # Customer ids: customers seen in the window, numbered by first purchase
    # ever (pre-window history included), so ids follow tenure.
    seen = np.unique(cust)
    cust_number = np.searchsorted(seen, cust) + 1
    timestamps = order_day + pd.to_timedelta(seconds, unit="s")
    df = pd.DataFrame(
        {
            "ts": timestamps,
            "cust_number": cust_number,
            "customer_id": [f"C{i:06d}" for i in cust_number],
            "channel": np.array(ORDER_CHANNELS)[np.where(first, first_channel, repeat_channel)],
            "region": region,
            "revenue": np.round(base_value * price, 2),
            "cost": np.round(base_value * cogs, 2),
            "refunded": bool_text(refund_draw < refund_rate),
        }
    )
    df = df.sort_values(["ts", "cust_number"], ignore_index=True)
    df.insert(0, "order_id", [f"O{i:06d}" for i in range(1, len(df) + 1)])
    df.insert(2, "order_date", df["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    return df[
        [
            "order_id",
            "customer_id",
            "order_date",
            "channel",
            "region",
            "revenue",
            "cost",
            "refunded",
        ]
    ]


# --------------------------------------------------------------------------
# reviews.csv
# --------------------------------------------------------------------------
PRODUCTS = {  # product: (share of reviews, extra weight on the "bad" mix)
    "Aurora Lamp": (0.16, 0.00),
    "Nimbus Kettle": (0.15, 0.00),
    "Terra Mug": (0.14, -0.05),
    "Zephyr Fan": (0.12, 0.35),
    "Lumen Bulb Pack": (0.12, 0.00),
    "Orbit Speaker": (0.11, 0.05),
    "Drift Pillow": (0.11, 0.00),
    "Cedar Tray": (0.09, -0.05),
}
RATING_PROBS_GOOD = np.array([0.03, 0.03, 0.07, 0.29, 0.58])  # mean 4.36
RATING_PROBS_BAD = np.array([0.13, 0.11, 0.15, 0.28, 0.33])  # mean 3.57
REVIEWS_PER_DAY = 5.0
REVIEW_TEMPLATES = {
    5: [
        "Absolutely love the {p}, works perfectly.",
        'Best purchase this year, the {p} is "just right".',
        "Great quality, fast shipping, would buy again.",
        "Five stars, no complaints at all.",
        "My second {p}, still impressed.",
        'Exactly as described, my partner calls it "the good one".',
    ],
    4: [
        "Very good {p}, though the box was a bit battered.",
        "Does the job well, minor scratches, otherwise great.",
        'Solid, "good value" for the price.',
        "Happy with it, setup took a few minutes longer than expected.",
        "Nice {p}, I'd give five if the cable were longer.",
    ],
    3: [
        "It's okay, nothing special.",
        "Average {p}, some parts feel cheap.",
        'Works, but the instructions were "confusing" at best.',
        "Fine for the price, not more.",
        "Mixed feelings, looks nice, feels flimsy.",
    ],
    2: [
        "Disappointed, the {p} stopped working after a week.",
        'Not as described, "premium" it is not.',
        "Meh, the {p} is noisy, and the finish is uneven.",
        "Expected better, returned it.",
    ],
    1: [
        "Terrible, broke on day one.",
        "Never again, the {p} arrived broken, and support did not reply.",
        'Got the wrong item, "refund pending" for weeks.',
        "Waste of money, avoid.",
    ],
}
DELIVERY_TEMPLATES = [  # used for low ratings, much more often after the fall
    "Arrived two weeks late, box crushed.",
    "Delivery was a mess, the courier left it in the rain.",
    'Tracking said "delivered", it was not, took 3 more weeks.',
    "Late again, and the {p} was damaged in transit.",
    "New courier is awful, parcel was opened, parts missing.",
]
DELIVERY_SHARE = (0.15, 0.60)  # share of ratings <= 3 with delivery text


def review_text(rng: np.random.Generator, rating: int, product: str, delivery_share: float) -> str:
    """Text for a review of ``product``; ratings <= 3 may get a delivery complaint instead."""
    if rating <= 3 and rng.random() < delivery_share:
        pool = DELIVERY_TEMPLATES
    else:
        pool = REVIEW_TEMPLATES[rating]
    return pool[rng.integers(len(pool))].format(p=product)


def gen_reviews() -> pd.DataFrame:
    """reviews.csv: product reviews with star rating and short text."""
    rng = table_rng("reviews")
    days = window_days()
    volume = REVIEWS_PER_DAY * trend(days) * demand_shape(days, WEEKDAY_ORDERS, 1.0, 0.5)
    counts = rng.poisson(volume)
    review_day = days[np.repeat(np.arange(len(days)), counts)]
    n = len(review_day)
    names = list(PRODUCTS)
    shares = np.array([PRODUCTS[p][0] for p in names])
    product_idx = rng.choice(len(names), n, p=shares / shares.sum())
    fall = ramp(review_day, *RATINGS_FALL)
    bad_weight = np.clip(fall + np.array([PRODUCTS[p][1] for p in names])[product_idx], 0, 1)
    probs = (1 - bad_weight)[:, None] * RATING_PROBS_GOOD + bad_weight[:, None] * RATING_PROBS_BAD
    ratings = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1) + 1
    ratings = np.minimum(ratings, 5)
    delivery_share = DELIVERY_SHARE[0] + (DELIVERY_SHARE[1] - DELIVERY_SHARE[0]) * fall
    texts = [
        review_text(rng, int(r), names[p], s)
        for r, p, s in zip(ratings, product_idx, delivery_share, strict=True)
    ]
    df = pd.DataFrame(
        {
            "date": fmt_day(review_day),
            "product": np.array(names)[product_idx],
            "rating": ratings.astype(np.int64),
            "text": texts,
        }
    )
    return df.sort_values(["date", "product", "rating", "text"], ignore_index=True)


# --------------------------------------------------------------------------
# survey.csv
# --------------------------------------------------------------------------
SURVEY_PER_DAY = 7.0
RECALL_BASE, RECALL_FLIGHT = 0.30, 0.38
NPS_GROUPS_BEFORE = np.array([0.18, 0.30, 0.52])  # detractor, passive, promoter
NPS_GROUPS_AFTER = np.array([0.32, 0.30, 0.38])
NPS_WITHIN = {  # score probabilities within each group
    0: (np.arange(0, 7), np.array([0.04, 0.03, 0.06, 0.09, 0.14, 0.26, 0.38])),
    1: (np.array([7, 8]), np.array([0.45, 0.55])),
    2: (np.array([9, 10]), np.array([0.55, 0.45])),
}
CSAT_GIVEN_GROUP = np.array(
    [  # P(csat = 1..5 | NPS group)
        [0.16, 0.30, 0.34, 0.16, 0.04],
        [0.01, 0.04, 0.20, 0.55, 0.20],
        [0.00, 0.01, 0.04, 0.35, 0.60],
    ]
)


def gen_survey() -> pd.DataFrame:
    """survey.csv: customer survey answers (brand recall, NPS, CSAT), one row per respondent."""
    rng = table_rng("survey")
    days = window_days()
    counts = rng.poisson(np.full(len(days), SURVEY_PER_DAY))
    answer_day = days[np.repeat(np.arange(len(days)), counts)]
    n = len(answer_day)
    recall_p = np.where(between(answer_day, *VIDEO_FLIGHT), RECALL_FLIGHT, RECALL_BASE)
    recalled = rng.random(n) < recall_p
    fall = ramp(answer_day, *RATINGS_FALL)[:, None]
    group_p = (1 - fall) * NPS_GROUPS_BEFORE + fall * NPS_GROUPS_AFTER
    group = (rng.random(n)[:, None] > np.cumsum(group_p, axis=1)).sum(axis=1).clip(0, 2)
    nps = np.empty(n, dtype=np.int64)
    csat = np.empty(n, dtype=np.int64)
    for g, (scores, probs) in NPS_WITHIN.items():
        idx = np.flatnonzero(group == g)
        nps[idx] = rng.choice(scores, len(idx), p=probs)
        csat[idx] = rng.choice(np.arange(1, 6), len(idx), p=CSAT_GIVEN_GROUP[g])
    order = np.argsort(rng.random(n))  # respondent ids random within a day
    df = pd.DataFrame(
        {
            "date": fmt_day(answer_day),
            "order": order,
            "recalled_brand": bool_text(recalled),
            "nps": nps,
            "csat": csat,
        }
    ).sort_values(["date", "order"], ignore_index=True)
    df.insert(1, "respondent", [f"R{i:06d}" for i in range(1, len(df) + 1)])
    return df[["date", "respondent", "recalled_brand", "nps", "csat"]]


# --------------------------------------------------------------------------
# employees.csv
# --------------------------------------------------------------------------
DEPARTMENTS = {  # department: headcount on START
    "Engineering": 80,
    "Operations": 62,
    "Sales": 52,
    "Customer Support": 48,
    "Marketing": 30,
    "Finance": 16,
    "HR": 12,
}
HEADCOUNT_GROWTH = 0.06  # per year, all departments
MONTHLY_SEPARATION = 0.015
SUPPORT_SEPARATION = 0.08  # Customer Support, during SUPPORT_ATTRITION
FIRST_HIRE = pd.Timestamp("2012-01-01")


def gen_employees() -> pd.DataFrame:
    """employees.csv: one row per employee, with hire and (if left) termination date."""
    rng = table_rng("employees")
    months = pd.date_range(START, END, freq="MS")
    rows = []  # [department, hire_date, termination_date or NaT]
    span = (START - FIRST_HIRE).days
    for dept, size in DEPARTMENTS.items():
        # Tenure skewed to recent hires.
        ago = np.sort(np.ceil(span * rng.beta(1.0, 2.2, size))).astype(int)
        for a in ago:
            rows.append([dept, START - pd.Timedelta(days=int(a)), pd.NaT])
    for month in months:
        month_end = month + pd.offsets.MonthEnd(0)
        n_days = month.days_in_month
        for dept, size in DEPARTMENTS.items():
            active = [r for r in rows if r[0] == dept and pd.isna(r[2]) and r[1] < month]
            rate = MONTHLY_SEPARATION
            if dept == "Customer Support" and SUPPORT_ATTRITION[0] <= month <= SUPPORT_ATTRITION[1]:
                rate = SUPPORT_SEPARATION
            leavers = rng.binomial(len(active), rate)
            for i in rng.choice(len(active), leavers, replace=False):
                active[i][2] = month + pd.Timedelta(days=int(rng.integers(n_days)))
            years = (month_end - START).days / 365.25
            target = size * (1 + HEADCOUNT_GROWTH) ** years
            hires = max(0, int(round(target - (len(active) - leavers) + rng.normal(0, 0.7))))
            for _ in range(hires):
                rows.append([dept, month + pd.Timedelta(days=int(rng.integers(n_days))), pd.NaT])
    df = pd.DataFrame(rows, columns=["department", "hire", "term"])
    df = df.sort_values(["hire", "department"], kind="mergesort", ignore_index=True)
    df.insert(0, "employee_id", [f"E{i:05d}" for i in range(1, len(df) + 1)])
    df["hire_date"] = fmt_day(df["hire"])
    df["termination_date"] = df["term"].dt.strftime("%Y-%m-%d")
    return df[["employee_id", "department", "hire_date", "termination_date"]]


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
def write_csv(df: pd.DataFrame, path: Path) -> None:
    r"""Write ``df`` to ``path`` as deterministic CSV.

    No index, '\n' line ends, 2-decimal floats, missing values as empty fields.
    """
    df.to_csv(
        path, index=False, lineterminator="\n", float_format="%.2f", na_rep="", encoding="utf-8"
    )


def build_tables() -> dict[str, pd.DataFrame]:
    """Every table, keyed by CSV file name without ``.csv``, in the order they are written."""
    campaigns = gen_campaigns()
    email = gen_email()
    return {
        "campaigns": campaigns,
        "web_sessions": gen_web_sessions(campaigns, email),
        "email": email,
        "orders": gen_orders(),
        "reviews": gen_reviews(),
        "survey": gen_survey(),
        "employees": gen_employees(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options (``--out``, default: the folder of this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output folder (default: the folder of this script)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Write every table as CSV into ``--out`` and print its row count and size."""
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, df in build_tables().items():
        path = args.out / f"{name}.csv"
        write_csv(df, path)
        print(f"{path.name:18s} {len(df):8d} rows {path.stat().st_size / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
