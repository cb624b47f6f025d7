"""Call-backs and check-ins: an attempt is a call of ours, put on the line like a caller.

An attempt is a `Call` of kind callback (or checkin) waiting in its chapter: the same
dispatch offers it to a free volunteer on call now (one phone at a time, after every
caller actually holding on the line), with a press-1 screen that says it is a call-back.
When the volunteer accepts, they hold in a queue named after the attempt and the
CALL_CALLER job dials the caller from the hotline number; the caller hears a neutral
greeting (no organisation, unless the chapter sets one) and presses 1 to be bridged. If no
volunteer is free, or the caller does not answer, the attempt ends with its result and the
next is scheduled inside the chapter's call-back hours.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.hours import is_open, next_open
from hotline.callbacks.requests import attempt_ended, still_owed
from hotline.calls import line, urls
from hotline.calls.decisions import Connect, speech_of
from hotline.calls.planning import plan_to_json, traits_of
from hotline.logs import lifecycle, records
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallKind,
    FollowUpKind,
    Phase,
)
from hotline.roster.matching import has_menus
from hotline.roster.models import Chapter, Volunteer
from hotline.roster.oncall import Wave
from hotline.roster.rules import Tier
from hotline.roster.store import load_rota
from hotline.roster.trainees import mentored, offered_waves
from hotline.runtime import Runtime
from hotline.telephony import OutboundCall, TelephonyError
from hotline.texts.checkins import send_checkin_text
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from hotline.work.schedule import cancel_for, reschedule, schedule

log = logging.getLogger(__name__)

# How long an attempt may wait for a volunteer on call to be free (they may be talking).
PATIENCE = timedelta(minutes=15)
CALLER_RING_SECONDS = 30


def run_attempt(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """The FOLLOWUP_ATTEMPT work: make the request's next attempt, if it is still owed."""
    now = runtime.clock()
    request = session.get(CallbackRequest, task.subject_id)
    origin = session.get(Call, request.call_id) if request else None
    chapter = session.get(Chapter, origin.chapter_id) if origin and origin.chapter_id else None
    if request is None or origin is None or chapter is None:
        return
    if not still_owed(session, request, origin.caller_hash, now):
        return
    if not is_open(now, chapter.callback_hours, chapter.timezone):
        reschedule(session, task, next_open(now, chapter.callback_hours, chapter.timezone), now)
        return
    request.attempts += 1
    if request.kind is FollowUpKind.CHECKIN_TEXT:
        send_checkin_text(session, runtime, request, origin, chapter, now)
        return
    attempt = _open_attempt(session, request, origin, chapter, now)
    if not attempt.plan:
        log.info("follow-up %s: nobody on call to return it now", request.id)
        lifecycle.leave_queue(session, attempt, now)
        attempt_ended(session, attempt, AttemptResult.VOLUNTEER_UNAVAILABLE, now)
        return
    # On the line behind every caller: the dispatch offers it to a volunteer on call as
    # soon as one is free with nobody else to take, for up to PATIENCE.
    line.serve(session, runtime, [chapter.id])
    schedule(session, kinds.ATTEMPT_DEADLINE, attempt.id, now + PATIENCE,
             key=f"attempt-{attempt.id}-deadline", now=now)


def _open_attempt(session: Session, request: CallbackRequest, origin: Call, chapter: Chapter,
                  now: datetime) -> Call:
    """The attempt's call record, holding in the chapter with its plan."""
    waves: tuple[Wave, ...]
    holder = (session.get(Volunteer, request.claimed_volunteer_id)
              if request.claimed_volunteer_id is not None else None)
    if holder is not None and not mentored(chapter, holder):   # taken: ring them alone
        volunteer = load_rota(session, chapter.id, now).volunteer_index.get(holder.id)
        waves = (Wave(Tier.PRIMARY, (volunteer,)),) if volunteer and volunteer.ringable else ()
    else:
        waves = offered_waves(session, chapter.id, now)[:1]  # on call now, first tier
    matching = has_menus(chapter.language, chapter.languages, chapter.experiences)
    attempt = Call(
        call_sid="CB" + uuid.uuid4().hex,
        kind=CallKind.CHECKIN if request.kind is FollowUpKind.CHECKIN_CALL else CallKind.CALLBACK,
        chapter_id=chapter.id, to_number=origin.to_number, caller_cipher=origin.caller_cipher,
        caller_hash=origin.caller_hash, caller_hint=origin.caller_hint, started_at=now,
        phase=Phase.HOLDING, origin_call_id=origin.id, followup_id=request.id,
        plan=plan_to_json(waves, traits_of(session, waves) if matching else None),
        planned_at=now, tier_index=0, tier_since=now,
        # The caller hears the language they chose; the volunteers who fit what they chose
        # are offered the attempt first (hotline.calls.line, as for their call).
        language=origin.language, experience=origin.experience,
    )
    session.add(attempt)
    session.flush()
    return attempt


