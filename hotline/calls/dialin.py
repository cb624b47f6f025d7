"""A volunteer calling a hotline number from their own phone: a menu, not a caller.

They are greeted by name and told what waits: 1 plays the chapter's messages nobody has
heard (each marked heard once played; after each, 1 calls that caller back now through
the masked bridge, 2 goes on, 3 plays it again), 2 returns the oldest call-back waiting
now, on this very call, and 3 (or no key at all: someone in distress may not manage a
menu) puts them in line as a caller, to talk to another volunteer, never to themselves.
"""

from __future__ import annotations

import logging

from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hotline.callbacks.requests import request_followup
from hotline.calls import attempts, line
from hotline.calls.decisions import (
    Connect,
    Goodbye,
    Holding,
    MenuNotice,
    PlayMessage,
    VolunteerMenu,
    speech_of,
)
from hotline.logs import lifecycle
from hotline.logs.models import (
    Call,
    CallbackRequest,
    CallKind,
    FollowUpKind,
    FollowUpStatus,
    Phase,
    Voicemail,
)
from hotline.roster.models import Chapter, Volunteer
from hotline.roster.trainees import mentored
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

DialIn = VolunteerMenu | PlayMessage | MenuNotice | Connect | Holding | Goodbye


def _load(session: Session, call_id: int, call_sid: str) -> tuple[Call, Chapter, Volunteer]:
    call = session.get(Call, call_id)
    if call is None or call.call_sid != call_sid or call.kind is not CallKind.VOLUNTEER:
        raise LookupError(f"no volunteer's call {call_id} for {call_sid}")
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    volunteer = session.get(Volunteer, call.volunteer_id) if call.volunteer_id else None
    if chapter is None or volunteer is None:
        raise LookupError(f"volunteer's call {call_id} has no chapter or volunteer")
    return call, chapter, volunteer


def greet(session: Session, call_id: int, call_sid: str) -> VolunteerMenu:
    """The menu a volunteer's call to the line opens with."""
    return _menu(session, *_load(session, call_id, call_sid))


def on_menu(session: Session, call_id: int, call_sid: str, *, again: bool = False
            ) -> VolunteerMenu | Goodbye:
    """The menu again (after a notice, or a key it does not have)."""
    call, chapter, volunteer = _load(session, call_id, call_sid)
    if call.phase is not Phase.MENU:
        return Goodbye(speech_of(chapter), "ended")
    return _menu(session, call, chapter, volunteer, again=again)


def _menu(session: Session, call: Call, chapter: Chapter, volunteer: Volunteer, *,
          again: bool = False) -> VolunteerMenu:
    """The menu, with how many messages and call-backs wait for this volunteer."""
    return VolunteerMenu(
        call.id, speech_of(chapter), volunteer.name.split()[0] if volunteer.name else "",
        messages=len(_messages(session, chapter, volunteer)),
        callbacks=len(_callbacks(session, chapter, volunteer)), again=again)


def on_choice(session: Session, runtime: Runtime, call_id: int, call_sid: str, digits: str
              ) -> DialIn:
    """1: the messages; 2: a call-back now; 3 or nothing: talk to a volunteer."""
    call, chapter, volunteer = _load(session, call_id, call_sid)
    speech = speech_of(chapter)
    if call.phase is not Phase.MENU:
        return Goodbye(speech, "ended")
    if digits == "1":
        waiting = _messages(session, chapter, volunteer)
        if not waiting:
            return MenuNotice(call.id, speech, "no-messages")
        return _play(session, call, chapter, waiting[0], 1, len(waiting))
    if digits == "2":
        for request in _callbacks(session, chapter, volunteer):
            origin = session.get(Call, request.call_id)
            if origin is not None and origin.caller_cipher:
                return _return_call(session, runtime, call, chapter, volunteer, request, origin)
        return MenuNotice(call.id, speech, "no-callbacks")
    if digits in ("3", ""):
        return _as_caller(session, runtime, call, chapter)
    return on_menu(session, call_id, call_sid, again=True)


