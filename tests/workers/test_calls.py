"""The call jobs: ids in, the offer recorded before dialling, every one safe to run twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline import jobs
from hotline.calls.events import CallStatus, InboundCall
from hotline.calls.flow import answer_incoming
from hotline.jobs import ManualRunner
from hotline.logs import lifecycle
from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus
from hotline.runtime import Runtime
from hotline.telephony import OutboundCall, TelephonyError
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, seed_chapter
from workers.calls import dispatch_calls, ring_leg, stop_leg, stop_legs

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"
SID = "CA" + "c" * 32


def start_call(runtime: Runtime) -> int:
    answer_incoming(runtime, InboundCall(SID, HOTLINE, CALLER))
    with runtime.sessions() as session:
        call_id = session.scalar(select(Call.id).where(Call.call_sid == SID))
    assert call_id is not None
    return call_id


def legs(runtime: Runtime) -> list[CallLeg]:
    with runtime.sessions() as session:
        return list(session.scalars(select(CallLeg).order_by(CallLeg.id)))


def pending(runtime: Runtime) -> list[tuple[str, tuple[object, ...]]]:
    runner = runtime.jobs
    assert isinstance(runner, ManualRunner)
    return [(job.name, job.args) for job in runner.pending()]


def ring(runtime: Runtime, call_id: int) -> None:
    """The call's dispatch job, then each ring job it sent."""
    dispatch_calls(runtime, call_id)
    for name, args in pending(runtime):
        if name == jobs.RING_LEG:
            ring_leg(runtime, *args)  # type: ignore[arg-type]


def test_job_names_resolve_to_these_workers() -> None:
    assert jobs.resolve(jobs.DISPATCH_CALLS) is dispatch_calls
    assert jobs.resolve(jobs.RING_LEG) is ring_leg
    assert jobs.resolve(jobs.STOP_LEGS) is stop_legs
    assert jobs.resolve(jobs.STOP_LEG) is stop_leg


def test_each_job_twice_dials_each_volunteer_once(make_runtime: RuntimeFactory) -> None:
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony)
    seed_chapter(runtime, {1: [ANN, BOB], 2: [CAT]})
    call_id = start_call(runtime)
    assert pending(runtime) == [(jobs.DISPATCH_CALLS, (call_id,))]
    ring(runtime, call_id)
    ring(runtime, call_id)                      # every job again: nothing new
    assert sorted(c.to for c in telephony.placed) == [ANN, BOB]      # tier 1 only
    assert {c.from_ for c in telephony.placed} == {HOTLINE}
    rows = legs(runtime)
    assert all(leg.call_sid and leg.dialled_at for leg in rows)
    assert all(leg.status is LegStatus.QUEUED for leg in rows)


class IntentSpy(RecordingTelephony):
    """Checks the leg is committed (visible to another session) before the REST call."""

    def __init__(self, runtime_box: list[Runtime]) -> None:
        super().__init__()
        self.box = runtime_box
        self.seen: list[Any] = []

    def place_call(self, call: OutboundCall) -> str:
        leg_id = int(call.url.rsplit("/", 2)[-2])
        with self.box[0].sessions() as session:
            leg = session.get(CallLeg, leg_id)
            self.seen.append((leg.status, leg.call_sid) if leg else None)
        return super().place_call(call)


def test_intent_is_stored_before_dialling(make_runtime: RuntimeFactory) -> None:
    box: list[Runtime] = []
    spy = IntentSpy(box)
    runtime = make_runtime(telephony=spy)
    box.append(runtime)
    seed_chapter(runtime, {1: [ANN]})
    ring(runtime, start_call(runtime))
    assert spy.seen == [(LegStatus.INTENT, None)]
    assert legs(runtime)[0].call_sid is not None        # and the SID stored after


class Refusing(RecordingTelephony):
    def place_call(self, call: OutboundCall) -> str:
        raise TelephonyError("account suspended")


def test_refused_placement_fails_the_leg_and_rings_the_next_tier(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime(telephony=Refusing())
    ids = seed_chapter(runtime, {1: [ANN], 2: [BOB]})
    call_id = start_call(runtime)
    ring(runtime, call_id)
    first, second = legs(runtime)
    assert (first.volunteer_id, first.status, first.outcome, first.engaged) == (
        ids[ANN], LegStatus.FAILED, LegOutcome.FAILED, None)
    assert second.volunteer_id == ids[BOB] and second.status is LegStatus.INTENT
    assert (jobs.RING_LEG, (second.id,)) in pending(runtime)


def test_stop_legs_stops_all_but_the_winner_and_is_safe_twice(
    make_runtime: RuntimeFactory,
) -> None:
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony)
    seed_chapter(runtime, {1: [ANN, BOB, CAT]})
    call_id = start_call(runtime)
    ring(runtime, call_id)
    first, *others = legs(runtime)
    stop_legs(runtime, call_id, first.id)
    assert sorted(telephony.stopped) == sorted(str(leg.call_sid) for leg in others)
    assert first.call_sid not in telephony.stopped
    with runtime.transaction() as session:       # the network confirms one stop
        leg = session.get(CallLeg, others[0].id)
        assert leg is not None
        lifecycle.move_leg(session, leg, LegStatus.CANCELED, runtime.clock())
    telephony.stopped.clear()
    stop_legs(runtime, call_id, first.id)
    assert telephony.stopped == [others[1].call_sid]


