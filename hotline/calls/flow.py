"""The caller's side of a call: answer, hold, leave for voicemail or call-back, hang up.

Each function takes the request's session (the view commits) and returns a decision
(hotline.calls.decisions) the voice layer renders as TwiML. Twilio's own requests are the
clock: each hold-music request runs the line's dispatch (a safety sweep) and its
`QueueTime` decides when the caller has waited long enough, so no timer lives in a process.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.alerts.alerts import announce_voicemail, callback_wanted
from hotline.calls import caps, choosing, dialin, line
from hotline.calls.decisions import (
    DialTarget,
    Goodbye,
    Holding,
    HoldMusic,
    Incoming,
    Leave,
    Menu,
    NobodyOnCall,
    PlainDial,
    RecordMessage,
    Rejected,
    UnknownNumber,
    speech_of,
)
from hotline.calls.events import DialResult, InboundCall, QueueResult, Recording, StatusEvent
from hotline.calls.planning import plan_from_json
from hotline.logs import incoming, lifecycle, queries, records
from hotline.logs.models import Call, CallKind, CallLeg, LegStatus, Outcome, Phase
from hotline.roster.models import Chapter, Volunteer
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# Ringing that has not reached a single phone this long after the caller queued is taken
# as "ringing cannot start" (no worker, REST refused): fall back to a plain <Dial>.
RING_START_GRACE_SECONDS = 20
# A claimed caller is dequeued within seconds of the volunteer's "1" ("Connecting you now",
# then <Dial><Queue>). A hold request this long after the claim means no bridge is coming.
BRIDGE_GRACE_SECONDS = 30
# The dispatch job plans within a second of the call; past this the web process plans.
PLAN_GRACE_SECONDS = 5
# The pause between two hold messages: the line's clock ticks at least this often.
HOLD_PAUSE_SECONDS = 5
# A hold-music request this early in the wait is the first: the caller is greeted.
GREETING_WITHIN_SECONDS = 2


def answer_incoming(runtime: Runtime, inbound: InboundCall) -> Incoming:
    """Write the call record and answer at once; the first dispatch plans a moment later.

    Twilio waits on this request, and so does the caller: one statement reads the line and
    writes the call (hotline.logs.incoming). The plan is made for the instant the call came
    in by the DISPATCH_CALLS job, and, should no job run, by the first hold-music requests.
    """
    for_workers = runtime.jobs.wakes_by_notify()
    opened = runtime.atomic.run(lambda conn: incoming.open_incoming(
        conn, runtime.privacy, call_sid=inbound.call_sid, to_number=inbound.to,
        caller=inbound.caller, started_at=runtime.clock(), for_workers=for_workers))
    line_, call_id = opened.line, opened.call_id
    if call_id is None:                 # a retried webhook: answer as the first time
        with runtime.transaction() as session:
            call = session.scalar(select(Call).where(Call.call_sid == inbound.call_sid))
            if call is None:
                raise LookupError(f"call {inbound.call_sid} is neither new nor recorded")
            return _replay(runtime, session, call)
    if line_ is None:
        log.warning("call %s: no chapter has the number dialled", inbound.call_sid)
        return UnknownNumber()
    if line_.volunteer_id is not None:          # one of the chapter's own: their menu
        with runtime.transaction() as session:
            return dialin.greet(session, call_id, inbound.call_sid)
    if line_.banned:
        log.info("call %s rejected: banned caller", inbound.call_sid)
        return Rejected()
    if line_.cap is not None:
        return caps.turned_away(runtime, inbound.call_sid, inbound.caller, line_.cap,
                                line_.chapter_id, call_id)
    menu = choosing.first_menu(call_id, line_.menus)
    if menu is not None:        # nobody is rung until they choose (choosing.on_choice)
        return menu
    if not for_workers:         # else a worker was woken by the record itself (NOTIFY)
        runtime.submit(jobs.DISPATCH_CALLS, call_id, key=f"dispatch-calls-{call_id}")
    return Holding(call_id, inbound.call_sid)


def _replay(runtime: Runtime, session: Session, call: Call) -> Incoming:
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    if call.outcome is Outcome.UNKNOWN_NUMBER or chapter is None:
        return UnknownNumber()
    if call.kind is CallKind.VOLUNTEER:
        return dialin.greet(session, call.id, call.call_sid)
    if (turned_away := caps.replayed(call, chapter)) is not None:
        return turned_away
    if call.outcome is Outcome.REJECTED:
        return Rejected()
    if call.planned_at is not None and not call.plan:
        return _nobody(runtime, call, chapter)
    if call.chosen_at is None and (menu := choosing.first_menu(
            call.id, choosing.menus_of(chapter))) is not None:
        return menu                 # not chosen yet: the menus again, nobody rung meanwhile
    return Holding(call.id, call.call_sid)


def _nobody(runtime: Runtime, call: Call, chapter: Chapter) -> NobodyOnCall:
    calls = runtime.settings.calls
    return NobodyOnCall(call.id, speech_of(chapter, call.language), chapter.hours_text,
                        chapter.emergency_line or calls.emergency_line, calls.emergency_message,
                        can_call_back=bool(call.caller_cipher))


def load_call(session: Session, call_id: int, call_sid: str) -> tuple[Call, Chapter]:
    """The call and its chapter; LookupError if either is gone or `call_sid` is not this
    call's (the view answers 404: a signed request cannot steer another call)."""
    call = session.get(Call, call_id)
    if call is None or call.chapter_id is None or call.call_sid != call_sid:
        raise LookupError(f"no call {call_id} for {call_sid}")
    chapter = session.get(Chapter, call.chapter_id)
    if chapter is None:
        raise LookupError(f"call {call_id} has no chapter")
    return call, chapter


