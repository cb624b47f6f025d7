"""What the reminders share: the chapter's own number to text from, who is on call over a
range, and moments written as a volunteer reads them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster.models import Chapter, ChapterNumber
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import VolunteerInterval, timeline, volunteer_intervals


def line_number(session: Session, chapter_id: int) -> str | None:
    """The number the chapter's texts come from (its first), None if it has none."""
    return session.scalar(select(ChapterNumber.number).where(
        ChapterNumber.chapter_id == chapter_id).order_by(ChapterNumber.number).limit(1))


def stretches(session: Session, chapter_id: int, start: datetime, end: datetime
              ) -> tuple[VolunteerInterval, ...]:
    """Every volunteer's on-call stretches in [start, end) as the rota stands (overrides
    and unavailability included)."""
    rota = load_rota_between(session, chapter_id, start, end)
    return volunteer_intervals(timeline(rota, start, end))


def when(at: datetime, chapter: Chapter) -> str:
    """Chapter time with the day, e.g. "Tue 06 Jan 18:00"."""
    return at.astimezone(ZoneInfo(chapter.timezone)).strftime("%a %d %b %H:%M")


def stamp(at: datetime) -> str:
    """An instant in a key: "20260106T2300Z"."""
    return at.strftime("%Y%m%dT%H%MZ")