class DiesAfterDialling(RecordingTelephony):
    """The request reaches the network, then the worker dies before storing the SID."""

    def place_call(self, call: OutboundCall) -> str:
        super().place_call(call)
        raise RuntimeError("worker killed")


def test_retried_ring_job_never_dials_a_leg_twice(make_runtime: RuntimeFactory) -> None:
    telephony = DiesAfterDialling()
    runtime = make_runtime(telephony=telephony)
    seed_chapter(runtime, {1: [ANN]})
    call_id = start_call(runtime)
    dispatch_calls(runtime, call_id)
    (leg,) = legs(runtime)
    with pytest.raises(RuntimeError):
        ring_leg(runtime, leg.id)
    ring_leg(runtime, leg.id)                      # RQ retries the job
    assert [c.to for c in telephony.placed] == [ANN]
    (leg,) = legs(runtime)
    assert leg.dialled_at is not None and leg.engaged


class StopFailsOnce(RecordingTelephony):
    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def stop_call(self, call_sid: str) -> None:
        if not self.refused:
            self.refused = True
            raise TelephonyError("HTTP 503")
        super().stop_call(call_sid)


def test_stop_job_fails_when_a_leg_would_not_stop_so_it_is_retried(
    make_runtime: RuntimeFactory,
) -> None:
    telephony = StopFailsOnce()
    runtime = make_runtime(telephony=telephony)
    seed_chapter(runtime, {1: [ANN, BOB]})
    call_id = start_call(runtime)
    ring(runtime, call_id)
    with pytest.raises(TelephonyError):
        stop_legs(runtime, call_id, 0)
    assert len(telephony.stopped) == 1             # the other leg was still stopped
    stop_legs(runtime, call_id, 0)                 # the retry
    assert sorted(set(telephony.stopped)) == sorted(str(leg.call_sid) for leg in legs(runtime))


def leg_event(runtime: Runtime, leg: CallLeg, status: CallStatus, sequence: int) -> None:
    from hotline.calls.events import StatusEvent
    from hotline.calls.legs import on_leg_status

    assert leg.call_sid is not None
    with runtime.transaction() as session:
        on_leg_status(session, runtime, leg.id,
                      StatusEvent(leg.call_sid, status, sequence, runtime.clock()))


def close_leg(runtime: Runtime, leg_id: int) -> None:
    with runtime.transaction() as session:
        leg = session.get(CallLeg, leg_id)
        assert leg is not None
        lifecycle.move_leg(session, leg, LegStatus.CANCELED, runtime.clock())


def test_a_leg_found_ringing_after_we_closed_it_is_stopped_again(
    make_runtime: RuntimeFactory,
) -> None:
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony)
    seed_chapter(runtime, {1: [ANN, BOB]})
    call_id = start_call(runtime)
    ring(runtime, call_id)
    ann, bob = legs(runtime)
    close_leg(runtime, ann.id)                 # e.g. stopped, and we took it as done
    leg_event(runtime, ann, CallStatus.RINGING, 2)         # but the network says it rings
    leg_event(runtime, bob, CallStatus.RINGING, 2)         # an open leg ringing: fine
    sent = pending(runtime)
    assert (jobs.STOP_LEG, (ann.id,)) in sent
    assert not any(name == jobs.STOP_LEG and args == (bob.id,) for name, args in sent)
    stop_leg(runtime, ann.id)
    assert telephony.stopped == [ann.call_sid]
    assert legs(runtime)[0].status is LegStatus.CANCELED   # the record stays closed


def test_a_late_ringing_after_the_network_ended_the_leg_stops_nothing(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime()
    seed_chapter(runtime, {1: [ANN]})
    call_id = start_call(runtime)
    ring(runtime, call_id)
    (ann,) = legs(runtime)[:1]
    leg_event(runtime, ann, CallStatus.NO_ANSWER, 3)       # Twilio: it ended
    leg_event(runtime, ann, CallStatus.RINGING, 2)         # an older callback, late
    assert not any(name == jobs.STOP_LEG for name, _ in pending(runtime))


class ClosedWhileDialling(RecordingTelephony):
    """The leg is closed (overdue, stopped) while the REST call is on its way."""

    def __init__(self, box: list[Runtime]) -> None:
        super().__init__()
        self.box = box

    def place_call(self, call: OutboundCall) -> str:
        close_leg(self.box[0], int(call.url.rsplit("/", 2)[-2]))
        return super().place_call(call)


def test_a_leg_closed_while_dialling_is_stopped_once_its_sid_is_known(
    make_runtime: RuntimeFactory,
) -> None:
    box: list[Runtime] = []
    telephony = ClosedWhileDialling(box)
    runtime = make_runtime(telephony=telephony)
    box.append(runtime)
    seed_chapter(runtime, {1: [ANN]})
    ring(runtime, start_call(runtime))
    (ann,) = legs(runtime)
    assert ann.call_sid is not None and telephony.stopped == [ann.call_sid]