def _over(call: Call) -> bool:
    """The caller's call has ended: a late or replayed request for it changes nothing."""
    return call.phase in (Phase.GONE, Phase.FINISHED)


def on_hold(
    session: Session, runtime: Runtime, call_id: int, call_sid: str, queue_time: int
) -> HoldMusic | Leave:
    """One hold-music request: dispatch, then keep holding or send the caller on."""
    call, chapter = load_call(session, call_id, call_sid)
    # A sweep, not the only dispatch: if another transaction is dispatching the chapter
    # right now, it has the line in hand and this request need not wait for it.
    locked = line.lock_chapters(session, [chapter.id], wait=False)
    now = runtime.clock()
    if call.phase is Phase.ANSWERED:
        if not _bridge_failed(call, now):
            return _music(session, call, chapter, queue_time, connecting=True)
        _reopen(session, runtime, call)
    if call.phase is not Phase.HOLDING:
        return Leave()
    if call.planned_at is None:
        if queue_time < PLAN_GRACE_SECONDS:
            return _music(session, call, chapter, queue_time)   # the job is about to plan
        log.warning("call %s: no plan after %s s; planning in the web process",
                    call.call_sid, queue_time)
    if not line.plan_call(session, runtime, call):
        return Leave()
    if locked:
        line.serve(session, runtime, [chapter.id])
        session.refresh(call)
    if call.phase is not Phase.HOLDING:
        return Leave()           # spent: everyone declined or is away
    if queue_time >= chapter.max_wait_seconds:
        log.info("call %s: waited %s s, the chapter's maximum", call.call_sid, queue_time)
        return _leave(session, runtime, call)
    if queue_time >= RING_START_GRACE_SECONDS and _never_rang(session, runtime, call):
        log.warning("call %s: ringing never started; falling back to a plain Dial",
                    call.call_sid)
        return _leave(session, runtime, call, plain_dial=True)
    return _music(session, call, chapter, queue_time)


def _never_rang(session: Session, runtime: Runtime, call: Call) -> bool:
    """No phone has been dialled for this caller (no worker ran the ring jobs, or the
    network refused them) and someone on the plan is free: True after withdrawing the
    offers that were never dialled, so the fallback can ring those volunteers itself."""
    session.refresh(call, ["legs"])
    if any(leg.call_sid or leg.dialled_at for leg in call.legs):
        return False
    for leg in call.legs:
        if not leg.status.ended:
            lifecycle.withdraw(session, leg, runtime.clock())
    return bool(_free_wave(session, call))


def _music(
    session: Session, call: Call, chapter: Chapter, queue_time: int, *, connecting: bool = False
) -> HoldMusic:
    left = max(1, chapter.max_wait_seconds - queue_time)
    ringing = any(not leg.status.ended for leg in call.legs)
    # The chapter's own words are in its first language; a caller who chose another at
    # the menu hears the built-in ones, in theirs.
    own = not call.language or call.language == chapter.language
    return HoldMusic(
        speech=speech_of(chapter, call.language),
        greeting=(chapter.greeting if own else "") if queue_time < GREETING_WITHIN_SECONDS
        else None,
        message=chapter.hold_message if own else "",
        position=queries.position_in_line(session, call) if not connecting else 1,
        everyone_busy=bool(call.plan) and not ringing and not connecting,
        connecting=connecting, pause_seconds=min(HOLD_PAUSE_SECONDS, left),
        overflow=_overflow_told(session, call, connecting),
        listen_in=chapter.listen_in,
    )


