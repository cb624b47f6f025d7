"""The volunteer's side: the press-1 screen, the atomic claim, and each leg's status.

Each function takes the request's session (the view commits) and returns a decision
(hotline.calls.decisions) the voice layer renders. When a leg ends, its volunteer is free
again: the line's dispatch runs at once, for every chapter whose waiting callers they may
take, so the longest-waiting of them is offered to them next.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.requests import caller_reached, request_followup
from hotline.calls import attempts, line, listening
from hotline.calls.decisions import (
    CallerGone,
    Connect,
    Declined,
    LegAnswer,
    MentorAway,
    MentorMenu,
    Noted,
    Prompt,
    Speech,
    Taken,
    WrapUp,
    speech_of,
)
from hotline.calls.events import StatusEvent
from hotline.logs import lifecycle, queries, records
from hotline.logs.models import (
    Call,
    CallFlag,
    CallKind,
    CallLeg,
    FollowUpKind,
    LegStatus,
    Phase,
    Screen,
)
from hotline.roster import matching
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# What the volunteer is told a call is, before pressing 1.
_PURPOSES = {CallKind.INBOUND: "call", CallKind.CALLBACK: "callback",
             CallKind.CHECKIN: "checkin", CallKind.VOLUNTEER: "call"}


def _load(session: Session, leg_id: int, call_sid: str) -> tuple[CallLeg, Call, Chapter | None]:
    """The leg, its caller's call and chapter; LookupError (404) if `call_sid` is not the
    leg's own phone call: a signed request cannot claim a caller through another leg."""
    leg = session.get(CallLeg, leg_id)
    if leg is None or not _bound(session, leg, call_sid):
        raise LookupError(f"no leg {leg_id} for {call_sid}")
    call = leg.call
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    if leg.call_sid is None:
        lifecycle.dialled(session, leg, call_sid)     # the answer beat the job storing it
    return leg, call, chapter


def _bound(session: Session, leg: CallLeg, call_sid: str) -> bool:
    """Whether `call_sid` is the leg's phone call: the SID stored for it, or, before the
    ringing job has stored one, a SID of no other call or leg, on a leg whose phone was
    dialled (a REST request sent, or a plain `<Dial>` under way)."""
    if leg.call_sid is not None:
        return leg.call_sid == call_sid
    if leg.dialled_at is None and leg.status in (LegStatus.INTENT, LegStatus.WITHDRAWN):
        return False
    # Not the leg itself: its ringing job may have stored the SID since the leg was read.
    taken = session.scalar(select(CallLeg.id).where(CallLeg.call_sid == call_sid,
                                                    CallLeg.id != leg.id).limit(1))
    return taken is None and session.scalar(
        select(Call.id).where(Call.call_sid == call_sid).limit(1)) is None


def _retried(leg: CallLeg, call: Call, speech: Speech, chapter: Chapter | None
             ) -> Connect | CallerGone:
    """A request for a leg that already accepted: bridge again, or say the caller moved on."""
    if call.phase is Phase.ANSWERED and call.answered_leg_id == leg.id:
        return Connect(leg.id, speech, call.call_sid, call.id,
                       conference=listening.listens_in(chapter, call))
    return CallerGone(speech)       # its claim was undone (never bridged): not again


def on_leg_answered(session: Session, runtime: Runtime, leg_id: int, call_sid: str
                    ) -> LegAnswer:
    """The volunteer's phone picked up (a person or a voicemail box): screen or connect."""
    leg, call, chapter = _load(session, leg_id, call_sid)
    speech = speech_of(chapter)
    if leg.trainee:
        return listening.trainee_answered(leg, call, speech)
    if leg.screen is Screen.ACCEPTED:
        return _retried(leg, call, speech, chapter)
    refusal = _refusal(call, leg, speech)
    if refusal is not None:
        return refusal
    if chapter is not None and chapter.accept_mode == "answer" and call.kind is CallKind.INBOUND:
        return _claim(session, runtime, leg, call, speech, chapter)
    asked = (matching.asked_of(chapter.language, call.language, call.experience)
             if chapter is not None else "")
    return Prompt(leg.id, speech, _PURPOSES[call.kind], asked)


