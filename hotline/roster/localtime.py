"""Wall-clock times in a chapter zone turned into UTC instants, with the rota's DST rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time shown in `zone` at the aware instant `at`."""
    return at.astimezone(zone).replace(tzinfo=None, fold=0)


def to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive wall time in `zone` stands for.

    A wall time repeated by a fall-back change means its first occurrence (fold=0); one skipped
    by a spring-forward change means the next instant that exists, i.e. the change itself.
    The map is non-decreasing in `wall`, so rules that touch on the wall clock touch in time.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall_clock(first, zone) == wall.replace(fold=0):
        return first
    # In a gap fold=1 uses the offset after the change, landing before it, and fold=0 the offset
    # before, landing after it; the change is the first whole second whose wall time is >= wall.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = math.floor(before.timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def as_utc(at: datetime, name: str = "instant") -> datetime:
    """`at` converted to UTC; naive datetimes are refused because their meaning is a guess."""
    if at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {at!r}")
    return at.astimezone(UTC)


EPSILON = timedelta(microseconds=1)
