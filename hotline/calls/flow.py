"""The caller's side of a call: answer, hold, leave for voicemail or call-back, hang up.

Each function takes the request's session (the view commits) and returns a decision the
voice layer renders as TwiML. Twilio's own requests are the clock: the hold music's
`QueueTime` decides when the caller has waited long enough, so no timer lives in a process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.calls.events import DialResult, InboundCall, QueueResult, Recording, StatusEvent
from hotline.calls.planning import Strategy, plan_from_json, plan_ring, plan_to_json
from hotline.logs import incoming, records
from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus, Outcome, Phase
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# Ringing that has not reached a single phone this long after the caller queued is
# taken as "ringing cannot start" (no worker, REST refused): fall back to a plain <Dial>.
RING_START_GRACE_SECONDS = 20
# A claimed caller is dequeued within seconds of the volunteer's "1" ("Connecting you now",
# then <Dial><Queue>). A hold request this long after the claim means no bridge is coming.
BRIDGE_GRACE_SECONDS = 30
# The ring job plans within a second of the call; past this the web process plans itself.
PLAN_GRACE_SECONDS = 5


@dataclass(frozen=True)
class Speech:
    """How the chapter speaks to its callers."""

    chapter_name: str
    language: str


@dataclass(frozen=True)
class UnknownNumber:
    pass


@dataclass(frozen=True)
class Rejected:
    pass


@dataclass(frozen=True)
class NobodyOnCall:
    call_id: int
    speech: Speech
    hours_text: str
    emergency_line: str


@dataclass(frozen=True)
class Holding:
    call_id: int
    speech: Speech
    queue: str                  # the caller's CallSid: only the claiming volunteer dequeues it
    greeting: str


Incoming = UnknownNumber | Rejected | NobodyOnCall | Holding


@dataclass(frozen=True)
class HoldMusic:
    speech: Speech
    message: str


@dataclass(frozen=True)
class Leave:
    pass


@dataclass(frozen=True)
class Menu:
    """Nobody took the call: offer a call back (press 1) or a voicemail."""

    call_id: int
    speech: Speech


@dataclass(frozen=True)
class DialTarget:
    """One volunteer's phone in the fallback `<Dial>`, with the leg that records it."""

    leg_id: int
    number: str


@dataclass(frozen=True)
class PlainDial:
    """The fallback: ring these phones with one `<Dial>` (callerId is the hotline number)."""

    call_id: int
    speech: Speech
    caller_id: str
    targets: tuple[DialTarget, ...]
    timeout_seconds: int


@dataclass(frozen=True)
class RecordMessage:
    call_id: int
    speech: Speech


@dataclass(frozen=True)
class Goodbye:
    speech: Speech
    reason: str                  # "callback", "voicemail", "no-message", "ended"


def answer_incoming(runtime: Runtime, inbound: InboundCall) -> Incoming:
    """Write the call record and answer at once; the ring plan is made by the first ring job.

    Twilio waits on this request, and so does the caller: one statement reads the line and
    writes the call (hotline.logs.incoming). The plan is made for the instant the call came
    in (its started_at) by the RING_WAVE job a moment later, and, should jobs not run at
    all, by the first hold-music request.
    """
    at = runtime.clock()
    for_workers = jobs.workers_dispatch(runtime.jobs)
    opened = runtime.atomic.run(lambda conn: incoming.open_incoming(
        conn, runtime.privacy, call_sid=inbound.call_sid, to_number=inbound.to,
        caller=inbound.caller, started_at=at, for_workers=for_workers))
    line, call_id = opened.line, opened.call_id
    if call_id is None:                 # a retried webhook: answer as the first time
        with runtime.transaction() as session:
            call = session.scalar(select(Call).where(Call.call_sid == inbound.call_sid))
            if call is None:
                raise LookupError(f"call {inbound.call_sid} is neither new nor recorded")
            return _replay(session, runtime, call)
    if line is None:
        log.warning("call %s to %s: no chapter has this number", inbound.call_sid, inbound.to)
        return UnknownNumber()
    if line.banned:
        log.info("call %s rejected: banned caller", inbound.call_sid)
        return Rejected()
    if not for_workers:     # else the record is the hand-off: a worker claims it (ring_new_calls)
        jobs.submit(runtime.jobs, jobs.RING_WAVE, call_id, 0, key=f"ring-{call_id}-0")
    return Holding(call_id, Speech(line.name, line.language), inbound.call_sid, line.greeting)