def _overflow_told(session: Session, call: Call, connecting: bool) -> str:
    """The name of the overflow chapter (hotline.roster.overflow) to tell the caller of:
    `connecting`, the one whose volunteer took the call; else the one they are offered to
    now, on the first hold turn there only (then recorded as told); else ''."""
    waves = plan_from_json(call.plan)
    wave = None
    if connecting:
        leg = next((leg for leg in call.legs if leg.id == call.answered_leg_id), None)
        wave = next((w for w in waves if leg is not None
                     and any(v.id == leg.volunteer_id for v in w.volunteers)), None)
    elif 0 <= call.tier_index < len(waves):
        wave = waves[call.tier_index]
    if wave is None or wave.chapter is None:
        return ""
    if not connecting:
        if call.overflow_told == wave.chapter:
            return ""                   # said on an earlier turn: not again every turn
        call.overflow_told = wave.chapter
    return session.scalar(select(Chapter.name).where(Chapter.slug == wave.chapter)) or wave.chapter


def _bridge_failed(call: Call, now: datetime) -> bool:
    """The claiming volunteer is gone, or has had ample time, and the caller still holds."""
    leg = next((leg for leg in call.legs if leg.id == call.answered_leg_id), None)
    if leg is None or leg.status.ended:
        return True
    since = (now - call.answered_at).total_seconds() if call.answered_at else 0.0
    return since > BRIDGE_GRACE_SECONDS


def _reopen(session: Session, runtime: Runtime, call: Call) -> None:
    """Put a caller whose claim never bridged back in line; the dispatch carries on."""
    leg = lifecycle.reopen(session, call)
    if leg is None:
        return
    log.warning("call %s: leg %s accepted but never bridged; the caller waits again",
                call.call_sid, leg.id)
    if not leg.status.ended:
        jobs.enqueue(session, jobs.STOP_LEG, leg.id, key=f"stop-leg-{leg.id}-reopen")


def _leave(session: Session, runtime: Runtime, call: Call, *, plain_dial: bool = False
           ) -> HoldMusic | Leave:
    if not lifecycle.leave_queue(session, call, runtime.clock(), plain_dial=plain_dial):
        chapter = session.get(Chapter, call.chapter_id)
        # Claimed in the meantime: keep holding, the bridge is coming.
        return _music(session, call, chapter, 0, connecting=True)  # type: ignore[arg-type]
    line.stop_offers(session, call)
    return Leave()


def after_queue(
    session: Session, runtime: Runtime, call_id: int, call_sid: str, result: QueueResult
) -> Menu | PlainDial | Goodbye | NobodyOnCall:
    """The caller left the queue: bridged and done, hung up, or sent on by `Leave`."""
    call, chapter = load_call(session, call_id, call_sid)
    speech = speech_of(chapter, call.language)
    if result.bridged or _over(call):
        return Goodbye(speech, "ended")
    if result is QueueResult.HANGUP:
        if call.phase is Phase.ANSWERED:
            lifecycle.reopen(session, call)     # hung up in the queue: no bridge reached them
        caller_gone(session, runtime, call, runtime.clock())
        return Goodbye(speech, "ended")
    if call.phase is Phase.HOLDING:      # queue error or redirect: never strand the caller
        _leave(session, runtime, call)
    if call.planned_at is not None and not call.plan:
        return _nobody(runtime, call, chapter)
    if call.plain_dial:
        targets = _dial_legs(session, runtime, call)
        if targets:
            return PlainDial(call.id, speech, call.to_number, targets,
                             chapter.ring_timeout_seconds)
    return Menu(call.id, speech, can_call_back=bool(call.caller_cipher))


def _free_wave(session: Session, call: Call) -> list[tuple[int, str, str]]:
    """(id, name, phone) of the first tier of the plan with anyone free in it."""
    waves = plan_from_json(call.plan)
    busy = {leg.volunteer_id for leg in queries.engaged_legs(
        session, [v.id for wave in waves for v in wave.volunteers])}
    for wave in waves:
        free = [(v.id, v.name, person.phone) for v in wave.volunteers if v.id not in busy
                if (person := session.get(Volunteer, v.id)) and person.active]
        if free:
            return free
    return []


