"""rota.md cases 1-6 and 13: wall-clock rules across DST, odd offsets, far anchors, week edges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

import hotline.roster.spans as spans_module
from hotline.roster.localtime import to_instant
from hotline.roster.oncall import on_call
from hotline.roster.rules import Rotation, RotationUnit, Tier, Weekday, Window
from hotline.roster.timeline import Segment, find_gaps, timeline, volunteer_intervals

from .builders import crew, hm, ids_on_call, local, rota, shift, utc

NY = "America/New_York"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"


def boundaries(segments: Sequence[Segment]) -> list[datetime]:
    return [segment.start for segment in segments]


def test_case_1_shift_starting_in_skipped_hour_starts_when_clocks_jump() -> None:
    """Case 1: NY 2026-03-08 02:30 does not exist; the shift starts at 03:00 EDT (07:00Z)."""
    chapter = rota(NY, volunteers=crew(1), shifts=[shift(1, "sun", "02:30", "06:00")])
    assert ids_on_call(chapter, utc("2026-03-08T06:59:59")) == {}
    assert ids_on_call(chapter, utc("2026-03-08T07:00:00")) == {1: [1]}
    [segment] = [s for s in timeline(chapter, utc("2026-03-07"), utc("2026-03-09")) if s.waves]
    assert (segment.start, segment.end) == (utc("2026-03-08T07:00"), utc("2026-03-08T10:00"))


def test_case_1_london_shift_in_skipped_hour() -> None:
    """Case 1: London 2026-03-29 01:30 is skipped; the shift starts at 01:00Z (02:00 BST)."""
    chapter = rota(LONDON, volunteers=crew(1), shifts=[shift(1, "sun", "01:30", "03:00")])
    [segment] = [s for s in timeline(chapter, utc("2026-03-28"), utc("2026-03-30")) if s.waves]
    assert (segment.start, segment.end) == (utc("2026-03-29T01:00"), utc("2026-03-29T02:00"))


def test_case_1_handoff_in_skipped_hour_and_touching_shifts_leave_no_gap() -> None:
    """Case 1: a weekly handoff at 02:30 fires at 03:00 EDT; shifts meeting at 02:30 still meet."""
    rotation = Rotation(members=(1, 2), anchor=date(2026, 3, 1), handoff=hm("02:30"))
    chapter = rota(NY, volunteers=crew(1, 2), rotations=[rotation])
    assert ids_on_call(chapter, utc("2026-03-08T06:59:59")) == {1: [1]}
    assert ids_on_call(chapter, utc("2026-03-08T07:00:00")) == {1: [2]}

    touching = rota(
        NY,
        volunteers=crew(1, 2),
        shifts=[shift(1, "sat", "18:00", "02:30"), shift(2, "sun", "02:30", "12:00")],
    )
    window = (local(NY, "2026-03-07T18:00"), local(NY, "2026-03-08T12:00"))
    assert find_gaps(touching, *window) == ()
    assert [(s.start, s.end) for s in timeline(touching, *window)] == [
        (utc("2026-03-07T23:00"), utc("2026-03-08T07:00")),
        (utc("2026-03-08T07:00"), utc("2026-03-08T16:00")),
    ]


def test_case_2_handoff_in_repeated_hour_fires_once() -> None:
    """Case 2: NY 2026-11-01 01:30 happens twice; the daily handoff fires at the first only."""
    rotation = Rotation(
        members=(1, 2), anchor=date(2026, 10, 30), handoff=hm("01:30"), unit=RotationUnit.DAYS
    )
    chapter = rota(NY, volunteers=crew(1, 2), rotations=[rotation])
    segments = timeline(chapter, utc("2026-10-31T00:00"), utc("2026-11-02T12:00"))
    assert boundaries(segments) == [
        utc("2026-10-31T00:00"),
        utc("2026-10-31T05:30"),  # 01:30 EDT
        utc("2026-11-01T05:30"),  # 01:30 EDT, first occurrence
        utc("2026-11-02T06:30"),  # 01:30 EST
    ]
    assert ids_on_call(chapter, utc("2026-11-01T06:30")) == {1: [1]}  # second 01:30: no handoff
    assert segments[2].end - segments[2].start == timedelta(hours=25)


@pytest.mark.parametrize(
    ("day", "start_utc", "end_utc", "hours"),
    [
        ("2026-11-01", "2026-11-01T04:00", "2026-11-01T11:00", 7),  # fall back: one hour more
        ("2026-03-08", "2026-03-08T05:00", "2026-03-08T10:00", 5),  # spring forward: one less
    ],
)
def test_case_2_shift_spanning_change_is_longer_or_shorter(
    day: str, start_utc: str, end_utc: str, hours: int
) -> None:
    """Case 2: Sunday 00:00-06:00 across a change, between neighbours: no overlap, no hole."""
    chapter = rota(
        NY,
        volunteers=crew(1, 2, 3),
        shifts=[
            shift(1, "sat", "18:00", "00:00"),
            shift(2, "sun", "00:00", "06:00"),
            shift(3, "sun", "06:00", "12:00"),
        ],
    )
    segments = timeline(
        chapter, local(NY, f"{day}T00:00") - timedelta(hours=6), utc(end_utc) + timedelta(hours=6)
    )
    middle = [s for s in segments if s.waves and s.waves[0].volunteers[0].id == 2]
    assert [(s.start, s.end) for s in middle] == [(utc(start_utc), utc(end_utc))]
    assert middle[0].end - middle[0].start == timedelta(hours=hours)
    assert find_gaps(chapter, segments[0].start, segments[-1].end) == ()
    assert all(len(s.waves) == 1 and len(s.waves[0].volunteers) == 1 for s in segments)


def test_case_2_shift_starting_in_repeated_hour_uses_first_occurrence() -> None:
    """Case 2: Sunday 01:30-03:00 on the fall-back day runs from 01:30 EDT to 03:00 EST."""
    chapter = rota(NY, volunteers=crew(1), shifts=[shift(1, "sun", "01:30", "03:00")])
    [segment] = [s for s in timeline(chapter, utc("2026-11-01"), utc("2026-11-02")) if s.waves]
    assert (segment.start, segment.end) == (utc("2026-11-01T05:30"), utc("2026-11-01T08:00"))
    assert ids_on_call(chapter, local(NY, "2026-11-01T01:15", fold=1)) == {1: [1]}


def test_case_3_lord_howe_half_hour_changes() -> None:
    """Case 3: Lord Howe moves 30 minutes (+10:30 <-> +11:00) at 02:00 local."""
    chapter = rota(
        LORD_HOWE,
        volunteers=crew(1, 2),
        shifts=[shift(1, "sun", "00:00", "06:00"), shift(2, "sun", "02:10", "04:00", tier=2)],
    )
    spring = timeline(chapter, utc("2026-10-03T00:00"), utc("2026-10-04T00:00"))
    primary = [(s.start, s.end) for s in volunteer_intervals(spring) if s.tier is Tier.PRIMARY]
    backup = [(s.start, s.end) for s in volunteer_intervals(spring) if s.tier is Tier.BACKUP]
    assert primary == [(utc("2026-10-03T13:30"), utc("2026-10-03T19:00"))]  # 5.5 h
    assert backup == [(utc("2026-10-03T15:30"), utc("2026-10-03T17:00"))]  # starts at 02:30
    autumn = timeline(chapter, utc("2026-04-04T00:00"), utc("2026-04-05T00:00"))
    primary = [(s.start, s.end) for s in volunteer_intervals(autumn) if s.tier is Tier.PRIMARY]
    assert primary == [(utc("2026-04-04T13:00"), utc("2026-04-04T19:30"))]  # 6.5 h


def test_case_3_kolkata_half_hour_offset() -> None:
    """Case 3: Asia/Kolkata is +05:30 all year; 09:00-17:00 is 03:30Z-11:30Z."""
    chapter = rota("Asia/Kolkata", volunteers=crew(1), shifts=[shift(1, "mon", "09:00", "17:00")])
    assert ids_on_call(chapter, utc("2026-03-09T03:29:59")) == {}
    assert ids_on_call(chapter, utc("2026-03-09T03:30")) == {1: [1]}
    assert ids_on_call(chapter, utc("2026-03-09T11:29:59")) == {1: [1]}
    assert ids_on_call(chapter, utc("2026-03-09T11:30")) == {}


@pytest.mark.parametrize("zone", [NY, LONDON, "Pacific/Auckland"])
def test_case_4_weekly_handoff_keeps_local_time_across_dst(zone: str) -> None:
    """Case 4: 'one week each, handoff Monday 09:00' stays Monday 09:00 local all year."""
    rotation = Rotation(members=(1, 2, 3), anchor=date(2026, 1, 5), handoff=hm("09:00"))
    chapter = rota(zone, volunteers=crew(1, 2, 3), rotations=[rotation])
    segments = timeline(chapter, local(zone, "2026-01-05T09:00"), local(zone, "2027-01-04T09:00"))
    assert len(segments) == 52
    offsets = set()
    for number, segment in enumerate(segments):
        wall = segment.start.astimezone(chapter.tz)
        offsets.add(wall.utcoffset())
        assert (wall.weekday(), wall.hour, wall.minute) == (0, 9, 0)
        assert segment.waves[0].volunteers[0].id == (1, 2, 3)[number % 3]
    assert len(offsets) == 2  # the year did cross DST changes


@pytest.mark.parametrize("anchor", [date(1901, 1, 7), date(2400, 1, 3)])
def test_case_5_rotation_anchored_far_away_is_arithmetic(
    anchor: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case 5: anchors centuries away answer correctly in a handful of conversions."""
    assert anchor.weekday() == 0
    rotation = Rotation(members=(1, 2, 3, 4, 5), anchor=anchor, handoff=hm("09:00"))
    chapter = rota(NY, volunteers=crew(1, 2, 3, 4, 5), rotations=[rotation])
    # Same cycle anchored on a recent Monday that the far anchor's week count puts member k on.
    weeks = (date(2026, 3, 2) - anchor).days // 7
    near = Rotation(
        members=tuple((1, 2, 3, 4, 5)[(weeks + i) % 5] for i in range(5)),
        anchor=date(2026, 3, 2),
        handoff=hm("09:00"),
    )
    near_chapter = rota(NY, volunteers=crew(1, 2, 3, 4, 5), rotations=[near])
    calls = 0
    real = to_instant

    def counting(*args: object) -> datetime:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(spans_module, "to_instant", counting)
    for text in ("2026-03-02T08:59", "2026-03-02T09:00", "2026-03-12T12:00", "2026-07-20T09:30"):
        at = local(NY, text)
        calls = 0
        assert ids_on_call(chapter, at) == ids_on_call(near_chapter, at)
        assert 0 < calls <= 8
    assert ids_on_call(chapter, local(NY, "2026-03-09T09:00")) == {1: [near.members[1]]}


