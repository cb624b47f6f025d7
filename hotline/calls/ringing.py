"""Placing and stopping volunteer legs: the bodies of the RING_WAVE and STOP_LEGS jobs.

Creating a call has no idempotency key, so each leg is written (intent) and committed
before its REST call, and its SID stored right after; a retried job reads the leg first
and never dials a leg that has a SID or has heard from the network. Both are safe to run
twice and take ids only.
"""

from __future__ import annotations

import logging

from hotline.calls import urls
from hotline.calls.flow import ensure_plan
from hotline.calls.legs import maybe_advance
from hotline.calls.planning import plan_from_json
from hotline.calls.throttle import throttle_for
from hotline.logs import records
from hotline.logs.models import Call, CallLeg, LegStatus, Phase
from hotline.roster.models import Chapter, Volunteer
from hotline.runtime import Runtime
from hotline.telephony import OutboundCall, TelephonyError

log = logging.getLogger(__name__)


def ring_wave(runtime: Runtime, call_id: int, wave_no: int) -> list[int]:
    """Ring every free volunteer of wave `wave_no`; returns the ids of the legs dialled.

    The first wave's job also makes the call's ring plan. If nobody is on call, the
    caller's next hold-music request sends them on to the nobody-on-call message.
    """
    with runtime.transaction() as session:
        call = session.get(Call, call_id)
        if call is not None and call.phase == Phase.HOLDING:
            ensure_plan(session, runtime, call)
    with runtime.transaction() as session:
        call = session.get(Call, call_id)
        if (call is None or call.phase != Phase.HOLDING or call.current_wave != wave_no
                or call.waves_spent):
            return []
        plan = plan_from_json(call.plan)
        if wave_no >= len(plan):
            return []
        at = runtime.clock()
        pending: list[int] = []
        for person in plan[wave_no].volunteers:
            volunteer = session.get(Volunteer, person.id)
            if volunteer is None or not volunteer.active:
                continue
            leg = records.record_leg_intent(session, call, person.id, person.name, wave_no, at)
            if leg is None:
                log.info("call %s: volunteer %s is busy, not rung", call.call_sid, person.id)
                continue
            if leg.call_sid is None and leg.status == LegStatus.INTENT:
                pending.append(leg.id)
        session.flush()
        # Nobody to ring in this wave (all busy): move straight on.
        maybe_advance(session, call, wave_no)
    dialled = []
    for leg_id in pending:
        if _place(runtime, leg_id):
            dialled.append(leg_id)
    return dialled


def _place(runtime: Runtime, leg_id: int) -> bool:
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        if leg is None or leg.call_sid is not None or leg.status != LegStatus.INTENT:
            return False                      # placed before (a retry), or already heard of
        if leg.attempts > 0:
            # An earlier run died after asking for this call: it may be ringing. Dialling
            # again could ring the volunteer twice; its status callback will bring the SID,
            # or the hold loop closes the leg as overdue.
            log.warning("leg %s: an earlier attempt may have placed it; not dialling again",
                        leg_id)
            return False
        call = leg.call
        if call.phase != Phase.HOLDING:
            records.end_leg(session, leg, LegStatus.CANCELED, runtime.clock())
            return False
        volunteer = session.get(Volunteer, leg.volunteer_id) if leg.volunteer_id else None
        chapter = session.get(Chapter, call.chapter_id) if call.chapter_id else None
        if volunteer is None or chapter is None:
            records.end_leg(session, leg, LegStatus.FAILED, runtime.clock())
            return False
        leg.attempts += 1
        public = runtime.settings.app.public_url
        request = OutboundCall(
            to=volunteer.phone,
            from_=call.to_number,             # the volunteer sees the hotline, never the caller
            url=urls.absolute(public, urls.leg_answer(leg.id)),
            status_callback=urls.absolute(public, urls.leg_status(leg.id)),
            timeout_seconds=chapter.ring_timeout_seconds,
        )
    throttle_for(runtime.settings.queue.redis_url, runtime.settings.twilio.calls_per_second).wait()
    try:
        sid = runtime.telephony.place_call(request)
    except TelephonyError as exc:
        log.warning("leg %s: could not place the call: %s", leg_id, exc)
        with runtime.transaction() as session:
            leg = session.get(CallLeg, leg_id)
            if leg is not None and not LegStatus(leg.status).ended:
                records.end_leg(session, leg, LegStatus.FAILED, runtime.clock())
                maybe_advance(session, leg.call, leg.wave)
        return False
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        assert leg is not None
        records.record_leg_sid(session, leg, sid)
        still_wanted = leg.call.phase == Phase.HOLDING and not LegStatus(leg.status).ended
    if not still_wanted:
        # Claimed or abandoned while we dialled (stop_legs may have run before the SID
        # existed), or the leg itself was closed meanwhile (overdue, stopped): stop it now.
        _stop(runtime, [sid])
    return True


def stop_legs(
    runtime: Runtime, call_id: int, except_leg_id: int = 0, *, strict: bool = False
) -> list[str]:
    """Stop every leg of the call still ringing or talking, but `except_leg_id`.

    With `strict`, raise TelephonyError once all were tried if any refused to stop, so
    the job runner tries again (a stopped leg must not keep ringing).
    """
    sids: list[str] = []
    with runtime.transaction() as session:
        call = session.get(Call, call_id)
        if call is None:
            return []
        now = runtime.clock()
        for leg in call.legs:
            if leg.id == except_leg_id or LegStatus(leg.status).ended:
                continue
            if leg.call_sid is None:
                records.end_leg(session, leg, LegStatus.CANCELED, now)  # never dialled
                continue
            leg.stop_requested_at = now
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