def attempt_deadline(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """The ATTEMPT_DEADLINE work: nobody took the attempt in time; close it (a phone
    ringing for it now is given its ring first)."""
    attempt = session.get(Call, task.subject_id)
    if attempt is None or attempt.phase is not Phase.HOLDING:
        return
    now = runtime.clock()
    chapter = session.get(Chapter, attempt.chapter_id) if attempt.chapter_id else None
    if chapter is not None and any(not leg.status.ended for leg in attempt.legs):
        reschedule(session, task, now + timedelta(seconds=chapter.ring_timeout_seconds), now)
        return
    lifecycle.leave_queue(session, attempt, now)
    line.stop_offers(session, attempt)
    attempt_ended(session, attempt, AttemptResult.VOLUNTEER_UNAVAILABLE, now)


def with_volunteer(session: Session, runtime: Runtime, request: CallbackRequest, origin: Call,
                   chapter: Chapter, volunteer: Volunteer, call_sid: str) -> Connect:
    """An attempt made now by a volunteer who called in, on their own call: it is theirs
    (taken), its scheduled attempt is called off, and the caller is dialled at once."""
    now = runtime.clock()
    request.claimed_volunteer_id = request.claimed_volunteer_id or volunteer.id
    request.claimed_at = request.claimed_at or now
    cancel_for(session, kinds.FOLLOWUP_ATTEMPT, request.id)
    request.attempts += 1
    attempt = _open_attempt(session, request, origin, chapter, now)
    leg = records.offer(session, attempt, volunteer.id, volunteer.name, now)
    if leg is None:
        raise LookupError(f"volunteer {volunteer.id} is engaged on another leg")
    session.flush()
    lifecycle.taken_on_own_call(session, attempt, leg, call_sid, now)
    accepted(session, attempt)
    return Connect(leg.id, speech_of(chapter), attempt.call_sid, attempt.id, holds=True)


def accepted(session: Session, attempt: Call) -> None:
    """A volunteer took the attempt: dial the caller (once the transaction commits)."""
    jobs.enqueue(session, jobs.CALL_CALLER, attempt.id, key=f"call-caller-{attempt.id}")


def call_caller(runtime: Runtime, attempt_id: int) -> None:
    """The CALL_CALLER job: ring the caller from the hotline number (never twice)."""
    with runtime.transaction() as session:
        attempt = session.get(Call, attempt_id)
        if (attempt is None or attempt.phase is not Phase.ANSWERED
                or attempt.caller_leg_sid is not None or attempt.result is not None):
            return
        number = runtime.privacy.decrypt(attempt.caller_cipher)
        public = runtime.settings.app.public_url
        request = OutboundCall(
            to=number or "", from_=attempt.to_number,
            url=urls.absolute(public, urls.ATTEMPT_CALLER, call_id=attempt.id),
            status_callback=urls.absolute(public, urls.ATTEMPT_CALLER_STATUS,
                                          call_id=attempt.id),
            timeout_seconds=CALLER_RING_SECONDS,
        )
        if not number:
            attempt_ended(session, attempt, AttemptResult.FAILED, runtime.clock())
            return
        attempt.caller_leg_sid = "pending:" + uuid.uuid4().hex[:24]   # dialling: not twice
    runtime.throttle.wait()
    try:
        sid = runtime.telephony.place_call(request)
    except TelephonyError as exc:
        log.warning("attempt %s: could not dial the caller: %s", attempt_id, exc)
        with runtime.transaction() as session:
            attempt = session.get(Call, attempt_id)
            assert attempt is not None
            attempt_ended(session, attempt, AttemptResult.FAILED, runtime.clock())
        return
    with runtime.transaction() as session:
        attempt = session.get(Call, attempt_id)
        assert attempt is not None
        attempt.caller_leg_sid = sid