def test_case_5_daily_rotation_from_1950_keeps_wall_clock_handoff() -> None:
    """Case 5: seventy years of DST rule changes do not drift a daily 07:00 handoff."""
    rotation = Rotation(
        members=(1, 2), anchor=date(1950, 1, 1), handoff=hm("07:00"), unit=RotationUnit.DAYS
    )
    chapter = rota(LONDON, volunteers=crew(1, 2), rotations=[rotation])
    parity = (date(2026, 7, 1) - date(1950, 1, 1)).days % 2
    assert ids_on_call(chapter, local(LONDON, "2026-07-01T06:59")) == {1: [(2, 1)[parity]]}
    assert ids_on_call(chapter, local(LONDON, "2026-07-01T07:00")) == {1: [(1, 2)[parity]]}


def test_case_6_sunday_night_shift_runs_into_monday() -> None:
    """Case 6: a Sunday-only 22:00-02:00 shift covers Monday 00:00-02:00 at the week's edge."""
    chapter = rota(LONDON, volunteers=crew(1), shifts=[shift(1, "sun", "22:00", "02:00")])
    assert ids_on_call(chapter, local(LONDON, "2026-06-07T21:59")) == {}
    assert ids_on_call(chapter, local(LONDON, "2026-06-07T23:00")) == {1: [1]}
    assert ids_on_call(chapter, local(LONDON, "2026-06-08T01:59")) == {1: [1]}
    assert ids_on_call(chapter, local(LONDON, "2026-06-08T02:00")) == {}
    assert ids_on_call(chapter, local(LONDON, "2026-06-08T23:00")) == {}
    # A window opening on Monday still sees the part after midnight.
    monday = timeline(chapter, local(LONDON, "2026-06-08T00:00"), local(LONDON, "2026-06-09T00:00"))
    assert [(s.start, s.end) for s in monday if s.waves] == [
        (utc("2026-06-07T23:00"), utc("2026-06-08T01:00"))
    ]


