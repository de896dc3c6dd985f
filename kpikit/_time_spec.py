"""The spec's time keys: the top-level ``calendar:`` and a source's ``timezone:``.

Read by :mod:`kpikit._load` through its checker, so every problem is reported with its line and
a hint, at once with the others. Kept apart from ``_load`` so the time keys live in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kpikit.spec import WEEK_STARTS, Calendar

if TYPE_CHECKING:
    from kpikit._load import _Checker

__all__ = ["CALENDAR_KEYS", "load_calendar", "load_timezone"]

CALENDAR_KEYS = ("fiscal_year_start", "week_start")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def load_calendar(c: _Checker, raw: Mapping[Any, Any]) -> Calendar:
    """The spec's calendar (the default one when the key is absent or has problems)."""
    from kpikit._load import _line, _show

    if raw.get("calendar") is None:
        return Calendar()
    block = c.mapping(raw["calendar"], _line(raw, "calendar") or 1, None, "calendar")
    if block is None:
        return Calendar()
    c.keys(block, CALENDAR_KEYS, None, "calendar")
    start, week = block.get("fiscal_year_start", 1), block.get("week_start", "monday")
    ok = True
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= 12:
        hint = "the month number the fiscal year starts in: 4 for April"
        if isinstance(start, str) and start.strip().capitalize()[:3] in [m[:3] for m in _MONTHS]:
            number = [m[:3] for m in _MONTHS].index(start.strip().capitalize()[:3]) + 1
            hint = f"write the month as a number: fiscal_year_start: {number}"
        c.add(
            _line(block, "fiscal_year_start"), None, "calendar.fiscal_year_start",
            f"expected a month number from 1 to 12, found {_show(start)}", hint=hint,
        )  # fmt: skip
        ok = False
    if week not in WEEK_STARTS:
        from kpikit.errors import did_you_mean

        c.add(
            _line(block, "week_start"), None, "calendar.week_start",
            f"expected monday or sunday, found {_show(week)}",
            hint=did_you_mean(str(week), WEEK_STARTS)
            or "monday gives ISO weeks (2026-W05), sunday Sunday-to-Saturday weeks (2026-SW05)",
        )  # fmt: skip
        ok = False
    return Calendar(start, week) if ok else Calendar()


@functools.cache
def _zones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def load_timezone(c: _Checker, body: Mapping[Any, Any], sid: str) -> str | None:
    """A source's ``timezone``: an IANA zone name such as ``Europe/Paris`` (None when absent)."""
    from kpikit._load import _line, _show

    if body.get("timezone") is None:
        return None
    zone = body["timezone"]
    if isinstance(zone, str) and zone.strip() in _zones():
        return zone.strip()
    from kpikit.errors import did_you_mean

    text = str(zone).strip() if isinstance(zone, str) else ""
    near = [z for z in _zones() if z.lower() == text.lower()]
    c.add(
        _line(body, "timezone"), None, f"sources.{sid}.timezone",
        f"unknown time zone {text!r}" if isinstance(zone, str)
        else f"expected a time zone name, found {_show(zone)}",
        hint=(f"did you mean '{near[0]}'?" if near else did_you_mean(text, sorted(_zones())))
        or "an IANA time zone name such as Europe/Paris, America/New_York or UTC",
    )  # fmt: skip
    return None
