"""iCalendar feeds: RFC 5545 shape, parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.roster.ical import calendar_events, escape_text, fold_line, render_ical
from hotline.roster.rules import ChapterRota, Rotation, Tier
from hotline.roster.timeline import VolunteerInterval, timeline, volunteer_intervals

from .builders import crew, hm, local, override, rota, shift, volunteer

STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EIGHT_WEEKS = (
    local("America/New_York", "2026-02-16T00:00"),
    local("America/New_York", "2026-04-13T00:00"),
)


def boston() -> ChapterRota:
    weekly = Rotation(members=(1, 2, 3), anchor=date(2026, 1, 5), handoff=hm("09:00"))
    return rota(
        "America/New_York",
        volunteers=[volunteer(1, "Ann Example"), volunteer(2, "Bo, \"B\"; Smith"), *crew(3, 4)],
        shifts=[shift(4, ("fri", "sat", "sun"), "22:00", "02:00", tier=2)],
        rotations=[weekly],
        overrides=[
            override(1, "replace", 2, local("America/New_York", "2026-03-07T12:00"),
                     local("America/New_York", "2026-03-09T12:00"), replacement=4),
        ],
    )  # fmt: skip


def parsed_events(text: str) -> list[tuple[str, datetime, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(text)
    return [
        (
            str(event["UID"]),
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
            str(event["SUMMARY"]),
        )
        for event in calendar.walk("VEVENT")
    ]


def test_chapter_feed_parses_back_to_the_timeline_over_a_dst_change() -> None:
    """(d) Eight weeks spanning 2026-03-08: one event per volunteer interval, same instants."""
    chapter = boston()
    intervals = volunteer_intervals(timeline(chapter, *EIGHT_WEEKS))
    text = render_ical(
        calendar_events(chapter, intervals, personal=False),
        calendar_name="Boston Bereavement Line",
        dtstamp=STAMP,
    )
    events = parsed_events(text)
    names = {1: "Ann Example", 2: 'Bo, "B"; Smith', 3: "V3", 4: "V4"}
    expected = sorted(
        (
            i.start,
            i.end,
            f"{names[i.volunteer_id]} on call: Boston Bereavement Line ({i.tier.label})",
        )
        for i in intervals
    )
    assert sorted(event[1:] for event in events) == expected
    assert len({uid for uid, *_ in events}) == len(events) > 8
    assert {tier for *_, tier in (event[3].rpartition("(") for event in events)} == {
        "primary)",
        "backup)",
    }
    assert all(start.utcoffset() == timedelta(0) for _, start, _, _ in events)
    # The Monday 09:00 handoff is 14:00Z before the change and 13:00Z after it.
    handoffs = {
        start.hour
        for _, start, _, _ in events
        if start.astimezone(chapter.tz).strftime("%a %H:%M") == "Mon 09:00"
    }
    assert handoffs == {13, 14}


def test_personal_feed_is_stable_and_shaped_per_rfc_5545() -> None:
    """A volunteer's feed: CRLF, folded, VERSION/PRODID, escaped, same UIDs on every render."""
    chapter = boston()
    mine = [i for i in volunteer_intervals(timeline(chapter, *EIGHT_WEEKS)) if i.volunteer_id == 1]
    first = render_ical(
        calendar_events(chapter, mine, personal=True), calendar_name="Ann; on call", dtstamp=STAMP
    )
    again = render_ical(
        calendar_events(chapter, mine, personal=True), calendar_name="Ann; on call", dtstamp=STAMP
    )
    assert first == again
    assert first.endswith("END:VCALENDAR\r\n")
    assert "\n" not in first.replace("\r\n", "")
    lines = first.split("\r\n")
    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hotline//rota feed//EN"]
    assert "X-WR-CALNAME:Ann\\; on call" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert lines.count("DTSTAMP:20260301T120000Z") == len(mine) > 0
    assert {summary for *_, summary in parsed_events(first)} == {
        "On call: Boston Bereavement Line (primary)"
    }

    # Widening the rendered range, or an edit elsewhere, keeps the UIDs of unchanged intervals.
    wider = timeline(chapter, EIGHT_WEEKS[0], EIGHT_WEEKS[1] + timedelta(weeks=3))
    also_mine = [i for i in volunteer_intervals(wider) if i.volunteer_id == 1]
    later = render_ical(
        calendar_events(chapter, also_mine, personal=True),
        calendar_name="Ann; on call",
        dtstamp=STAMP + timedelta(days=1),
    )
    assert {uid for uid, *_ in parsed_events(first)} < {uid for uid, *_ in parsed_events(later)}


def test_uid_depends_on_chapter_volunteer_tier_and_start() -> None:
    chapter = boston()
    base = VolunteerInterval(1, Tier.PRIMARY, STAMP, STAMP + timedelta(hours=4))
    variants = [
        base,
        VolunteerInterval(2, Tier.PRIMARY, base.start, base.end),
        VolunteerInterval(1, Tier.BACKUP, base.start, base.end),
        VolunteerInterval(1, Tier.PRIMARY, base.start + timedelta(minutes=1), base.end),
    ]
    uids = [event.uid for event in calendar_events(chapter, variants, personal=True)]
    assert len(set(uids)) == 4
    longer = VolunteerInterval(1, Tier.PRIMARY, base.start, base.end + timedelta(hours=1))
    assert calendar_events(chapter, [longer], personal=True)[0].uid == uids[0]


def test_escape_text_per_rfc_5545() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_fold_line_keeps_octet_limit_and_round_trips(text: str) -> None:
    """Folded lines stay within 75 octets, never split a character, and unfold to the input."""
    line = "SUMMARY:" + text.replace("\r", "").replace("\n", "")
    folded = fold_line(line)
    physical = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert folded.replace("\r\n ", "") == line


def test_long_multibyte_summary_parses_back_whole() -> None:
    """A chapter name long enough to fold, with accents and emoji, survives a parse."""
    chapter = ChapterRota(
        slug="lyon-deuil",
        name="Ligne d'écoute du deuil périnatal, Lyon; Villeurbanne et environs 💙 " * 2,
        zone="Europe/Paris",
        volunteers=crew(1),
        shifts=(shift(1, "mon", "18:00", "22:00"),),
    )
    intervals = volunteer_intervals(
        timeline(
            chapter,
            local("Europe/Paris", "2026-03-23T00:00"),
            local("Europe/Paris", "2026-04-06T00:00"),
        )
    )
    text = render_ical(
        calendar_events(chapter, intervals, personal=True),
        calendar_name=chapter.name,
        dtstamp=STAMP,
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = parsed_events(text)
    assert [(start, end) for _, start, end, _ in events] == [
        (datetime(2026, 3, 23, 17, tzinfo=UTC), datetime(2026, 3, 23, 21, tzinfo=UTC)),
        (datetime(2026, 3, 30, 16, tzinfo=UTC), datetime(2026, 3, 30, 20, tzinfo=UTC)),
    ]
    assert events[0][3] == f"On call: {chapter.name} (primary)"
