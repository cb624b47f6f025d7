"""Trainee listen-in: in a chapter with `listen_in`, a call a volunteer takes is bridged in a
Conference named after the caller's CallSid, and the trainees on call then are rung to
listen in, muted.

A trainee is never offered a caller in such a chapter (they are left out of the plan). They
are rung only once a volunteer (their mentor) has claimed the call, pass a press-1 screen of
their own (a voicemail box never joins), and join muted only while the call is still being
talked: a trainee leg that answers while the call is unclaimed (or its claim was undone)
hears that there is nothing to listen to, and never reaches the caller.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from hotline import jobs
from hotline.calls.decisions import (
    CallerGone,
    Declined,
    Goodbye,
    Holding,
    JoinConference,
    ListenIn,
    Prompt,
    Speech,
    speech_of,
)
from hotline.calls.planning import plan_for
from hotline.logs import lifecycle, records
from hotline.logs.models import Call, CallKind, CallLeg, Phase, Screen
from hotline.roster.models import Chapter
from hotline.roster.trainees import trainee_ids
from hotline.runtime import Runtime

log = logging.getLogger(__name__)


def listens_in(chapter: Chapter | None, call: Call) -> bool:
    """Whether this call is bridged in a conference (a caller who rang a listen_in line)."""
    return chapter is not None and chapter.listen_in and call.kind is CallKind.INBOUND


def ring_trainees(session: Session, runtime: Runtime, call: Call, now: datetime) -> list[int]:
    """The mentor took the call: ring each trainee on call in the chapter now (a leg of
    their own, by a RING_LEG job), and move the caller into the conference (a job). The
    ids of the trainees' legs."""
    jobs.enqueue(session, jobs.JOIN_CONFERENCE, call.id, key=f"join-conference-{call.id}")
    if call.chapter_id is None:
        return []
    on_call = [v for wave in plan_for(session, call.chapter_id, now) for v in wave.volunteers]
    trainees = trainee_ids(session, [v.id for v in on_call])
    mentor = next((leg.volunteer_id for leg in call.legs if leg.id == call.answered_leg_id),
                  None)
    rung = []
    for volunteer in on_call:
        if volunteer.id not in trainees or volunteer.id == mentor or not volunteer.phone:
            continue
        if call.caller_hash and runtime.privacy.digest(volunteer.phone) == call.caller_hash:
            continue                      # the caller's own phone
        leg = records.offer(session, call, volunteer.id, volunteer.name, now)
        if leg is None:
            continue                      # ringing or talking for another call
        leg.trainee = True
        session.flush()
        log.info("call %s: ringing trainee leg %s to listen in", call.call_sid, leg.id)
        jobs.enqueue(session, jobs.RING_LEG, leg.id, key=f"ring-leg-{leg.id}")
        rung.append(leg.id)
    return rung


def _talking(call: Call) -> bool:
    """The mentor is still talking with the caller: a trainee may join."""
    if call.phase is not Phase.ANSWERED:
        return False
    mentor = next((leg for leg in call.legs if leg.id == call.answered_leg_id), None)
    return mentor is not None and not mentor.status.ended


def trainee_answered(leg: CallLeg, call: Call, speech: Speech) -> Prompt | ListenIn | CallerGone:
    """The trainee's phone picked up (a person or a voicemail box): their press-1 screen."""
    if leg.screen is Screen.ACCEPTED:
        return ListenIn(leg.id, speech, call.call_sid) if _talking(call) else CallerGone(speech)
    if leg.status.ended or not _talking(call):
        return CallerGone(speech)
    return Prompt(leg.id, speech, "listen")


def trainee_pressed(session: Session, leg: CallLeg, call: Call, speech: Speech, digits: str
                    ) -> ListenIn | CallerGone | Declined:
    """The trainee's key at the screen: 1 joins the conference muted, while it lasts."""
    if leg.screen is Screen.ACCEPTED:
        return ListenIn(leg.id, speech, call.call_sid) if _talking(call) else CallerGone(speech)
    if leg.status.ended:
        return CallerGone(speech)
    if digits != "1":
        lifecycle.answer_screen(session, leg, Screen.DECLINED)
        return Declined(speech)
    if not _talking(call):
        # Unclaimed (never, or no longer): a trainee never reaches a caller on their own.
        lifecycle.answer_screen(session, leg, Screen.LATE)
        return CallerGone(speech)
    lifecycle.answer_screen(session, leg, Screen.ACCEPTED)
    return ListenIn(leg.id, speech, call.call_sid)


def caller_joins(session: Session, call_id: int, call_sid: str
                 ) -> JoinConference | Holding | Goodbye:
    """The caller's call, moved by JOIN_CONFERENCE: into the conference while the call is
    taken; back in line if the claim was undone meanwhile; else goodbye."""
    call = session.get(Call, call_id)
    if call is None or call.call_sid != call_sid or call.chapter_id is None:
        raise LookupError(f"no call {call_id} for {call_sid}")
    if call.phase is Phase.ANSWERED:
        return JoinConference(call.id, call.call_sid)
    if call.phase is Phase.HOLDING:
        return Holding(call.id, call.call_sid)
    return Goodbye(speech_of(session.get(Chapter, call.chapter_id)), "ended")
