"""iCalendar (RFC 5545) feeds of on-call intervals, per volunteer or per chapter."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.roster.localtime import as_utc
from hotline.roster.rules import ChapterRota
from hotline.roster.timeline import VolunteerInterval

PRODID = "-//hotline//rota feed//EN"
UID_DOMAIN = "rota.hotline"


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: a volunteer's on-call interval in one chapter, times in UTC."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def event_uid(chapter_slug: str, interval: VolunteerInterval) -> str:
    """A UID that is the same on every render of the same interval start (RFC 5545 3.8.4.7).

    The end is left out on purpose: an interval extended by an edit keeps its UID, so
    calendars update the event instead of showing a second one.
    """
    key = "|".join(
        (chapter_slug, str(interval.volunteer_id), str(int(interval.tier)), _utc(interval.start))
    )
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@{UID_DOMAIN}"


def calendar_events(
    rota: ChapterRota, intervals: Iterable[VolunteerInterval], *, personal: bool
) -> tuple[CalendarEvent, ...]:
    """Events for `intervals` of one chapter; a personal feed's summaries leave out the name.

    Personal: "On call: Boston Bereavement Line (primary)". Chapter feed:
    "Ann Example on call: Boston Bereavement Line (primary)".
    """
    events = []
    for interval in intervals:
        volunteer = rota.volunteer_index.get(interval.volunteer_id)
        who = volunteer.name if volunteer is not None else f"Volunteer {interval.volunteer_id}"
        what = f"On call: {rota.name} ({interval.tier.label})"
        summary = what if personal else f"{who} {what[0].lower()}{what[1:]}"
        events.append(
            CalendarEvent(
                uid=event_uid(rota.slug, interval),
                start=interval.start,
                end=interval.end,
                summary=summary,
                description=f"{who}, {interval.tier.label} tier, {rota.name}",
            )
        )
    return tuple(events)


def render_ical(events: Sequence[CalendarEvent], *, calendar_name: str, dtstamp: datetime) -> str:
    """A complete VCALENDAR with CRLF line ends and lines folded at 75 octets.

    `dtstamp` is when the feed was generated; passing it in keeps the output a pure function
    of its inputs. Events appear ordered by start, then UID.
    """
    stamp = _utc(as_utc(dtstamp, "dtstamp"))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
    ]
    for event in sorted(events, key=lambda item: (as_utc(item.start), item.uid)):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(event.start)}",
            f"DTEND:{_utc(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def escape_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 3.3.11 (backslash, semicolon, comma, newline)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str, limit: int = 75) -> str:
    """`line` folded to physical lines of at most `limit` octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    budget = limit
    for char in line:
        width = len(char.encode())
        if size + width > budget:
            pieces.append("".join(current))
            current, size = [], 0
            budget = limit - 1  # continuation lines start with one space, which counts
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