def on_message_choice(session: Session, runtime: Runtime, call_id: int, call_sid: str,
                      voicemail_id: int, number: int, digits: str) -> DialIn:
    """After a message played (it is marked heard now): 1 calls that caller back, 2 or no
    key goes on to the next message, 3 plays it again."""
    call, chapter, volunteer = _load(session, call_id, call_sid)
    speech = speech_of(chapter)
    voicemail = session.get(Voicemail, voicemail_id)
    origin = session.get(Call, voicemail.call_id) if voicemail is not None else None
    if call.phase is not Phase.MENU:
        return Goodbye(speech, "ended")
    if voicemail is None or origin is None or origin.chapter_id != chapter.id:
        raise LookupError(f"no message {voicemail_id} in chapter {chapter.id}")
    now = runtime.clock()
    if voicemail.heard_at is None:
        voicemail.heard_at = now
        if voicemail.claimed_volunteer_id is None:
            voicemail.claimed_volunteer_id, voicemail.claimed_at = volunteer.id, now
    if digits == "3":
        return _play(session, call, chapter, voicemail, number, number)
    if digits == "1":
        if not origin.caller_cipher:
            return MenuNotice(call.id, speech, "number-withheld")
        request = request_followup(session, origin, FollowUpKind.CALLBACK, now,
                                   asked_by_caller=False)
        if request is None:
            return MenuNotice(call.id, speech, "number-withheld")
        voicemail.handled_at = now
        return _return_call(session, runtime, call, chapter, volunteer, request, origin)
    waiting = _messages(session, chapter, volunteer)
    if not waiting:
        return MenuNotice(call.id, speech, "last-message")
    return _play(session, call, chapter, waiting[0], number + 1, number + len(waiting))


def _play(session: Session, call: Call, chapter: Chapter, voicemail: Voicemail, number: int,
          total: int) -> PlayMessage:
    origin = session.get(Call, voicemail.call_id)
    assert origin is not None
    return PlayMessage(call.id, speech_of(chapter), voicemail.id, number, total,
                       origin.started_at, chapter.timezone, voicemail.reference or "")


def _return_call(session: Session, runtime: Runtime, call: Call, chapter: Chapter,
                 volunteer: Volunteer, request: CallbackRequest, origin: Call) -> Connect:
    log.info("volunteer %s returns follow-up %s on their own call", volunteer.id, request.id)
    return attempts.with_volunteer(session, runtime, request, origin, chapter, volunteer,
                                   call.call_sid)


def _as_caller(session: Session, runtime: Runtime, call: Call, chapter: Chapter
               ) -> Holding | Goodbye:
    """Into line like anyone who rings (never offered to their own phone)."""
    call.kind = CallKind.INBOUND
    lifecycle.move_call(session, call, Phase.HOLDING)
    if not line.plan_call(session, runtime, call):
        return Goodbye(speech_of(chapter), "no-one-on-call")
    line.serve(session, runtime, [chapter.id])
    return Holding(call.id, call.call_sid)


def _held_by_listeners(holder: InstrumentedAttribute[int | None], chapter: Chapter
                       ) -> ColumnElement[bool]:
    """Held by a trainee who only listens in at this chapter (given to them before they
    were marked): anyone's to take here."""
    if not chapter.listen_in:
        return false()
    return holder.in_(select(Volunteer.id).where(Volunteer.trainee.is_(True)))


def _messages(session: Session, chapter: Chapter, volunteer: Volunteer) -> list[Voicemail]:
    """The chapter's messages nobody has heard, oldest first (not those another took);
    none for a trainee who only listens in there."""
    if mentored(chapter, volunteer):
        return []
    chapter_id, volunteer_id = chapter.id, volunteer.id
    return list(session.scalars(
        select(Voicemail).join(Call, Call.id == Voicemail.call_id)
        .where(Call.chapter_id == chapter_id, Voicemail.heard_at.is_(None),
               Voicemail.handled_at.is_(None), Voicemail.deleted_at.is_(None),
               Voicemail.status == "completed", Voicemail.duration_seconds > 0,
               Voicemail.claimed_volunteer_id.is_(None)
               | (Voicemail.claimed_volunteer_id == volunteer_id)
               | _held_by_listeners(Voicemail.claimed_volunteer_id, chapter))
        .order_by(Voicemail.created_at, Voicemail.id)))


def _callbacks(session: Session, chapter: Chapter, volunteer: Volunteer
               ) -> list[CallbackRequest]:
    """Call-backs owed in the chapter that nobody else took and no attempt is making now,
    oldest first; none for a trainee who only listens in there."""
    if mentored(chapter, volunteer):
        return []
    chapter_id, volunteer_id = chapter.id, volunteer.id
    attempt = Call.__table__.alias("attempt")
    in_progress = exists().where(attempt.c.followup_id == CallbackRequest.id,
                                 attempt.c.phase.in_([Phase.HOLDING.value,
                                                      Phase.ANSWERED.value]),
                                 attempt.c.result.is_(None))
    return list(session.scalars(
        select(CallbackRequest).join(Call, Call.id == CallbackRequest.call_id)
        .where(Call.chapter_id == chapter_id, Call.caller_cipher != "",
               CallbackRequest.kind == FollowUpKind.CALLBACK,
               CallbackRequest.status == FollowUpStatus.OPEN,
               CallbackRequest.claimed_volunteer_id.is_(None)
               | (CallbackRequest.claimed_volunteer_id == volunteer_id)
               | _held_by_listeners(CallbackRequest.claimed_volunteer_id, chapter),
               ~in_progress)
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)))
