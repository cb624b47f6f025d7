"""Follow-ups a caller is owed: a call-back they asked for, a check-in they agreed to.

Recording one schedules its first attempt (inside the chapter's call-back hours) and, for a
call-back, alerts the volunteers on call. Attempts follow `callback_delays_minutes` after
the request (check-ins: a day later); an attempt no volunteer could take is made again and
does not count. They stop when one reaches the caller, when the caller calls again and
talks to a volunteer, when a coordinator cancels, or (a check-in only) when the caller's
number has texted STOP.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.hours import next_open
from hotline.db import add_once
from hotline.logs import lifecycle
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallKind,
    FollowUpKind,
    FollowUpStatus,
    Outcome,
    Phase,
    Voicemail,
)
from hotline.roster.models import Chapter
from hotline.texts.optouts import is_opted_out
from hotline.work import kinds
from hotline.work.schedule import cancel_for, schedule

CHECKIN_AFTER = timedelta(hours=24)
CHECKIN_ATTEMPTS = 3
# An attempt no volunteer on call could take (nobody on call, or nobody free in time) is
# no try at the caller: it is made again this long after, until the request is this old.
RETRY_UNAVAILABLE = timedelta(minutes=30)
UNAVAILABLE_GIVE_UP = timedelta(hours=48)
# Unambiguous letters and digits for references read out or texted (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_reference(session: Session) -> str:
    """A short reference nobody has yet, e.g. 'K7Q2' (for TAKE K7Q2 by text)."""
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(4))
        taken = session.scalar(select(CallbackRequest.id).where(
            CallbackRequest.reference == code)) or session.scalar(
            select(Voicemail.id).where(Voicemail.reference == code))
        if not taken:
            return code


def attempts_allowed(request: CallbackRequest, chapter: Chapter) -> int:
    if request.kind is FollowUpKind.CALLBACK:
        return max(1, len(chapter.callback_delays_minutes))
    return CHECKIN_ATTEMPTS


def attempt_due(request: CallbackRequest, chapter: Chapter, now: datetime,
                not_before: datetime | None = None) -> datetime:
    """When the next attempt may be made, in call-back hours: a call-back's delay after the
    request; a check-in a day after it was agreed (or after the one before).

    A call-back asked for outside the hours keeps its spacing: its first attempt is made
    when the hours open and the later ones their delays after that, not all at opening.
    """
    if request.kind is FollowUpKind.CALLBACK:
        delays = chapter.callback_delays_minutes or [5]
        first = timedelta(minutes=delays[0])
        anchor = next_open(request.requested_at + first, chapter.callback_hours,
                           chapter.timezone) - first
        due = anchor + timedelta(minutes=delays[min(request.attempts, len(delays) - 1)])
    else:
        due = now + CHECKIN_AFTER
    return next_open(max(now, due, not_before or now), chapter.callback_hours,
                     chapter.timezone)


def request_followup(
    session: Session, call: Call, kind: FollowUpKind, now: datetime, *,
    asked_by_caller: bool = True,
) -> CallbackRequest | None:
    """Owe the caller of `call` a follow-up; None if it cannot be had (a withheld number, or
    a caller checked in on as often as allowed). Not `asked_by_caller` (a volunteer returns
    a message), the call's outcome stays as it was. Asked again once the last one has ended,
    a call-back starts its delays over; a check-in carries on from the ones before."""
    if not call.caller_cipher or call.chapter_id is None:
        return None
    chapter = session.get(Chapter, call.chapter_id)
    assert chapter is not None
    request, added = add_once(session, CallbackRequest(
        call_id=call.id, kind=kind, requested_at=now, status=FollowUpStatus.OPEN,
        reference=new_reference(session), attempts=0,
    ), (CallbackRequest.call_id == call.id) & (CallbackRequest.kind == kind))
    if not added:
        return request if _reopen(session, request, chapter, now) else None
    if kind is FollowUpKind.CALLBACK and asked_by_caller:
        lifecycle.set_outcome(session, call, Outcome.CALLBACK_REQUESTED)
    schedule_attempt(session, request, chapter, now)
    return request


def _reopen(session: Session, request: CallbackRequest, chapter: Chapter, now: datetime
            ) -> bool:
    """Open an ended request again (and schedule its next attempt); False if it may not."""
    if request.status is FollowUpStatus.OPEN:
        return True
    if request.kind is FollowUpKind.CALLBACK:
        attempts = 0
    elif request.attempts >= attempts_allowed(request, chapter):
        return False
    else:
        attempts = request.attempts
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request.id, CallbackRequest.status != FollowUpStatus.OPEN)
        .values(status=FollowUpStatus.OPEN, ended_at=None, requested_at=now, attempts=attempts,
                claimed_volunteer_id=None, claimed_at=None)
        .execution_options(synchronize_session=False))
    session.refresh(request)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        schedule_attempt(session, request, chapter, now)
    return True


def schedule_attempt(session: Session, request: CallbackRequest, chapter: Chapter,
                     now: datetime, *, retry: bool = False) -> None:
    """The request's next attempt, as scheduled work (once per attempt of this asking; a
    `retry` of an attempt no volunteer could make, RETRY_UNAVAILABLE from now)."""
    asked = int(request.requested_at.timestamp())
    key = f"followup-{request.id}-{asked}-attempt-{request.attempts + 1}"
    not_before = None
    if retry:
        not_before = now + RETRY_UNAVAILABLE
        key += f"-retry-{int(now.timestamp())}"
    schedule(session, kinds.FOLLOWUP_ATTEMPT, request.id,
             attempt_due(request, chapter, now, not_before), key=key, now=now)


def still_owed(session: Session, request: CallbackRequest, caller_hash: str,
               now: datetime) -> bool:
    """Whether attempts should go on: still open, and (for a check-in, which we offered
    rather than they asked for) the caller's number has not opted out by texting STOP."""
    if request.status is not FollowUpStatus.OPEN:
        return False
    if (request.kind is not FollowUpKind.CALLBACK and caller_hash
            and is_opted_out(session, caller_hash)):
        end(session, request, FollowUpStatus.CANCELED, now)
        return False
    return True


