"""Shift reminders: `reminder_hours` before each stretch on call a volunteer is texted and
asked to reply YES; a shift still unconfirmed when it is close is told to the coordinators.

Planning runs as scheduled work, one task per chapter per hour slot (its key names the
slot), so two workers or a restart plan a slot once; each reminder is a row (one per
volunteer, chapter and start) and each text an outbox key, so planning twice sends nothing
twice. Reminders are to volunteers: no quiet hours (those are for callers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.alerts.alerts import coordinators
from hotline.db import add_once
from hotline.reminders.common import line_number, stamp, stretches, when
from hotline.roster.models import Chapter, ShiftReminder, Volunteer
from hotline.texts.models import OutboundText
from hotline.texts.outbox import queue_text
from hotline.work import kinds
from hotline.work.models import ScheduledTask, TaskStatus
from hotline.work.schedule import reschedule, schedule

if TYPE_CHECKING:
    from hotline.runtime import Runtime

SLOT = timedelta(hours=1)
UNCONFIRMED_WITHIN = timedelta(hours=2)     # coordinators hear of a shift this close
AFTER_LAST_REMINDER = timedelta(minutes=30)  # ... but not before the volunteer could answer
CONFIRMABLE_AFTER_START = timedelta(hours=1)
_EDGE = timedelta(minutes=1)   # look this far before a window: a stretch already running
#                                there is not a shift starting in it
_LONGEST = timedelta(hours=24)   # how far a reminder looks for the end of the shift
CATCH_UP = timedelta(hours=12)   # how far back a missed planning slot is still planned


def slot_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def plan_key(chapter_id: int, slot: datetime) -> str:
    return f"reminders-{chapter_id}-{stamp(slot)}"


def slot_in(key: str) -> datetime:
    """The slot a planning task's key names (its due time may have moved on a retry)."""
    return datetime.strptime(key.rsplit("-", 1)[1], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def plan_reminders(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """PLAN_REMINDERS: for each of the chapter's `reminder_hours` h, remind every stretch
    on call starting in [slot + h, slot + h + SLOT), the text going h before it starts."""
    chapter = session.get(Chapter, task.subject_id)
    number = line_number(session, task.subject_id)
    if chapter is None or number is None:
        return
    slot, now = slot_in(task.key), runtime.clock()
    for hours in sorted(set(chapter.reminder_hours), reverse=True):
        start = slot + timedelta(hours=hours)
        horizon = start + SLOT + _LONGEST
        for item in stretches(session, chapter.id, start - _EDGE, horizon):
            # A slot planned late (missed while down): a shift already started is not
            # reminded of (its volunteer is on call, or the coordinators know better).
            if start <= item.start < start + SLOT and item.start > now:
                _remind(session, chapter, number, item.volunteer_id, item.start,
                        item.end if item.end < horizon else None, int(item.tier), hours, now)


def _remind(session: Session, chapter: Chapter, number: str, volunteer_id: int,
            starts: datetime, ends: datetime | None, tier: int, hours: int, now: datetime
            ) -> None:
    goes = starts - timedelta(hours=hours)
    reminder, _ = add_once(session, ShiftReminder(
        volunteer_id=volunteer_id, chapter_id=chapter.id, starts_at=starts, reminded_at=goes),
        (ShiftReminder.volunteer_id == volunteer_id)
        & (ShiftReminder.chapter_id == chapter.id) & (ShiftReminder.starts_at == starts))
    until = f" to {when(ends, chapter)}" if ends is not None else ""
    body = (f"{chapter.name}: a reminder, you are on call from {when(starts, chapter)}{until}"
            f" (tier {tier}). Reply YES to confirm. If you cannot, "
            "offer a swap on the rota pages or tell your coordinator.")
    queue_text(session, key=f"reminder-{reminder.id}-{hours}h", kind="reminder",
               from_number=number, body=body, now=now, volunteer_id=volunteer_id,
               chapter_id=chapter.id, not_before=max(goes, now))
    last = starts - timedelta(hours=min(chapter.reminder_hours))
    # A reminder sent late (its slot missed) still gives the volunteer time to answer.
    check = max(starts - UNCONFIRMED_WITHIN, last + AFTER_LAST_REMINDER,
                now + AFTER_LAST_REMINDER)
    if check < starts:
        schedule(session, kinds.SHIFT_UNCONFIRMED, reminder.id, max(check, now),
                 key=f"unconfirmed-{reminder.id}", now=now)


def shift_unconfirmed(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """SHIFT_UNCONFIRMED: text the coordinators if the volunteer has not said YES and is
    still on call then (a swap or a change may have moved the shift)."""
    reminder = session.get(ShiftReminder, task.subject_id)
    if reminder is None or reminder.confirmed_at or reminder.escalated_at:
        return
    chapter = session.get(Chapter, reminder.chapter_id)
    volunteer = session.get(Volunteer, reminder.volunteer_id)
    number = line_number(session, reminder.chapter_id)
    if chapter is None or volunteer is None or number is None:
        return
    at = reminder.starts_at
    if not any(item.volunteer_id == volunteer.id
               for item in stretches(session, chapter.id, at, at + _EDGE)):
        return
    now = runtime.clock()
    if chapter.reminder_hours:
        # The last reminder went late (its slot was missed while nothing ran) or has not
        # gone yet: the volunteer gets their half hour to answer it first.
        hours = min(chapter.reminder_hours)
        last = session.scalar(select(OutboundText.not_before).where(
            OutboundText.key == f"reminder-{reminder.id}-{hours}h"))
        slot = slot_of(at - timedelta(hours=hours))
        planning = session.scalar(select(ScheduledTask.status).where(
            ScheduledTask.key == plan_key(chapter.id, slot)))
        coming = (planning in (TaskStatus.PENDING, TaskStatus.RUNNING)
                  or (planning is None and slot >= slot_of(now) - CATCH_UP))
        # Not sent and not about to be (planned without it, or beyond the catch-up): now.
        answer_by = (last or now) + AFTER_LAST_REMINDER if last or coming else now
        if now < answer_by < at:
            reschedule(session, task, answer_by, now)
            return
    reminder.escalated_at = now
    body = (f"{chapter.name}: {volunteer.name} has not confirmed their shift starting "
            f"{when(at, chapter)}. You may want to check they can do it.")
    for coordinator in coordinators(session, chapter.id):
        if coordinator != volunteer.id:
            queue_text(session, key=f"unconfirmed-{reminder.id}-{coordinator}",
                       kind="unconfirmed", from_number=number, body=body, now=now,
                       volunteer_id=coordinator, chapter_id=chapter.id)


def confirm(session: Session, volunteer: Volunteer, chapter: Chapter, now: datetime) -> str:
    """YES by text: confirm the nearest shift the volunteer was reminded of; the answer."""
    reminder = session.scalar(
        select(ShiftReminder)
        .where(ShiftReminder.volunteer_id == volunteer.id,
               ShiftReminder.chapter_id == chapter.id,
               ShiftReminder.reminded_at <= now,
               ShiftReminder.starts_at > now - CONFIRMABLE_AFTER_START,
               ShiftReminder.confirmed_at.is_(None))
        .order_by(ShiftReminder.starts_at).limit(1))
    if reminder is None:
        return "There is no shift reminder waiting for your YES. Reply NEXT for your shifts."
    reminder.confirmed_at = now
    return f"Thank you: your shift {when(reminder.starts_at, chapter)} is confirmed."
