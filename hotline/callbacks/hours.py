"""A chapter's call-back hours ("09:00-20:00", chapter time): pure time maths.

Calls and texts to a caller (call-backs, check-ins) happen only inside them. A window may run
past midnight ("18:00-02:00"); "00:00-00:00" means around the clock. Wall-clock times are
read in the chapter's zone, so the window stays put across daylight-saving changes.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.roster.localtime import to_instant

HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


class HoursError(ValueError):
    """Not a window like "09:00-20:00"."""


def parse_hours(text: str) -> tuple[time, time]:
    match = HOURS.fullmatch(text.strip())
    if match is None:
        raise HoursError(f"{text!r} is not a window like 09:00-20:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return time(h1, m1), time(h2, m2)


def _windows(at: datetime, hours: str, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The windows starting the day before `at`'s local date through two days after."""
    opens, closes = parse_hours(hours)
    local = at.astimezone(zone).date()
    found = []
    for offset in range(-1, 3):
        day = local + timedelta(days=offset)
        start = to_instant(datetime.combine(day, opens), zone)
        end_day = day + timedelta(days=1) if closes <= opens else day
        end = to_instant(datetime.combine(end_day, closes), zone)
        found.append((start, end))
    return found


def is_open(at: datetime, hours: str, zone_name: str) -> bool:
    """Whether `at` falls inside the call-back hours."""
    return any(start <= at < end for start, end in _windows(at, hours, ZoneInfo(zone_name)))


def next_open(at: datetime, hours: str, zone_name: str) -> datetime:
    """`at` if the hours are open then, else the moment they next open."""
    windows = _windows(at, hours, ZoneInfo(zone_name))
    for start, end in windows:
        if start <= at < end:
            return at
    return min(start for start, _ in windows if start > at)
