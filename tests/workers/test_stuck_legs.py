"""Legs whose callbacks never come: the wave moves on, and the volunteer is free again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline import jobs
from hotline.calls.flow import Leave, on_hold
from hotline.logs.models import Call, CallLeg
from hotline.standin.phones import answers, listens
from tests.conftest import FixedClock, RecordingTelephony, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url
from tests.workers.test_calls import legs, start_call
from workers.calls import ring_wave

ANN, BOB = "+16175550111", "+16175550112"


class Collecting:
    """A job runner that only remembers: a worker that died with the job."""

    def __init__(self) -> None:
        self.jobs: list[jobs.Job] = []

    def submit(self, job: jobs.Job) -> None:
        self.jobs.append(job)


def hold(runtime: object, call_id: int, queue_time: int) -> object:
    from hotline.runtime import Runtime

    assert isinstance(runtime, Runtime)
    with runtime.transaction() as session:
        return on_hold(session, runtime, call_id, queue_time)


def test_a_wave_whose_legs_never_report_moves_on(make_runtime: RuntimeFactory) -> None:
    clock = FixedClock()
    runner = Collecting()
    runtime = make_runtime(telephony=RecordingTelephony(), clock=clock, jobs=runner)
    seed_chapter(runtime, {1: [ANN], 2: [BOB]}, ring_timeout_seconds=20)
    call_id = start_call(runtime)
    ring_wave(call_id, 0)                     # Ann's phone rings; no callback ever arrives
    clock.now += timedelta(seconds=40)
    hold(runtime, call_id, 40)
    (ann,) = legs(runtime)
    assert ann.engaged and ann.outcome is None          # still within its time: wait
    clock.now += timedelta(seconds=30)
    assert not isinstance(hold(runtime, call_id, 70), Leave)
    (ann,) = legs(runtime)
    assert ann.engaged is None and ann.outcome == "canceled"
    assert [j.args for j in runner.jobs if j.name == jobs.RING_WAVE][-1] == (call_id, 1)
    with runtime.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.current_wave == 1


def test_a_lost_ring_job_is_queued_again(make_runtime: RuntimeFactory) -> None:
    runner = Collecting()
    runtime = make_runtime(telephony=RecordingTelephony(), jobs=runner)
    seed_chapter(runtime, {1: [ANN]})
    call_id = start_call(runtime)
    assert [j.args for j in runner.jobs] == [(call_id, 0)]      # ... and never runs
    runner.jobs.clear()
    hold(runtime, call_id, 9)
    assert [(j.name, j.args) for j in runner.jobs] == [(jobs.RING_WAVE, (call_id, 0))]
    ring_wave(call_id, 0)
    runner.jobs.clear()
    hold(runtime, call_id, 18)                # the wave has its legs now: nothing more
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
        leg = CallLeg(call_id=past.id, volunteer_id=ids[ANN], wave=0, status="in-progress",
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
        assert old_leg.engaged is None and old_leg.outcome == "answered"
        assert old.talk_seconds == 300           # to the caller's hang-up, not to now
