"""Fairness: least-recently-offered ordering and hours reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.roster.fairness import hours_report, order_least_recently_offered, with_call_counts
from hotline.roster.rules import Rotation, RotationUnit
from hotline.roster.timeline import timeline

from .builders import crew, hm, local, override, rota, shift, volunteer

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_never_offered_first_then_oldest_offer_then_id() -> None:
    people = crew(5, 3, 9, 1, 7)
    last = {
        5: T0,
        9: T0 - timedelta(hours=2),
        1: None,
        7: T0 - timedelta(hours=2),  # ties with 9: lower id first
    }  # 3 is missing: never offered
    ordered = order_least_recently_offered(people, last)
    assert [person.id for person in ordered] == [1, 3, 7, 9, 5]


def test_ordering_compares_instants_not_wall_clocks() -> None:
    """An offer recorded in another zone is compared as an instant."""
    people = crew(1, 2)
    tokyo = datetime(2026, 6, 2, 5, tzinfo=ZoneInfo("Asia/Tokyo"))  # 20:00Z the day before
    last = {1: tokyo, 2: datetime(2026, 6, 1, 19, tzinfo=UTC)}  # 19:00Z is older than 20:00Z
    assert [p.id for p in order_least_recently_offered(people, last)] == [2, 1]


def test_hours_report_over_a_dst_week() -> None:
    """Hours come from the timeline: the fall-back night is an hour longer in real time."""
    zone = "America/New_York"
    chapter = rota(
        zone,
        volunteers=[*crew(1, 2, 3), volunteer(4, active=False)],
        shifts=[
            shift(1, "sat", "22:00", "06:00"),  # crosses 2026-11-01 fall back: 9 h
            shift(2, "sun", "09:00", "17:00", tier=2),
            shift(4, "sun", "09:00", "17:00"),  # inactive: never counted
            shift(3, "sun", "12:00", "13:00", tier=3),
        ],
        overrides=[
            override(
                1,
                "add",
                2,
                local(zone, "2026-11-01T12:00"),
                local(zone, "2026-11-01T14:00"),
                tier=1,
            )
        ],
    )
    start, end = local(zone, "2026-10-31T00:00"), local(zone, "2026-11-02T00:00")
    report = hours_report(chapter.volunteers, timeline(chapter, start, end), start, end)
    by_id = {line.volunteer.id: line for line in report.lines}
    assert by_id[1].primary == timedelta(hours=9)
    assert (by_id[2].primary, by_id[2].backup) == (timedelta(hours=2), timedelta(hours=6))
    assert by_id[3].fallback == timedelta(hours=1)
    assert by_id[4].on_call == timedelta(0)
    assert [line.volunteer.id for line in report.lines] == [1, 2, 3, 4]
    counted = with_call_counts(report, offered={1: 4, 2: 1}, taken={1: 3})
    assert [
        (line.volunteer.id, line.calls_offered, line.calls_taken) for line in counted.lines
    ] == [
        (1, 4, 3),
        (2, 1, 0),
        (3, 0, 0),
        (4, 0, 0),
    ]
    first = counted.line_for(1)
    assert first is not None and first.on_call == timedelta(hours=9)
    assert counted.line_for(99) is None


def test_hours_report_cuts_segments_to_its_range() -> None:
    """A rotation turn longer than the report counts only the part inside the range."""
    rotation = Rotation(
        members=(1, 2), anchor=date(2026, 6, 1), handoff=hm("09:00"), unit=RotationUnit.DAYS
    )
    chapter = rota("Europe/London", volunteers=crew(1, 2), rotations=[rotation])
    segments = timeline(
        chapter,
        local("Europe/London", "2026-06-01T00:00"),
        local("Europe/London", "2026-06-04T00:00"),
    )
    start, end = (
        local("Europe/London", "2026-06-01T12:00"),
        local("Europe/London", "2026-06-02T12:00"),
    )
    report = hours_report(chapter.volunteers, segments, start, end)
    assert [(line.volunteer.id, line.primary) for line in report.lines] == [
        (1, timedelta(hours=21)),
        (2, timedelta(hours=3)),
    ]
