"""The bodies of the call jobs: dispatch a new call, ring one offer, stop phones.

Creating a call has no idempotency key, so each offer is written (intent) and committed
before its REST call, marked as being dialled in a transaction of its own, and its SID
stored right after; a retried job reads the leg first and never dials one twice. Every job
takes ids only and is safe to run twice.
"""

from __future__ import annotations

import logging

from hotline.calls import line, urls
from hotline.logs import lifecycle
from hotline.logs.models import Call, CallLeg, LegStatus, Phase, Screen
from hotline.roster.models import Chapter, Volunteer
from hotline.runtime import Runtime
from hotline.telephony import OutboundCall, TelephonyError

log = logging.getLogger(__name__)


def dispatch_calls(runtime: Runtime, *call_ids: int) -> None:
    """Callers have arrived: make each one's plan, then run their chapters' dispatch once."""
    with runtime.transaction() as session:
        arrived = [call for call_id in call_ids if (call := session.get(Call, call_id))
                   and call.chapter_id is not None and call.phase is Phase.HOLDING]
        chapters = sorted({call.chapter_id for call in arrived if call.chapter_id})
        line.lock_chapters(session, chapters)
        for call in arrived:
            session.refresh(call)
            if call.phase is Phase.HOLDING:
                line.plan_call(session, runtime, call)
        line.serve(session, runtime, chapters)


def ring_leg(runtime: Runtime, leg_id: int) -> bool:
    """Dial one offer's phone; True if this run placed the call."""
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        if leg is None or leg.status is not LegStatus.INTENT or leg.dialled_at is not None:
            return False                      # placed before (a retry), or closed
        call = leg.call
        volunteer = session.get(Volunteer, leg.volunteer_id) if leg.volunteer_id else None
        chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
        if call.phase is not _wanted(leg) or volunteer is None or chapter is None:
            lifecycle.withdraw(session, leg, runtime.clock())     # the caller moved on
            return False
        if not lifecycle.start_dialling(session, leg, runtime.clock()):
            return False
        public = runtime.settings.app.public_url
        request = OutboundCall(
            to=volunteer.phone,
            from_=call.to_number,             # the volunteer sees the hotline, never the caller
            url=urls.absolute(public, urls.LEG_ANSWER, leg_id=leg.id),
            status_callback=urls.absolute(public, urls.LEG_STATUS, leg_id=leg.id),
            timeout_seconds=chapter.ring_timeout_seconds,
        )
    runtime.throttle.wait()
    try:
        sid = runtime.telephony.place_call(request)
    except TelephonyError as exc:
        log.warning("leg %s: could not place the call: %s", leg_id, exc)
        _failed(runtime, leg_id)
        return False
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        assert leg is not None
        lifecycle.dialled(session, leg, sid)
        still_wanted = leg.call.phase is _wanted(leg) and not leg.status.ended
    if not still_wanted:
        # Claimed or abandoned while we dialled (stop_legs ran before the SID existed), or
        # the leg itself was closed meanwhile: stop the phone now.
        _stop(runtime, [sid])
    return True


def _wanted(leg: CallLeg) -> Phase:
    """The phase in which the leg's phone should ring: a trainee's once the call is taken."""
    return Phase.ANSWERED if leg.trainee else Phase.HOLDING


def join_conference(runtime: Runtime, call_id: int) -> None:
    """Move the caller a volunteer took into the listen-in conference; TelephonyError if
    the network refused while the call is still taken (the job runner tries again)."""
    with runtime.sessions() as session:
        call = session.get(Call, call_id)
        if call is None or call.phase is not Phase.ANSWERED:
            return
        sid = call.call_sid
    url = urls.absolute(runtime.settings.app.public_url, urls.CONFERENCE, call_id=call_id)
    try:
        runtime.telephony.move_call(sid, url)
    except TelephonyError as exc:
        with runtime.sessions() as session:
            call = session.get(Call, call_id)
            if call is None or call.phase is not Phase.ANSWERED:
                return           # hung up meanwhile: nothing to move
        log.warning("call %s: could not move the caller into the conference: %s", call_id, exc)
        raise


def mute_trainees(runtime: Runtime, call_id: int, muted: bool) -> None:
    """Mute or unmute, in the call's conference, each trainee who joined it and is still on."""
    with runtime.sessions() as session:
        call = session.get(Call, call_id)
        if call is None or call.phase is not Phase.ANSWERED:
            return
        room = call.call_sid
        sids = [leg.call_sid for leg in call.legs if leg.trainee and leg.call_sid
                and leg.screen is Screen.ACCEPTED and not leg.status.ended]
    for sid in sids:
        runtime.telephony.mute_participant(room, sid, muted)


def end_conference(runtime: Runtime, call_id: int) -> None:
    """The mentor left: hang up the caller, whose leaving ends the conference for all."""
    with runtime.sessions() as session:
        call = session.get(Call, call_id)
        if call is None or call.phase is not Phase.ANSWERED:
            return
        sid = call.call_sid
    if _stop(runtime, [sid]):
        raise TelephonyError(f"could not end call {call_id}")


def _failed(runtime: Runtime, leg_id: int) -> None:
    """The network refused the call: the volunteer is free again, dispatch goes on."""
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        if leg is None or leg.status.ended:
            return
        chapters = line.chapters_around(session, leg.call.chapter_id,
                                        [leg.volunteer_id] if leg.volunteer_id else [])
        line.lock_chapters(session, chapters)
        session.refresh(leg)
        if lifecycle.move_leg(session, leg, LegStatus.FAILED, runtime.clock()):
            line.serve(session, runtime, chapters)


def stop_legs(
    runtime: Runtime, call_id: int, except_leg_id: int = 0, *, strict: bool = True
) -> list[str]:
    """Stop every phone still ringing or talking for the call, but `except_leg_id`'s.

    With `strict`, raise TelephonyError once all were tried if any refused to stop, so the
    job runner tries again (a stopped leg must not keep ringing).
    """
    sids: list[str] = []
    with runtime.transaction() as session:
        call = session.get(Call, call_id)
        if call is None:
            return []
        now = runtime.clock()
        for leg in call.legs:
            if leg.id == except_leg_id or leg.status.ended:
                continue
            if leg.trainee and call.phase is Phase.ANSWERED:
                continue               # listening in on the call: not an offer to stop
            if leg.call_sid is None and leg.dialled_at is None:
                lifecycle.withdraw(session, leg, now)     # never dialled: never rang
                continue
            lifecycle.stop_requested(session, leg, now)
            if leg.call_sid is not None:
                sids.append(leg.call_sid)
    failed = _stop(runtime, sids)
    if strict and failed:
        raise TelephonyError(f"could not stop {len(failed)} leg(s) of call {call_id}")
    return sids


def stop_leg(runtime: Runtime, leg_id: int) -> None:
    """Stop one leg's phone even though its record is closed; TelephonyError if it refused."""
    with runtime.sessions() as session:
        leg = session.get(CallLeg, leg_id)
        sid = leg.call_sid if leg is not None else None
    if sid is None:
        return
    log.warning("leg %s: found ringing after it was closed: stopping it again", leg_id)
    if _stop(runtime, [sid]):
        raise TelephonyError(f"could not stop leg {leg_id}")


def _stop(runtime: Runtime, sids: list[str]) -> list[str]:
    """Stop each call; the SIDs that could not be stopped."""
    failed = []
    for sid in sids:
        try:
            runtime.telephony.stop_call(sid)
        except TelephonyError as exc:
            log.warning("could not stop leg %s: %s", sid, exc)
            failed.append(sid)
    return failed