def on_leg_digits(session: Session, runtime: Runtime, leg_id: int, call_sid: str,
                  digits: str) -> LegAnswer:
    """The volunteer pressed a key at the screen: 1 claims the caller, anything else declines."""
    leg, call, chapter = _load(session, leg_id, call_sid)
    speech = speech_of(chapter)
    if leg.trainee:
        return listening.trainee_pressed(session, leg, call, speech, digits)
    if leg.screen is Screen.ACCEPTED:
        return _retried(leg, call, speech, chapter)
    if leg.status.ended:            # its phone call is over: a late key changes nothing
        return Declined(speech) if digits != "1" else CallerGone(speech)
    if digits != "1":
        lifecycle.answer_screen(session, leg, Screen.DECLINED)
        return Declined(speech)
    refusal = _refusal(call, leg, speech)
    if refusal is not None:
        lifecycle.answer_screen(session, leg, Screen.LATE)
        return refusal
    return _claim(session, runtime, leg, call, speech, chapter)


def on_leg_silent(session: Session, leg_id: int, call_sid: str) -> Declined:
    """The screen timed out with no key: most likely a voicemail box; it never gets the caller."""
    leg, _, chapter = _load(session, leg_id, call_sid)
    if not leg.status.ended:
        lifecycle.answer_screen(session, leg, Screen.TIMED_OUT)
    return Declined(speech_of(chapter))


def _refusal(call: Call, leg: CallLeg, speech: Speech) -> Taken | CallerGone | None:
    if call.phase is Phase.ANSWERED and call.answered_leg_id != leg.id:
        return Taken(speech)
    if call.phase is not Phase.HOLDING or leg.status.ended:
        return CallerGone(speech)
    return None


def _claim(
    session: Session, runtime: Runtime, leg: CallLeg, call: Call, speech: Speech,
    chapter: Chapter | None,
) -> Connect | Taken | CallerGone:
    now = runtime.clock()
    if not lifecycle.claim(session, call, leg, now):
        return Taken(speech) if call.phase is Phase.ANSWERED else CallerGone(speech)
    log.info("call %s answered on leg %s", call.call_sid, leg.id)
    line.stop_offers(session, call, keep_leg_id=leg.id)
    if call.kind is not CallKind.INBOUND:        # a call-back: now we dial the caller
        attempts.accepted(session, call)
        return Connect(leg.id, speech, call.call_sid, call.id, holds=True)
    caller_reached(session, call, now)
    if listening.listens_in(chapter, call):
        listening.ring_trainees(session, runtime, call, now)
        return Connect(leg.id, speech, call.call_sid, call.id, conference=True)
    return Connect(leg.id, speech, call.call_sid, call.id)


def on_leg_bridged(session: Session, leg_id: int, call_sid: str, talked: bool,
                   on_line: bool = False) -> WrapUp | CallerGone | MentorAway:
    """The volunteer's bridge ended and they are still on the line: the caller hung up
    first, so they may note a follow-up; or no bridge happened at all; or (listen-in) they
    pressed * to step out of the conference. LookupError unless `call_sid` is the SID the
    leg already has (a bridge comes after an accept)."""
    known = session.get(CallLeg, leg_id)
    if known is None or known.call_sid is None or known.call_sid != call_sid:
        raise LookupError(f"no leg {leg_id} for {call_sid}")
    leg, call, chapter = _load(session, leg_id, call_sid)
    if (on_line and listening.listens_in(chapter, call) and call.phase is Phase.ANSWERED
            and call.answered_leg_id == leg.id):
        return MentorAway(leg.id, speech_of(chapter))
    if not talked or call.answered_leg_id != leg.id:
        return CallerGone(speech_of(chapter))
    return WrapUp(leg.id, speech_of(chapter))


def on_mentor_away(session: Session, leg_id: int, call_sid: str
                   ) -> MentorMenu | WrapUp | CallerGone:
    """A moment after the mentor's conference Dial ended: still taken, so they pressed *
    (their menu); or the caller has left meanwhile (the wrap-up)."""
    leg, call, chapter = _load(session, leg_id, call_sid)
    if call.answered_leg_id != leg.id:
        return CallerGone(speech_of(chapter))
    if call.phase is Phase.ANSWERED:
        return MentorMenu(leg.id, speech_of(chapter))
    return WrapUp(leg.id, speech_of(chapter))


