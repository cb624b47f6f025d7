"""Offers whose jobs or callbacks never come: the caller moves on, the volunteer is free."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline import jobs
from hotline.calls.decisions import Leave
from hotline.calls.flow import on_hold
from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus
from hotline.runtime import Runtime
from hotline.standin.phones import answers, listens
from tests.conftest import FixedClock, RecordingTelephony, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url
from tests.workers.test_calls import SID, legs, start_call
from workers.calls import dispatch_calls, ring_leg

ANN, BOB = "+16175550111", "+16175550112"


class Collecting:
    """A job runner that only remembers: a worker that died with the job."""

    def __init__(self) -> None:
        self.jobs: list[jobs.Job] = []

    def submit(self, job: jobs.Job, runtime: Runtime) -> None:
        self.jobs.append(job)

    def wakes_by_notify(self) -> bool:
        return False

    def sent(self, name: str) -> list[tuple[object, ...]]:
        return [job.args for job in self.jobs if job.name == name]


def hold(runtime: Runtime, call_id: int, queue_time: int) -> object:
    with runtime.transaction() as session:
        return on_hold(session, runtime, call_id, SID, queue_time)


def test_a_tier_whose_legs_never_report_moves_on(make_runtime: RuntimeFactory) -> None:
    clock = FixedClock()
    runner = Collecting()
    runtime = make_runtime(telephony=RecordingTelephony(), clock=clock, jobs=runner)
    seed_chapter(runtime, {1: [ANN], 2: [BOB]}, ring_timeout_seconds=20)
    call_id = start_call(runtime)
    dispatch_calls(runtime, call_id)
    (ann,) = legs(runtime)
    ring_leg(runtime, ann.id)                 # Ann's phone rings; no callback ever arrives
    clock.now += timedelta(seconds=40)
    hold(runtime, call_id, 40)
    (ann,) = legs(runtime)
    assert ann.engaged and ann.outcome is None          # still within its time: wait
    clock.now += timedelta(seconds=30)
    assert not isinstance(hold(runtime, call_id, 70), Leave)
    ann, bob = legs(runtime)
    assert ann.engaged is None and ann.outcome is LegOutcome.CANCELED
    assert bob.status is LegStatus.INTENT and runner.sent(jobs.RING_LEG)[-1] == (bob.id,)
    with runtime.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.tier_index == 1


def test_lost_dispatch_and_ring_jobs_are_made_up_for_by_the_hold_music(
    make_runtime: RuntimeFactory,
) -> None:
    clock = FixedClock()
    runner = Collecting()
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony, clock=clock, jobs=runner)
    seed_chapter(runtime, {1: [ANN]})
    call_id = start_call(runtime)
    assert runner.sent(jobs.DISPATCH_CALLS) == [(call_id,)]      # ... and it never runs
    runner.jobs.clear()
    clock.now += timedelta(seconds=2)
    hold(runtime, call_id, 2)                 # the job is about to plan: just music
    assert runner.jobs == [] and legs(runtime) == []
    clock.now += timedelta(seconds=7)
    hold(runtime, call_id, 9)                 # no plan yet: the web process plans, offers
    (ann,) = legs(runtime)
    assert runner.sent(jobs.RING_LEG) == [(ann.id,)]           # ... and that job is lost too
    runner.jobs.clear()
    clock.now += timedelta(seconds=5)
    hold(runtime, call_id, 14)
    assert runner.sent(jobs.RING_LEG) == [(ann.id,)]           # queued again
    ring_leg(runtime, ann.id)
    ring_leg(runtime, ann.id)                 # both copies ran: one call placed
    assert [c.to for c in telephony.placed] == [ANN]
    runner.jobs.clear()
    clock.now += timedelta(seconds=5)
    hold(runtime, call_id, 19)                # the offer is dialled: nothing more to do
    assert runner.jobs == []


def test_volunteer_whose_last_callback_was_lost_is_rung_again(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=3)})
    ids = seed_chapter(line.runtime, {1: [ANN]})
    now = line.board.now()
    with line.runtime.transaction() as session:  # Ann's call ended ten minutes ago; the
        past = Call(call_sid="CA" + "e" * 32, to_number=HOTLINE, phase="answered",  # end of
                    outcome="answered", started_at=now - timedelta(minutes=20),  # her leg
                    answered_at=now - timedelta(minutes=15),            # was never heard
                    ended_at=now - timedelta(minutes=10))
        session.add(past)
        session.flush()
        leg = CallLeg(call_id=past.id, volunteer_id=ids[ANN], status="in-progress",
                      screen="accepted", engaged=True, call_sid="CA" + "f" * 32,
                      created_at=now - timedelta(minutes=16))
        session.add(leg)
        session.flush()
        past.answered_leg_id = leg.id
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=300),
                           status_callback=status_url())
    assert report.bridged_to == ANN
    with line.runtime.sessions() as session:
        old = session.scalar(select(Call).where(Call.call_sid == "CA" + "e" * 32))
        assert old is not None
        (old_leg,) = old.legs
        assert old_leg.engaged is None and old_leg.outcome is LegOutcome.ANSWERED
        assert old.talk_seconds == 300           # to the caller's hang-up, not to now
