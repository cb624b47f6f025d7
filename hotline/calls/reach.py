"""Both ends of an attempt once a volunteer has taken it: the volunteer holding in its queue,
and the caller's phone we dial, screened so that nobody but the caller learns who calls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.callbacks.requests import attempt_ended
from hotline.calls.decisions import (
    CallerScreen,
    Goodbye,
    JoinVolunteer,
    Leave,
    StillDialling,
    Unreached,
    WrapUp,
    speech_of,
)
from hotline.calls.events import CallStatus, QueueResult, StatusEvent
from hotline.logs import lifecycle, records
from hotline.logs.models import AttemptResult, Call, CallbackRequest, CallKind, CallLeg, Phase
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

_RESULTS = {CallStatus.BUSY: AttemptResult.BUSY, CallStatus.FAILED: AttemptResult.FAILED,
            CallStatus.NO_ANSWER: AttemptResult.NO_ANSWER,
            CallStatus.CANCELED: AttemptResult.NO_ANSWER,
            CallStatus.COMPLETED: AttemptResult.NO_ANSWER}


def _attempt(session: Session, attempt_id: int) -> tuple[Call, Chapter]:
    attempt = session.get(Call, attempt_id)
    if attempt is None or attempt.kind is CallKind.INBOUND or attempt.chapter_id is None:
        raise LookupError(f"no attempt {attempt_id}")
    chapter = session.get(Chapter, attempt.chapter_id)
    if chapter is None:
        raise LookupError(f"attempt {attempt_id} has no chapter")
    return attempt, chapter


def _as_caller(session: Session, attempt_id: int, call_sid: str) -> tuple[Call, Chapter]:
    """The attempt, if `call_sid` is our call to its caller (or its first word of itself:
    the dialler may have died before noting the SID)."""
    attempt, chapter = _attempt(session, attempt_id)
    known = attempt.caller_leg_sid
    if known is None or known.startswith("pending:"):
        attempt.caller_leg_sid = call_sid
    elif known != call_sid:
        raise LookupError(f"attempt {attempt_id} did not dial {call_sid}")
    return attempt, chapter


def _as_volunteer(session: Session, attempt_id: int, call_sid: str) -> tuple[Call, Chapter,
                                                                              CallLeg]:
    attempt, chapter = _attempt(session, attempt_id)
    leg = session.get(CallLeg, attempt.answered_leg_id) if attempt.answered_leg_id else None
    if leg is None or leg.call_sid != call_sid:
        raise LookupError(f"{call_sid} is not the volunteer of attempt {attempt_id}")
    return attempt, chapter, leg


def on_caller_answered(session: Session, attempt_id: int, call_sid: str
                       ) -> CallerScreen | Goodbye:
    """Our call reached the caller's phone (a person, or a voicemail box): screen it."""
    attempt, chapter = _as_caller(session, attempt_id, call_sid)
    if attempt.phase is not Phase.ANSWERED or attempt.result is not None:
        return Goodbye(speech_of(None), "ended")        # the volunteer is gone: say nothing
    # The chapter's greeting is in its first language; another chosen: the neutral one.
    own = not attempt.language or attempt.language == chapter.language
    return CallerScreen(attempt.id, speech_of(chapter, attempt.language),
                        chapter.callback_greeting if own else "",
                        attempt.kind is CallKind.CHECKIN)


def on_caller_choice(session: Session, runtime: Runtime, attempt_id: int, call_sid: str,
                     digits: str) -> JoinVolunteer | Goodbye:
    """1 at the screen bridges the caller to the volunteer; silence hangs up, saying no more."""
    attempt, chapter = _as_caller(session, attempt_id, call_sid)
    if digits != "1" or attempt.phase is not Phase.ANSWERED or attempt.result is not None:
        return Goodbye(speech_of(None), "ended")
    attempt_ended(session, attempt, AttemptResult.ANSWERED, runtime.clock())
    return JoinVolunteer(attempt.call_sid, attempt.id)


def on_caller_status(session: Session, runtime: Runtime, attempt_id: int,
                     event: StatusEvent) -> None:
    """Our call to the caller ended; unless they pressed 1, the attempt did not reach them."""
    attempt, _ = _as_caller(session, attempt_id, event.call_sid)
    if not records.record_event(session, event.call_sid, event.sequence_number,
                                event.status.value, event.at):
        return
    if event.status.ended:
        attempt.ended_at = attempt.ended_at or event.at
        result = _RESULTS.get(event.status, AttemptResult.NO_ANSWER)
        attempt_ended(session, attempt, result, event.at)


def on_volunteer_wait(session: Session, attempt_id: int, call_sid: str
                      ) -> StillDialling | Leave:
    """One turn of the volunteer's wait: go on, or leave once the caller cannot be had."""
    attempt, chapter, _ = _as_volunteer(session, attempt_id, call_sid)
    if attempt.result is not None and attempt.result is not AttemptResult.ANSWERED:
        return Leave()
    return StillDialling(speech_of(chapter))


def on_volunteer_exit(session: Session, runtime: Runtime, attempt_id: int, call_sid: str,
                      result: QueueResult) -> WrapUp | Unreached | Goodbye:
    """The volunteer left the attempt's queue: after the talk, unreached, or hung up."""
    attempt, chapter, leg = _as_volunteer(session, attempt_id, call_sid)
    now = runtime.clock()
    if result.bridged:
        lifecycle.caller_gone(session, attempt, now)
        return WrapUp(leg.id, speech_of(chapter))
    if attempt.result is None:                  # they hung up while the caller was rung
        attempt_ended(session, attempt, AttemptResult.CANCELED, now)
    lifecycle.caller_gone(session, attempt, now)
    if result is QueueResult.HANGUP:
        return Goodbye(speech_of(chapter), "ended")
    request = session.get(CallbackRequest, attempt.followup_id) if attempt.followup_id else None
    again = request is not None and request.status.value == "open"
    return Unreached(speech_of(chapter), again)
