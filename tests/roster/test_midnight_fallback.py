"""Zones whose clocks fall back across midnight: the wall date goes back to Saturday while a
shift that began on Sunday is still running, and must stay on call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.roster.rules import ChapterRota
from hotline.roster.timeline import find_gaps
from tests.roster.builders import crew, ids_on_call, rota, shift, utc

WEEKDAYS_AND_SAT = ["mon", "tue", "wed", "thu", "fri", "sat"]


def cover(zone: str) -> ChapterRota:
    return rota(
        zone,
        volunteers=crew(1, 2),
        shifts=[shift(1, WEEKDAYS_AND_SAT, "00:00", "00:00"), shift(2, "sun", "00:00", "00:00")],
    )


def test_a_change_at_one_past_midnight_repeats_sunday_0000_and_saturday_2301() -> None:
    # St John's until 2011 fell back at 00:01 NDT (02:31 UTC) to 23:01 NST on Saturday: Sunday
    # 00:00 first happened at 02:30 UTC, then the clock read Saturday 23:01 for an hour.
    chapter = cover("America/St_Johns")
    sunday_starts = utc("2000-10-29T02:30:00")
    assert ids_on_call(chapter, sunday_starts - timedelta(seconds=1)) == {1: [1]}
    for minutes in (0, 1, 2, 30, 61, 62, 120):
        at = sunday_starts + timedelta(minutes=minutes)
        assert ids_on_call(chapter, at) == {1: [2]}, minutes
    window = (sunday_starts - timedelta(days=2), sunday_starts + timedelta(days=2))
    assert find_gaps(chapter, *window) == ()


@pytest.mark.parametrize(
    ("zone", "sunday_starts"),
    [
        ("America/Santiago", "2026-04-05T04:00:00"),  # Sat 24:00 -03 is Sat 23:00 -04 again
        ("Asia/Beirut", "2026-10-24T22:00:00"),  # Sat 24:00 +03 is Sat 23:00 +02 again
    ],
)
def test_a_change_at_midnight_lengthens_saturday_with_no_gap(zone: str, sunday_starts: str) -> None:
    chapter = cover(zone)
    start = utc(sunday_starts)
    for minutes in (1, 30, 61, 90):
        assert ids_on_call(chapter, start - timedelta(minutes=minutes)) == {1: [1]}, minutes
    assert ids_on_call(chapter, start) == {1: [2]}
    assert find_gaps(chapter, start - timedelta(days=2), start + timedelta(days=2)) == ()