def test_case_6_rotation_window_overnight_at_week_edge() -> None:
    """Case 6: a rotation's Sunday 18:00-02:00 window also keeps its after-midnight part."""
    rotation = Rotation(
        members=(1, 2),
        anchor=date(2026, 6, 1),
        handoff=hm("09:00"),
        window=Window(hm("18:00"), hm("02:00"), frozenset({Weekday.SUN})),
    )
    chapter = rota(NY, volunteers=crew(1, 2), rotations=[rotation])
    assert ids_on_call(chapter, local(NY, "2026-06-08T01:00")) == {1: [1]}
    assert ids_on_call(chapter, local(NY, "2026-06-08T03:00")) == {}
    assert ids_on_call(chapter, local(NY, "2026-06-15T01:00")) == {1: [2]}
    assert ids_on_call(chapter, local(NY, "2026-06-10T01:00")) == {}


def test_case_13_coordinator_volunteer_and_chapter_in_three_zones() -> None:
    """Case 13: chapter in Auckland, coordinator asks from New York, volunteer lives in London.

    Shift hours are Auckland wall time; the question's instant means the same whatever zone it
    is written in; answers and intervals come back in UTC for the volunteer's calendar.
    """
    chapter = rota(
        "Pacific/Auckland", volunteers=crew(1), shifts=[shift(1, "mon", "18:00", "22:00")]
    )
    asked = local(NY, "2026-07-06T03:00")  # Monday 19:00 in Auckland (NZST, +12)
    answer = on_call(chapter, asked)
    assert answer.at == utc("2026-07-06T07:00") and answer.at.utcoffset() == timedelta(0)
    assert [v.id for v in answer.volunteers] == [1]
    assert on_call(chapter, asked.astimezone(UTC)) == answer
    [interval] = volunteer_intervals(
        timeline(chapter, local(LONDON, "2026-07-05T00:00"), local(LONDON, "2026-07-07T00:00"))
    )
    assert (interval.start, interval.end) == (utc("2026-07-06T06:00"), utc("2026-07-06T10:00"))
    assert interval.start.astimezone(chapter.tz).hour == 18