def ring_new_calls(runtime: Runtime) -> list[tuple[str, tuple[Any, ...]]]:
    """A worker's dispatcher: claim the calls left for the workers, as first-wave ring jobs."""
    claimed = runtime.atomic.run(incoming.claim_awaiting)
    return [(jobs.RING_WAVE, (call_id, 0)) for call_id in claimed]


def ensure_plan(session: Session, runtime: Runtime, call: Call) -> bool:
    """Make and store the call's ring plan once; False if nobody is on call (caller told).

    The plan is for the instant the call came in, whenever it is made, and is frozen
    with the call: later rota edits do not change it.
    """
    if call.planned_at is not None:
        return bool(call.plan)
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    if chapter is None:
        raise LookupError(f"call {call.id} has no chapter")
    strategy = Strategy.SEQUENTIAL if chapter.ring_strategy == "sequential" else Strategy.ALL
    plan = plan_ring(session, chapter.id, strategy, call.started_at)
    call.plan = plan_to_json(plan)
    call.planned_at = runtime.clock()
    if plan:
        return True
    log.warning("call %s to %s: nobody on the rota", call.call_sid, chapter.slug)
    if records.move_phase(session, call, Phase.HOLDING, Phase.LEFT):
        records.set_outcome(session, call, Outcome.NO_ONE_ON_CALL)
    return False


def _replay(session: Session, runtime: Runtime, call: Call) -> Incoming:
    chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
    if call.outcome == Outcome.UNKNOWN_NUMBER or chapter is None:
        return UnknownNumber()
    if call.outcome == Outcome.REJECTED:
        return Rejected()
    if call.planned_at is not None and not call.plan:
        return _nobody(runtime, call, chapter)
    return _holding(call, chapter)


def _speech(chapter: Chapter) -> Speech:
    return Speech(chapter.name, chapter.language or "en-US")


def _holding(call: Call, chapter: Chapter) -> Holding:
    return Holding(call.id, _speech(chapter), call.call_sid, chapter.greeting)


def _nobody(runtime: Runtime, call: Call, chapter: Chapter) -> NobodyOnCall:
    emergency = chapter.emergency_line or runtime.settings.calls.emergency_line
    return NobodyOnCall(call.id, _speech(chapter), chapter.hours_text, emergency)


def load_call(session: Session, call_id: int) -> tuple[Call, Chapter]:
    """The call and its chapter; LookupError if either is gone (the view answers 404)."""
    call = session.get(Call, call_id)
    if call is None or call.chapter_id is None:
        raise LookupError(f"no call {call_id}")
    chapter = session.get(Chapter, call.chapter_id)
    if chapter is None:
        raise LookupError(f"call {call_id} has no chapter")
    return call, chapter


def on_hold(session: Session, runtime: Runtime, call_id: int, queue_time: int) -> HoldMusic | Leave:
    """One hold-music request: keep holding, or send the caller on (spent, waited too long)."""
    call, chapter = load_call(session, call_id)
    music = HoldMusic(_speech(chapter), chapter.hold_message)
    if call.phase == Phase.ANSWERED:
        if not _bridge_failed(call, runtime.clock()):
            return music        # a volunteer is about to dequeue the caller
        _reopen(session, call)
    if call.phase != Phase.HOLDING:
        return Leave()
    if call.planned_at is None:
        if queue_time < PLAN_GRACE_SECONDS:
            return music        # the first ring job is about to plan
        # The ring job has not run (no worker, queue down): plan here and ring again.
        log.warning("call %s: no ring plan after %s s; planning in the web process",
                    call.call_sid, queue_time)
        if not ensure_plan(session, runtime, call):
            return Leave()
    from hotline.calls.legs import end_overdue_legs, ensure_wave_rings

    end_overdue_legs(session, call, chapter.ring_timeout_seconds, runtime.clock())
    ensure_wave_rings(session, call)
    never_rang = not any(leg.call_sid for leg in call.legs)
    waited_out = queue_time >= (chapter.max_wait_seconds or 90)
    if never_rang and (call.waves_spent or queue_time >= RING_START_GRACE_SECONDS or waited_out):
        if _dial_targets(session, call):
            log.warning("call %s: ringing never started; falling back to a plain Dial",
                        call.call_sid)
            return _leave(session, call, plain_dial=True) or music
    if call.waves_spent or waited_out:
        return _leave(session, call) or music
    return music


