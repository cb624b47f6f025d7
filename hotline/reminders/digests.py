"""The coordinators' daily gap digest: at 08:00 chapter time, the next 7 days' times with
nobody on call at tier 1 (nothing is sent when there is none)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hotline.alerts.alerts import coordinators
from hotline.reminders.common import line_number, when
from hotline.roster.localtime import to_instant
from hotline.roster.models import Chapter
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import find_gaps
from hotline.texts.outbox import queue_text
from hotline.work.models import ScheduledTask

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.runtime import Runtime

DIGEST_AT = time(8, 0)
WINDOW = timedelta(days=7)
LISTED = 8          # gaps named in one text; the rest counted


def digest_key(chapter_id: int, day: date) -> str:
    return f"gap-digest-{chapter_id}-{day.isoformat()}"


def next_digest(zone_name: str, now: datetime) -> tuple[date, datetime]:
    """The local day and instant of the next 08:00 in the chapter's zone at or after `now`."""
    zone = ZoneInfo(zone_name)
    day = now.astimezone(zone).date()
    at = to_instant(datetime.combine(day, DIGEST_AT), zone)
    if at < now:
        day += timedelta(days=1)
        at = to_instant(datetime.combine(day, DIGEST_AT), zone)
    return day, at


def send_digest(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """GAP_DIGEST: text the chapter's coordinators the gaps of the 7 days from now."""
    chapter = session.get(Chapter, task.subject_id)
    number = line_number(session, task.subject_id)
    if chapter is None or number is None:
        return
    day = date.fromisoformat(task.key[-10:])      # digest_key's day (ISO, at the end)
    start = max(runtime.clock(), to_instant(datetime.combine(day, DIGEST_AT),
                                            ZoneInfo(chapter.timezone))).astimezone(UTC)
    gaps = find_gaps(load_rota_between(session, chapter.id, start, start + WINDOW), start,
                     start + WINDOW)
    if not gaps:
        return
    named = "; ".join(f"{when(gap.start, chapter)} to {when(gap.end, chapter)}"
                      for gap in gaps[:LISTED])
    more = f"; and {len(gaps) - LISTED} more" if len(gaps) > LISTED else ""
    body = (f"{chapter.name}: gaps in the next 7 days (nobody on call at tier 1): {named}"
            f"{more}. Fill them on the rota pages.")
    now = runtime.clock()
    for coordinator in coordinators(session, chapter.id):
        queue_text(session, key=f"{task.key}-{coordinator}", kind="gap_digest",
                   from_number=number, body=body, now=now, volunteer_id=coordinator,
                   chapter_id=chapter.id)
