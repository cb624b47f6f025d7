"""The volunteer's side: the press-1 screen, the atomic claim, leg status and wave advance."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.calls.events import StatusEvent
from hotline.calls.flow import Speech
from hotline.logs import records, stale
from hotline.logs.models import Call, CallLeg, LegStatus, Phase, Screen
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# After its ring timeout a leg reports within seconds, or within ~15 s if it picked up
# (prompt, screen timeout). Past this margin its callbacks were lost: stop waiting.
OVERDUE_MARGIN_SECONDS = 45


@dataclass(frozen=True)
class Prompt:
    """Ask the volunteer to press 1 (they hear which line is calling first)."""

    leg_id: int
    speech: Speech


@dataclass(frozen=True)
class Connect:
    """Bridge the volunteer to the caller waiting in the queue named `queue`."""

    leg_id: int
    speech: Speech
    queue: str
    call_id: int


@dataclass(frozen=True)
class Taken:
    """Someone else accepted first."""

    speech: Speech


@dataclass(frozen=True)
class CallerGone:
    """The caller hung up or moved on to voicemail before this volunteer accepted."""

    speech: Speech


@dataclass(frozen=True)
class Declined:
    speech: Speech


LegAnswer = Prompt | Connect | Taken | CallerGone | Declined


def _load(session: Session, leg_id: int) -> tuple[CallLeg, Call, Speech]:
    leg = session.get(CallLeg, leg_id)
    if leg is None:
        raise LookupError(f"no leg {leg_id}")
    call = leg.call
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    speech = Speech(chapter.name if chapter else "Hotline",
                    (chapter.language if chapter else "") or "en-US")
    return leg, call, speech


def _accept_mode(session: Session, call: Call) -> str:
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    return chapter.accept_mode if chapter else "press1"


def on_leg_answered(session: Session, runtime: Runtime, leg_id: int) -> LegAnswer:
    """The volunteer's phone picked up (a person or a voicemail box): screen or connect."""
    leg, call, speech = _load(session, leg_id)
    if leg.screen == Screen.ACCEPTED:
        if call.phase == Phase.ANSWERED and call.answered_leg_id == leg.id:
            return Connect(leg.id, speech, call.call_sid, call.id)   # a retried request
        return CallerGone(speech)     # its claim was undone (never bridged): not again
    refusal = _refusal(call, leg, speech)
    if refusal is not None:
        return refusal
    if _accept_mode(session, call) == "answer":
        return _claim(session, runtime, leg, call, speech)
    return Prompt(leg.id, speech)


def on_leg_digits(session: Session, runtime: Runtime, leg_id: int, digits: str) -> LegAnswer:
    """The volunteer pressed a key at the screen: 1 claims the caller, anything else declines."""
    leg, call, speech = _load(session, leg_id)
    if leg.screen == Screen.ACCEPTED:
        if call.phase == Phase.ANSWERED and call.answered_leg_id == leg.id:
            return Connect(leg.id, speech, call.call_sid, call.id)   # a retried request
        return CallerGone(speech)     # its claim was undone (never bridged): not again
    if digits != "1":
        if leg.screen == Screen.NONE:
            leg.screen = Screen.DECLINED.value
        return Declined(speech)
    refusal = _refusal(call, leg, speech)
    if refusal is not None:
        leg.screen = Screen.LATE.value
        return refusal
    return _claim(session, runtime, leg, call, speech)


def on_leg_silent(session: Session, leg_id: int) -> Declined:
    """The screen timed out with no key: most likely a voicemail box; it never gets the caller."""
    leg, _, speech = _load(session, leg_id)
    if leg.screen == Screen.NONE:
        leg.screen = Screen.TIMED_OUT.value
    return Declined(speech)


def _refusal(call: Call, leg: CallLeg, speech: Speech) -> Taken | CallerGone | None:
    if call.phase == Phase.ANSWERED and call.answered_leg_id != leg.id:
        return Taken(speech)
    if call.phase != Phase.HOLDING:
        return CallerGone(speech)
    return None