def _dial_legs(session: Session, runtime: Runtime, call: Call) -> tuple[DialTarget, ...]:
    """Legs for the fallback's phones, written before the `<Dial>`: the volunteers count as
    busy for other calls, and each phone's status callbacks fill in its outcome."""
    targets = []
    for volunteer_id, name, phone in _free_wave(session, call):
        leg = records.offer(session, call, volunteer_id, name, runtime.clock())
        if leg is not None:
            session.flush()
            lifecycle.move_leg(session, leg, LegStatus.QUEUED, runtime.clock())
            targets.append(DialTarget(leg.id, phone))
    return tuple(targets)


def on_dialled(
    session: Session, runtime: Runtime, call_id: int, call_sid: str, result: DialResult
) -> Menu | Goodbye:
    """The plain `<Dial>` ended: someone talked, or the caller is offered the menu."""
    call, chapter = load_call(session, call_id, call_sid)
    if not call.plain_dial:
        raise LookupError(f"call {call_id} never rang by a plain dial")
    if result.answered:
        leg = next((leg for leg in call.legs if result.dial_call_sid
                    and leg.call_sid == result.dial_call_sid), None)
        lifecycle.talked_by_plain_dial(session, call, leg, runtime.clock(),
                                       result.duration_seconds)
        return Goodbye(speech_of(chapter, call.language), "ended")
    if _over(call):
        return Goodbye(speech_of(chapter, call.language), "ended")
    return Menu(call.id, speech_of(chapter, call.language), can_call_back=bool(call.caller_cipher))


def on_menu(
    session: Session, runtime: Runtime, call_id: int, call_sid: str, digits: str
) -> Goodbye | RecordMessage:
    """The caller's key at the menu: 1 asks for a call back, anything else records a message."""
    call, chapter = load_call(session, call_id, call_sid)
    if _over(call):
        return Goodbye(speech_of(chapter, call.language), "ended")
    now = runtime.clock()
    if digits == "1" and callback_wanted(session, call, chapter, now) is not None:
        return Goodbye(speech_of(chapter, call.language), "callback")
    return RecordMessage(call.id, speech_of(chapter, call.language))


def on_recording(
    session: Session, runtime: Runtime, call_id: int, call_sid: str,
    recording: Recording | None,
) -> Goodbye:
    """The Record verb finished (action) or the media is ready (status callback)."""
    call, chapter = load_call(session, call_id, call_sid)
    if call.phase not in (Phase.LEFT, Phase.GONE):
        # A message is recorded only after the caller left the line for the menu (and
        # its media may be ready after they hung up); any other call records nothing.
        return Goodbye(speech_of(chapter, call.language), "no-message")
    if recording is None or (recording.duration_seconds <= 0 and not recording.completed):
        return Goodbye(speech_of(chapter, call.language), "no-message")
    now = runtime.clock()
    voicemail = records.record_voicemail(
        session, call, recording_sid=recording.recording_sid, recording_url=recording.url,
        duration_seconds=recording.duration_seconds,
        status="completed" if recording.completed else "recorded", at=now,
    )
    if voicemail.duration_seconds > 0:
        announce_voicemail(session, voicemail, call, chapter, now)    # once: keyed texts
    return Goodbye(speech_of(chapter, call.language), "voicemail")


def caller_gone(session: Session, runtime: Runtime, call: Call, at: datetime) -> None:
    """The caller hung up: close the record and stop every phone still ringing for them."""
    lifecycle.caller_gone(session, call, at)
    line.stop_offers(session, call, call.answered_leg_id or 0)


def on_call_status(session: Session, runtime: Runtime, event: StatusEvent) -> CallLeg | None:
    """A status callback on the number (`/voice/status`) for the caller's call; the leg
    instead when the CallSid is one of our legs' (the view hands it on), else None."""
    call = session.scalar(select(Call).where(Call.call_sid == event.call_sid))
    if call is None:
        return session.scalar(select(CallLeg).where(CallLeg.call_sid == event.call_sid))
    if records.record_event(session, event.call_sid, event.sequence_number,
                            event.status.value, event.at) and event.status.ended:
        caller_gone(session, runtime, call, event.at)
        if call.kind is CallKind.VOLUNTEER:
            _volunteer_gone(session, runtime, call, event)
    return None


def _volunteer_gone(session: Session, runtime: Runtime, call: Call, event: StatusEvent) -> None:
    """A volunteer who called in hung up: a call-back they were making on this call ends
    with it, and they are free for the next caller."""
    legs = session.scalars(select(CallLeg).where(CallLeg.call_sid == event.call_sid)).all()
    for leg in legs:
        if not leg.status.ended:
            lifecycle.move_leg(session, leg, LegStatus.COMPLETED, event.at)
    if legs:
        line.serve(session, runtime, line.chapters_around(session, call.chapter_id,
                                                          [call.volunteer_id or 0]))