def on_mentor_keys(session: Session, runtime: Runtime, leg_id: int, call_sid: str,
                   digits: str) -> Connect | WrapUp | CallerGone:
    """The mentor's key at their menu: 5 lets the trainees speak, 6 mutes them again (a
    MUTE_TRAINEES job, by REST), and back into the conference; the wrap-up if the caller
    left meanwhile."""
    leg, call, chapter = _load(session, leg_id, call_sid)
    speech = speech_of(chapter)
    if call.answered_leg_id != leg.id:
        return CallerGone(speech)
    if call.phase is not Phase.ANSWERED:
        return WrapUp(leg.id, speech)
    if digits in ("5", "6"):
        stamp = int(runtime.clock().timestamp() * 1000)
        jobs.enqueue(session, jobs.MUTE_TRAINEES, call.id, int(digits == "6"),
                     key=f"mute-trainees-{call.id}-{stamp}")
    return Connect(leg.id, speech, call.call_sid, call.id, conference=True)


def on_wrap_up(session: Session, runtime: Runtime, leg_id: int, call_sid: str, digits: str
               ) -> Noted:
    """The volunteer's choice at the wrap-up menu: a check-in call or text, or a flag."""
    leg, call, chapter = _load(session, leg_id, call_sid)
    speech = speech_of(chapter)
    if call.answered_leg_id != leg.id:
        raise LookupError(f"leg {leg_id} did not talk to its caller")
    origin = session.get(Call, call.origin_call_id) if call.origin_call_id else call
    assert origin is not None
    now = runtime.clock()
    if digits in ("1", "2"):
        kind = FollowUpKind.CHECKIN_CALL if digits == "1" else FollowUpKind.CHECKIN_TEXT
        noted = request_followup(session, origin, kind, now)
        return Noted(speech, kind.value if noted is not None else "")
    if digits == "3":
        session.add(CallFlag(call_id=origin.id, volunteer_id=leg.volunteer_id, flagged_at=now))
        return Noted(speech, "flag")
    return Noted(speech, "")


def on_leg_status(session: Session, runtime: Runtime, leg_id: int, event: StatusEvent) -> None:
    """A leg's status callback: once per (CallSid, SequenceNumber), never backwards.

    A leg that ended frees its volunteer: the dispatch runs for every chapter concerned.
    """
    leg = session.get(CallLeg, leg_id)
    if leg is None or not _bound(session, leg, event.call_sid):
        raise LookupError(f"no leg {leg_id} for {event.call_sid}")
    chapters: list[int] = []
    if event.status.ended:
        chapters = line.chapters_around(session, leg.call.chapter_id,
                                        [leg.volunteer_id] if leg.volunteer_id else [])
        line.lock_chapters(session, chapters)         # before any row, as `serve` takes it
    if not records.record_event(session, event.call_sid, event.sequence_number,
                                event.status.value, event.at):
        return
    if leg.call_sid is None:       # the callback beat the job storing the SID
        lifecycle.dialled(session, leg, event.call_sid)
    if (leg.status.ended and not event.status.ended
            and not queries.network_ended(session, event.call_sid)):
        # We closed this leg (stopped, overdue, withdrawn) and the network says its phone
        # is ringing or talking: a phone nobody watches. Stop it.
        jobs.enqueue(session, jobs.STOP_LEG, leg.id,
                     key=f"stop-leg-{leg.id}-{event.sequence_number}")
        return
    if not lifecycle.move_leg(session, leg, event.status.leg_status, event.at):
        return
    call = leg.call
    if (event.status.ended and call.answered_leg_id == leg.id and call.phase is Phase.ANSWERED
            and listening.listens_in(session.get(Chapter, call.chapter_id or 0), call)):
        # The mentor left a listen-in call: it ends for the caller (and the trainees) too.
        jobs.enqueue(session, jobs.END_CONFERENCE, call.id, key=f"end-conference-{call.id}")
    if chapters:
        line.serve(session, runtime, chapters)