def _bridge_failed(call: Call, now: datetime) -> bool:
    """The claiming volunteer is gone, or has had ample time, and the caller still holds."""
    leg = next((leg for leg in call.legs if leg.id == call.answered_leg_id), None)
    if leg is None or LegStatus(leg.status).ended:
        return True
    since = (now - call.answered_at).total_seconds() if call.answered_at else 0.0
    return since > BRIDGE_GRACE_SECONDS


def _reopen(session: Session, call: Call) -> None:
    """Put a caller whose claim never bridged back to holding; the waves carry on."""
    from hotline.calls.legs import maybe_advance

    leg = records.reopen(session, call)
    if leg is None:
        return
    log.warning("call %s: leg %s accepted but never bridged; the caller holds again",
                call.call_sid, leg.id)
    if not LegStatus(leg.status).ended:
        jobs.enqueue(session, jobs.STOP_LEGS, call.id, 0, key=f"stop-{call.id}-reopen-{leg.id}")
    maybe_advance(session, call, call.current_wave)


def _leave(session: Session, call: Call, *, plain_dial: bool = False) -> Leave | None:
    if not records.move_phase(session, call, Phase.HOLDING, Phase.LEFT):
        return None             # claimed in the meantime: keep holding, the bridge is coming
    call.plain_dial = plain_dial
    jobs.enqueue(session, jobs.STOP_LEGS, call.id, 0, key=f"stop-{call.id}-0")
    return Leave()


def after_queue(
    session: Session, runtime: Runtime, call_id: int, result: QueueResult
) -> Menu | PlainDial | Goodbye | NobodyOnCall:
    """The caller left the queue: bridged and done, hung up, or sent on by `Leave`."""
    call, chapter = load_call(session, call_id)
    speech = _speech(chapter)
    if result in (QueueResult.BRIDGED, QueueResult.BRIDGING_IN_PROGRESS):
        return Goodbye(speech, "ended")
    if result is QueueResult.HANGUP:
        if call.phase == Phase.ANSWERED:
            # Hung up in the queue: a claim made in the meantime never reached them.
            records.reopen(session, call)
        caller_gone(session, call, runtime.clock())
        return Goodbye(speech, "ended")
    if call.phase == Phase.HOLDING:   # queue error or redirect: never strand the caller
        records.move_phase(session, call, Phase.HOLDING, Phase.LEFT)
        jobs.enqueue(session, jobs.STOP_LEGS, call.id, 0, key=f"stop-{call.id}-0")
    if call.planned_at is not None and not call.plan:
        return _nobody(runtime, call, chapter)
    if call.plain_dial:
        targets = _dial_legs(session, runtime, call)
        if targets:
            return PlainDial(call.id, speech, call.to_number, targets,
                             chapter.ring_timeout_seconds)
    return Menu(call.id, speech)


def _free_wave(session: Session, call: Call) -> list[tuple[int, str, str]]:
    """(id, name, phone) of the first planned wave with anyone free in it."""
    from hotline.roster.models import Volunteer

    busy = records.engaged_volunteers(
        session, [p.id for w in plan_from_json(call.plan) for p in w.volunteers])
    for wave in plan_from_json(call.plan):
        free = [(v.id, v.name, v.phone) for p in wave.volunteers if p.id not in busy
                if (v := session.get(Volunteer, p.id)) and v.active]
        if free:
            return free
    return []


def _dial_targets(session: Session, call: Call) -> tuple[str, ...]:
    """Phones the fallback would ring now (none: the caller goes to the menu instead)."""
    return tuple(phone for _, _, phone in _free_wave(session, call))


