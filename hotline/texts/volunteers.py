"""What a registered volunteer can text the line: ON, OFF, NEXT, TAKE <ref>, YES.

ON and OFF change the rota through the same domain functions as the pages and the command
line (an add override, an unavailability: versioned, clashes refused with the reason) and
land in the audit log, with the volunteer as the one who made the change.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.alerts.alerts import take
from hotline.audit.log import Actor, record
from hotline.logs.models import Call, CallbackRequest, Voicemail
from hotline.reminders.common import stretches, when
from hotline.reminders.shifts import confirm
from hotline.roster import models
from hotline.roster.changes import (
    RotaChangeError,
    add_override,
    add_unavailability,
    chapters_of,
)
from hotline.roster.edits import end_override, live_rotations, live_shifts, override_summary
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.timeline import VolunteerInterval
from hotline.roster.trainees import mentored
from hotline.texts.keywords import Command, Word

ON_FOR = timedelta(hours=4)
OFF_AT_MOST = timedelta(hours=12)
NEXT_WITHIN = timedelta(days=14)
NEXT_SHOWN = 3


def volunteer_command(session: Session, volunteer: models.Volunteer, chapter: models.Chapter,
                      command: Command, now: datetime) -> str:
    """Do what the volunteer texted; the answer to text back."""
    if command.word is Word.TAKE:
        if not command.argument:
            return "Reply TAKE and the ref from the alert, e.g. TAKE K7Q2."
        if reference_chapter(session, command.argument) not in (None, chapter.id):
            return f"Ref {command.argument} is not one of {chapter.name}'s: nothing taken."
        if mentored(chapter, volunteer):
            return (f"In training at {chapter.name}, you listen in on calls a volunteer takes;"
                    f" a volunteer on call will take {command.argument}. Nothing taken.")
        return take(session, volunteer, command.argument, now)
    if command.word is Word.YES:
        return confirm(session, volunteer, chapter, now)
    if command.word is Word.NEXT:
        return next_shifts(session, volunteer, chapter, now)
    if command.word is Word.ON:
        return on_call_now(session, volunteer, chapter, now)
    return off_call_now(session, volunteer, chapter, now)


def reference_chapter(session: Session, reference: str) -> int | None:
    """The chapter of the call whose message or call-back has this reference, if any."""
    ref = reference.strip().upper()
    for model in (Voicemail, CallbackRequest):
        found = session.scalar(select(Call.chapter_id).join(model, model.call_id == Call.id)
                               .where(model.reference == ref))
        if found is not None:
            return found
    return None


def serves(session: Session, volunteer: models.Volunteer, chapter: models.Chapter) -> bool:
    """Whether the volunteer is on this chapter's rota or one of its members."""
    member = session.scalar(select(models.ChapterMember.volunteer_id).where(
        models.ChapterMember.chapter_id == chapter.id,
        models.ChapterMember.volunteer_id == volunteer.id))
    return member is not None or chapter.id in chapters_of(session, volunteer.id)


def usual_tier(session: Session, volunteer_id: int, chapter_id: int, now: datetime) -> Tier:
    """The tier of most of the volunteer's live shifts and rotations (primary if none;
    a tie goes to the lower tier)."""
    tiers: Counter[int] = Counter(row.tier for row in live_shifts(session, chapter_id, now)
                                  if row.volunteer_id == volunteer_id)
    tiers.update(row.tier for row in live_rotations(session, chapter_id, now)
                 if any(m.volunteer_id == volunteer_id for m in row.members))
    if not tiers:
        return Tier.PRIMARY
    return Tier(min(tiers, key=lambda tier: (-tiers[tier], tier)))


def _mine(session: Session, chapter_id: int, volunteer_id: int, start: datetime,
          end: datetime) -> list[VolunteerInterval]:
    return [item for item in stretches(session, chapter_id, start, end)
            if item.volunteer_id == volunteer_id]


def on_call_now(session: Session, volunteer: models.Volunteer, chapter: models.Chapter,
                now: datetime) -> str:
    tier = usual_tier(session, volunteer.id, chapter.id, now)
    try:
        _end_texted_on(session, volunteer, chapter, now)    # ON again (after an OFF): anew
        row = add_override(session, chapter, OverrideKind.ADD, volunteer, now, now + ON_FOR,
                           now=now, tier=tier, reason="texted ON", source="text")
    except RotaChangeError as exc:
        return f"Not done: {exc}."
    record(session, _actor(volunteer), "override.add", now=now, chapter_id=chapter.id,
           subject=f"override {row.id}", after=override_summary(row))
    return (f"{chapter.name}: you are on call now until {when(row.end, chapter)} "
            f"(tier {int(tier)}). Thank you. Reply OFF to come off.")


def _end_texted_on(session: Session, volunteer: models.Volunteer, chapter: models.Chapter,
                   now: datetime) -> None:
    """End, from now, an ON texted earlier that still runs (audited as its ending)."""
    running = session.scalars(select(models.Override).where(
        models.Override.chapter_id == chapter.id, models.Override.volunteer_id == volunteer.id,
        models.Override.kind == OverrideKind.ADD.value, models.Override.source == "text",
        models.Override.start <= now, models.Override.end > now)).all()
    for row in running:
        before = override_summary(row)
        end_override(session, chapter, row.id, now=now)
        record(session, _actor(volunteer), "override.end", now=now, chapter_id=chapter.id,
               subject=f"override {row.id}", before=before, after=override_summary(row))


def off_call_now(session: Session, volunteer: models.Volunteer, chapter: models.Chapter,
                 now: datetime) -> str:
    current = [item for item in _mine(session, chapter.id, volunteer.id, now,
                                     now + OFF_AT_MOST) if item.start <= now]
    if not current:
        return f"You are not on call for {chapter.name} now. " + next_shifts(
            session, volunteer, chapter, now)
    until = max(item.end for item in current)
    try:
        row = add_unavailability(session, volunteer, now, until, now=now, reason="texted OFF")
    except RotaChangeError as exc:
        return f"Not done: {exc}."
    for chapter_id in sorted({chapter.id, *chapters_of(session, volunteer.id)}):
        record(session, _actor(volunteer), "unavailable.add", now=now, chapter_id=chapter_id,
               subject=volunteer.name, after={"id": row.id, "start": row.start, "end": row.end})
    return (f"{chapter.name}: you are off call until {when(until, chapter)}. Thank you for "
            "telling us. Reply ON to be on call again.")


def next_shifts(session: Session, volunteer: models.Volunteer, chapter: models.Chapter,
                now: datetime) -> str:
    found = _mine(session, chapter.id, volunteer.id, now, now + NEXT_WITHIN)
    now_until = max((item.end for item in found if item.start <= now), default=None)
    coming = [item for item in found if item.start > now][:NEXT_SHOWN]
    parts = []
    if now_until is not None:
        parts.append(f"on call now until {when(now_until, chapter)}")
    parts.extend(f"{when(item.start, chapter)} to {when(item.end, chapter)} "
                 f"(tier {int(item.tier)})" for item in coming)
    if not parts:
        return f"{chapter.name}: you have no shift in the next 14 days."
    return f"{chapter.name}: your shifts: " + "; ".join(parts) + "."


def _actor(volunteer: models.Volunteer) -> Actor:
    return Actor(f"text:{volunteer.name} (volunteer {volunteer.id})")