def _claim(
    session: Session, runtime: Runtime, leg: CallLeg, call: Call, speech: Speech
) -> Connect | Taken | CallerGone:
    if not records.claim(session, call, leg, runtime.clock()):
        return Taken(speech) if call.phase == Phase.ANSWERED else CallerGone(speech)
    log.info("call %s answered on leg %s", call.call_sid, leg.id)
    jobs.enqueue(session, jobs.STOP_LEGS, call.id, leg.id, key=f"stop-{call.id}-{leg.id}")
    return Connect(leg.id, speech, call.call_sid, call.id)


def on_leg_status(session: Session, runtime: Runtime, leg_id: int, event: StatusEvent) -> None:
    """A leg's status callback: once per (CallSid, SequenceNumber), never backwards."""
    leg = session.get(CallLeg, leg_id)
    if leg is None:
        raise LookupError(f"no leg {leg_id}")
    if leg.call_sid not in (None, event.call_sid):
        raise LookupError(f"leg {leg_id} is not {event.call_sid}")
    if not records.record_event(session, event.call_sid, event.sequence_number,
                                event.status.value, event.at):
        return
    if leg.call_sid is None:       # the callback beat the job storing the SID
        records.record_leg_sid(session, leg, event.call_sid)
    if (LegStatus(leg.status).ended and not event.status.ended
            and not records.network_ended(session, event.call_sid)):
        # We closed this leg (stopped, overdue, never dialled as far as we knew) and the
        # network says its phone is ringing or talking: a phone nobody watches. Stop it.
        jobs.enqueue(session, jobs.STOP_LEG, leg.id,
                     key=f"stop-leg-{leg.id}-{event.sequence_number}")
        return
    if records.record_leg_status(session, leg, event.status, event.at) and event.status.ended:
        maybe_advance(session, leg.call, leg.wave)


def maybe_advance(session: Session, call: Call, wave: int) -> None:
    """Start the next wave once every leg of `wave` ended without an accept."""
    if call.phase != Phase.HOLDING or call.current_wave != wave or call.waves_spent:
        return
    # Two legs of a wave ending at once, in two transactions, would each see the other still
    # ringing and neither advance: lock the call, then read the legs as committed now.
    session.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    session.refresh(call)
    if call.phase != Phase.HOLDING or call.current_wave != wave or call.waves_spent:
        return
    legs = session.scalars(
        select(CallLeg).where(CallLeg.call_id == call.id, CallLeg.wave == wave)
        .execution_options(populate_existing=True)
    )
    if any(not LegStatus(leg.status).ended for leg in legs):
        return
    following = records.advance_wave(session, call, wave, len(call.plan))
    if following is not None:
        jobs.enqueue(session, jobs.RING_WAVE, call.id, following,
                     key=f"ring-{call.id}-{following}")
    else:
        log.info("call %s: every wave rang out", call.call_sid)


def end_overdue_legs(session: Session, call: Call, ring_timeout: int, now: datetime) -> bool:
    """Close the current wave's legs that should have reported long ago, then move on.

    A lost final callback (or a ring job that died after writing its legs) would otherwise
    hold the wave open: the later tiers never ring and the caller waits for nothing.
    """
    if call.phase != Phase.HOLDING or call.waves_spent:
        return False
    limit = timedelta(seconds=ring_timeout + OVERDUE_MARGIN_SECONDS)
    overdue = [leg for leg in call.legs if leg.wave == call.current_wave
               and not LegStatus(leg.status).ended and now - leg.created_at > limit]
    for leg in overdue:
        log.warning("call %s: leg %s never reported its end; closing it", call.call_sid, leg.id)
        leg.stop_requested_at = leg.stop_requested_at or now
        records.end_leg(session, leg, stale.closing_status(leg), now)
    if not overdue:
        return False
    session.flush()
    maybe_advance(session, call, call.current_wave)
    return True


def ensure_wave_rings(session: Session, call: Call) -> None:
    """Queue the current wave's ring job again if it has placed nothing (safe to run twice)."""
    if call.phase != Phase.HOLDING or call.waves_spent:
        return
    if any(leg.wave == call.current_wave for leg in call.legs):
        return
    jobs.enqueue(session, jobs.RING_WAVE, call.id, call.current_wave,
                 key=f"ring-{call.id}-{call.current_wave}")