def end(session: Session, request: CallbackRequest, status: FollowUpStatus, now: datetime
        ) -> bool:
    """Close the request (once) and call off its pending attempts."""
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request.id,
               CallbackRequest.status == FollowUpStatus.OPEN)
        .values(status=status, ended_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(request)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    cancel_for(session, kinds.FOLLOWUP_ATTEMPT, request.id)
    for attempt in session.scalars(select(Call).where(
            Call.followup_id == request.id, Call.phase == Phase.HOLDING)):
        # An attempt still looking for a volunteer is no longer needed: off the line, and
        # any phone ringing for it stopped.
        lifecycle.leave_queue(session, attempt, now)
        attempt.result = AttemptResult.CANCELED
        jobs.enqueue(session, jobs.STOP_LEGS, attempt.id, 0, key=f"stop-legs-{attempt.id}-0")
    return True


def attempt_ended(session: Session, attempt: Call, result: AttemptResult, now: datetime
                  ) -> None:
    """Note an attempt's result (once); close its request, or schedule the next attempt."""
    if attempt.result is not None:
        return
    attempt.result = result
    request = session.get(CallbackRequest, attempt.followup_id) if attempt.followup_id else None
    chapter = session.get(Chapter, attempt.chapter_id) if attempt.chapter_id else None
    if request is None or chapter is None or request.status is not FollowUpStatus.OPEN:
        return
    if result is AttemptResult.ANSWERED:
        end(session, request, FollowUpStatus.DONE, now)
    elif (result is AttemptResult.VOLUNTEER_UNAVAILABLE
          and now - request.requested_at < UNAVAILABLE_GIVE_UP):
        # Nobody on call could make it, so the caller was never rung: the try does not count
        # against them. Tried again later, for as long as UNAVAILABLE_GIVE_UP.
        request.attempts = max(0, request.attempts - 1)
        schedule_attempt(session, request, chapter, now, retry=True)
    elif request.attempts >= attempts_allowed(request, chapter):
        end(session, request, FollowUpStatus.GAVE_UP, now)
    else:
        schedule_attempt(session, request, chapter, now)


def caller_reached(session: Session, call: Call, now: datetime) -> int:
    """A caller talking to a volunteer now needs no call-back from before: close those
    still open in the chapter; how many."""
    if not call.caller_hash or call.chapter_id is None or call.kind is not CallKind.INBOUND:
        return 0
    owed = session.scalars(
        select(CallbackRequest).join(Call, Call.id == CallbackRequest.call_id)
        .where(Call.caller_hash == call.caller_hash, Call.chapter_id == call.chapter_id,
               Call.id != call.id, CallbackRequest.status == FollowUpStatus.OPEN,
               CallbackRequest.kind == FollowUpKind.CALLBACK)).all()
    closed = 0
    for request in owed:
        closed += end(session, request, FollowUpStatus.REACHED_ELSEWHERE, now)
    return closed


def stop_checkins(session: Session, caller_hash: str, now: datetime) -> int:
    """The number said STOP: call off every check-in still owed to it (a call-back they
    asked for stays); how many."""
    owed = session.scalars(
        select(CallbackRequest).join(Call, Call.id == CallbackRequest.call_id)
        .where(Call.caller_hash == caller_hash, CallbackRequest.status == FollowUpStatus.OPEN,
               CallbackRequest.kind != FollowUpKind.CALLBACK)).all()
    return sum(end(session, request, FollowUpStatus.CANCELED, now) for request in owed)