def _dial_legs(session: Session, runtime: Runtime, call: Call) -> tuple[DialTarget, ...]:
    """Legs for the fallback's phones, written before the `<Dial>`: the volunteers count as
    busy for other calls, and each phone's status callbacks fill in its outcome."""
    wave = len(call.plan)        # after every planned wave, so no wave logic touches them
    targets = []
    for volunteer_id, name, phone in _free_wave(session, call):
        leg = records.record_leg_intent(session, call, volunteer_id, name, wave, runtime.clock())
        if leg is not None:
            leg.status = LegStatus.QUEUED.value     # placed by Twilio's <Dial>, not by a job
            targets.append(DialTarget(leg.id, phone))
    session.flush()
    return tuple(targets)


def on_dialled(
    session: Session, runtime: Runtime, call_id: int, result: DialResult
) -> Menu | Goodbye:
    """The plain `<Dial>` ended: someone talked, or the caller is offered the menu."""
    call, chapter = load_call(session, call_id)
    if result.answered:
        now = runtime.clock()
        call.phase = Phase.FINISHED.value
        call.talk_seconds = result.duration_seconds
        # The action comes when the talk is over: the answer was DialCallDuration earlier.
        call.answered_at = call.answered_at or now - timedelta(seconds=result.duration_seconds)
        records.set_outcome(session, call, Outcome.ANSWERED)
        answered = next((leg for leg in call.legs if result.dial_call_sid
                         and leg.call_sid == result.dial_call_sid), None)
        if answered is not None:
            call.answered_leg_id = answered.id
            answered.answered_at = answered.answered_at or call.answered_at
            if answered.outcome is not None:      # its completed callback came first
                answered.outcome = LegOutcome.ANSWERED.value
        return Goodbye(_speech(chapter), "ended")
    return Menu(call.id, _speech(chapter))


def on_menu(
    session: Session, runtime: Runtime, call_id: int, digits: str
) -> Goodbye | RecordMessage:
    """The caller's key at the menu: 1 asks for a call back, anything else records a message."""
    call, chapter = load_call(session, call_id)
    if digits == "1":
        records.record_callback_request(session, call, runtime.clock())
        return Goodbye(_speech(chapter), "callback")
    return RecordMessage(call.id, _speech(chapter))


def on_recording(
    session: Session, runtime: Runtime, call_id: int, recording: Recording | None
) -> Goodbye:
    """The Record verb finished (action) or the media is ready (status callback)."""
    call, chapter = load_call(session, call_id)
    if recording is None or (recording.duration_seconds <= 0 and not recording.completed):
        return Goodbye(_speech(chapter), "no-message")
    records.record_voicemail(
        session, call, recording_sid=recording.recording_sid, recording_url=recording.url,
        duration_seconds=recording.duration_seconds,
        status="completed" if recording.completed else "recorded", at=runtime.clock(),
    )
    return Goodbye(_speech(chapter), "voicemail")


def caller_gone(session: Session, call: Call, at: datetime) -> None:
    """The caller hung up: close the record and stop every leg still ringing."""
    records.record_caller_gone(session, call, at)
    if any(leg.engaged and leg.id != call.answered_leg_id for leg in call.legs):
        jobs.enqueue(session, jobs.STOP_LEGS, call.id, call.answered_leg_id or 0,
                     key=f"stop-{call.id}-gone")


def on_call_status(session: Session, runtime: Runtime, event: StatusEvent) -> bool:
    """A status callback on the number (`/voice/status`): the caller's call, else a leg's.

    False when the CallSid is not one of ours.
    """
    call = session.scalar(select(Call).where(Call.call_sid == event.call_sid))
    if call is None:
        leg = session.scalar(select(CallLeg).where(CallLeg.call_sid == event.call_sid))
        if leg is None:
            return False
        from hotline.calls.legs import on_leg_status

        on_leg_status(session, runtime, leg.id, event)
        return True
    if not records.record_event(session, event.call_sid, event.sequence_number,
                                event.status.value, event.at):
        return True
    if event.status.ended:
        caller_gone(session, call, event.at)
    return True
