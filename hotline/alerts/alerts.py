"""Who is told of a waiting message or call-back, what they are told, and taking one.

The volunteers on call now are texted (tier 1; the next tier if tier 1 is empty), from the
chapter's own number: the line, the time, a short reference and how to act. If nobody has
taken it after the chapter's `alert_unclaimed_minutes`, its coordinators are texted too. A
volunteer takes one by texting TAKE and the reference (or by hearing it when they call in).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callbacks.requests import new_reference, request_followup
from hotline.logs.models import Call, CallbackRequest, FollowUpKind, FollowUpStatus, Voicemail
from hotline.roster.models import Chapter, ChapterMember, Volunteer
from hotline.roster.trainees import offered_waves
from hotline.texts.outbox import queue_text
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from hotline.work.schedule import schedule

if TYPE_CHECKING:
    from hotline.runtime import Runtime


def on_call_now(session: Session, chapter: Chapter, now: datetime) -> list[int]:
    """The volunteers of the first tier with anyone on call now (ids); a listen_in
    chapter's trainees are not among them (they take nothing alone)."""
    waves = offered_waves(session, chapter.id, now)
    return [v.id for v in waves[0].volunteers] if waves else []


def coordinators(session: Session, chapter_id: int) -> list[int]:
    return list(session.scalars(select(ChapterMember.volunteer_id).where(
        ChapterMember.chapter_id == chapter_id, ChapterMember.coordinator.is_(True))))


def _when(at: datetime, chapter: Chapter) -> str:
    return at.astimezone(ZoneInfo(chapter.timezone)).strftime("%a %H:%M")


def announce_voicemail(session: Session, voicemail: Voicemail, call: Call, chapter: Chapter,
                       now: datetime) -> None:
    """Text the volunteers on call about a new message (once), and watch that it is taken."""
    if voicemail.reference is None:
        voicemail.reference = new_reference(session)
        session.flush()
    ref = voicemail.reference
    body = (f"{chapter.name}: new voicemail, {_when(call.started_at, chapter)}, ref {ref}. "
            f"Call this number and press 1 to hear it, or reply TAKE {ref} to take it.")
    _tell(session, on_call_now(session, chapter, now), f"alert-voicemail-{voicemail.id}",
          call, chapter, body, now)
    schedule(session, kinds.VOICEMAIL_UNCLAIMED, voicemail.id,
             now + timedelta(minutes=chapter.alert_unclaimed_minutes),
             key=f"voicemail-{voicemail.id}-unclaimed", now=now)


def announce_callback(session: Session, request: CallbackRequest, call: Call, chapter: Chapter,
                      now: datetime) -> None:
    """Text the volunteers on call about a call-back request, and watch that it is taken."""
    ref = request.reference
    body = (f"{chapter.name}: call-back requested, {_when(call.started_at, chapter)}, ref {ref}."
            f" Reply TAKE {ref} to take it (we ring you when it is due), or call this number "
            "and press 2 to return it now.")
    _tell(session, on_call_now(session, chapter, now), f"alert-callback-{request.id}", call,
          chapter, body, now)
    schedule(session, kinds.CALLBACK_UNCLAIMED, request.id,
             now + timedelta(minutes=chapter.alert_unclaimed_minutes),
             key=f"callback-{request.id}-unclaimed", now=now)


def callback_wanted(session: Session, call: Call, chapter: Chapter, now: datetime
                    ) -> CallbackRequest | None:
    """The caller of `call` asks to be called back (at the menu, or by a reply): owe it
    and tell the volunteers on call; None if they cannot be called (a withheld number)."""
    request = request_followup(session, call, FollowUpKind.CALLBACK, now)
    if request is not None:
        announce_callback(session, request, call, chapter, now)
    return request


def _tell(session: Session, volunteer_ids: list[int], key: str, call: Call, chapter: Chapter,
          body: str, now: datetime) -> None:
    for volunteer_id in volunteer_ids:
        queue_text(session, key=f"{key}-{volunteer_id}", kind="alert", body=body, now=now,
                   volunteer_id=volunteer_id, chapter_id=chapter.id,
                   from_number=call.to_number)


def voicemail_unclaimed(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """The VOICEMAIL_UNCLAIMED work: text the coordinators if nobody has taken it yet."""
    voicemail = session.get(Voicemail, task.subject_id)
    if voicemail is None or voicemail.claimed_at or voicemail.heard_at or voicemail.handled_at:
        return
    _escalate(session, voicemail.call_id, "the voicemail of", voicemail.reference or "",
              f"escalate-voicemail-{voicemail.id}", runtime.clock())


def callback_unclaimed(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """The CALLBACK_UNCLAIMED work: text the coordinators if the request still waits."""
    request = session.get(CallbackRequest, task.subject_id)
    if request is None or request.claimed_at or request.status is not FollowUpStatus.OPEN:
        return
    _escalate(session, request.call_id, "the call-back requested", request.reference or "",
              f"escalate-callback-{request.id}", runtime.clock())


def _escalate(session: Session, call_id: int, what: str, ref: str, key: str, now: datetime
              ) -> None:
    call = session.get(Call, call_id)
    chapter = session.get(Chapter, call.chapter_id) if call and call.chapter_id else None
    if call is None or chapter is None:
        return
    body = (f"{chapter.name}: {what} {_when(call.started_at, chapter)} (ref {ref}) has not "
            f"been taken after {chapter.alert_unclaimed_minutes} minutes. Reply TAKE {ref} "
            "to take it.")
    _tell(session, coordinators(session, chapter.id), key, call, chapter, body, now)


def take(session: Session, volunteer: Volunteer, reference: str, now: datetime) -> str:
    """TAKE <reference> by text: claim a message or a call-back; the reply to send."""
    ref = reference.strip().upper()
    voicemail = session.scalar(select(Voicemail).where(Voicemail.reference == ref))
    if voicemail is not None:
        if voicemail.claimed_volunteer_id not in (None, volunteer.id):
            return f"Ref {ref} was already taken by another volunteer. Thank you."
        voicemail.claimed_volunteer_id, voicemail.claimed_at = volunteer.id, now
        return (f"You have taken voicemail {ref}. Call this number and press 1 to hear it.")
    request = session.scalar(select(CallbackRequest).where(CallbackRequest.reference == ref))
    if request is not None and request.status is FollowUpStatus.OPEN:
        if request.claimed_volunteer_id not in (None, volunteer.id):
            return f"Ref {ref} was already taken by another volunteer. Thank you."
        request.claimed_volunteer_id, request.claimed_at = volunteer.id, now
        return (f"You have taken call-back {ref}. We will ring you when it is due, or call "
                "this number and press 2 to return it now.")
    return f"No open message or call-back has the ref {ref}."
