"""The fast lane on the real Redis (skipped without HOTLINE_TEST_REDIS_URL)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hotline import fastlane
from hotline.fastlane import FastLane
from hotline.jobs import RING_WAVE, Job, ManualRunner, RQRunner, retry_later
from tests.conftest import FixedClock, RuntimeFactory


class Recorder:
    """A lane runner that remembers what it ran, and fails the jobs it is told to."""

    def __init__(self, fail_args: tuple[Any, ...] = ()) -> None:
        self.ran: list[tuple[str, tuple[Any, ...]]] = []
        self.failed: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_args = fail_args
        self.event = threading.Event()

    def run(self, name: str, args: tuple[Any, ...]) -> None:
        self.ran.append((name, args))
        self.event.set()
        if self.fail_args and args == self.fail_args:
            raise RuntimeError("telephony refused")

    def give_up(self, name: str, args: tuple[Any, ...]) -> None:
        self.failed.append((name, args))


@pytest.fixture
def runner(redis_url: str) -> Iterator[RQRunner]:
    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    rq = RQRunner(redis_url, name, fallback=ManualRunner(FixedClock()))
    yield rq
    for key in rq.redis.scan_iter(match=f"hotline:fastlane:{name}:*"):
        rq.redis.delete(key)
    rq.queue.delete(delete_jobs=True)


def wait_for(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def fallback_of(runner: RQRunner) -> ManualRunner:
    assert isinstance(runner.fallback, ManualRunner)
    return runner.fallback


def test_with_a_worker_serving_an_immediate_job_is_one_push_and_runs(runner: RQRunner) -> None:
    recorder = Recorder()
    server = runner.lane.serve(recorder.run, recorder.give_up, threads=2)
    try:
        runner.submit(Job(RING_WAVE, (41, 0), key="ring-41-0"))
        wait_for(lambda: recorder.ran == [(RING_WAVE, (41, 0))])
        wait_for(lambda: runner.redis.llen(server.inflight_key) == 0)
    finally:
        server.stop()
    assert runner.queue.count == 0                     # no RQ job was made
    assert fallback_of(runner).pending() == []         # nor run in this process
    assert runner.redis.llen(runner.lane.jobs_key) == 0


def test_delayed_jobs_still_go_to_rq(runner: RQRunner) -> None:
    from datetime import timedelta

    from rq import SimpleWorker

    recorder = Recorder()
    server = runner.lane.serve(recorder.run, recorder.give_up, threads=1)
    listening = SimpleWorker([runner.queue], connection=runner.redis)
    listening.register_birth()
    try:
        runner.submit(Job(RING_WAVE, (42, 1), delay=timedelta(seconds=25)))
    finally:
        listening.register_death()
        server.stop()
    assert runner.queue.scheduled_job_registry.count == 1
    assert recorder.ran == []


def test_no_worker_serving_means_no_push(runner: RQRunner) -> None:
    runner.submit(Job(RING_WAVE, (43, 0)))
    assert runner.redis.llen(runner.lane.jobs_key) == 0
    assert [j.args for j in fallback_of(runner).pending()] == [(43, 0)]


def test_the_last_worker_to_stop_closes_the_lane(runner: RQRunner) -> None:
    recorder = Recorder()
    first = runner.lane.serve(recorder.run, recorder.give_up, threads=1)
    second = runner.lane.serve(recorder.run, recorder.give_up, threads=1)
    assert FastLane(runner.redis, runner.queue.name).is_open()
    first.stop()
    assert FastLane(runner.redis, runner.queue.name).is_open()    # the other still serves
    second.stop()
    assert not FastLane(runner.redis, runner.queue.name).is_open()
    runner.submit(Job(RING_WAVE, (49, 0)))
    assert runner.redis.llen(runner.lane.jobs_key) == 0
    assert [j.args for j in fallback_of(runner).pending()] == [(49, 0)]


def test_a_failing_job_is_handed_to_rq_with_a_delay(runner: RQRunner) -> None:
    recorder = Recorder(fail_args=(44, 0))
    server = runner.lane.serve(recorder.run, retry_later(runner.queue), threads=1)
    try:
        runner.submit(Job(RING_WAVE, (44, 0)))
        wait_for(lambda: runner.queue.scheduled_job_registry.count == 1)
    finally:
        server.stop()
    (job_id,) = runner.queue.scheduled_job_registry.get_job_ids()
    job = runner.queue.fetch_job(job_id)
    assert job is not None
    assert (job.func_name, job.args) == (RING_WAVE, (44, 0))
    assert job.retries_left == 3


def test_jobs_of_a_killed_worker_run_on_another(runner: RQRunner) -> None:
    lane = runner.lane
    # A worker that died mid-job: its in-flight list holds the job, its heartbeat is gone.
    dead = lane._inflight_prefix + "dead-host:1:abc"
    runner.redis.rpush(dead, fastlane.encode(RING_WAVE, (45, 0)))
    recorder = Recorder()
    server = lane.serve(recorder.run, recorder.give_up, threads=1)
    try:
        wait_for(lambda: recorder.ran == [(RING_WAVE, (45, 0))])
    finally:
        server.stop()
    assert runner.redis.llen(dead) == 0


def test_jobs_of_a_live_worker_are_left_alone(runner: RQRunner) -> None:
    lane = runner.lane
    busy = lane._inflight_prefix + "busy-host:1:abc"
    runner.redis.set(lane._worker_prefix + "busy-host:1:abc", "1", ex=15)
    runner.redis.rpush(busy, fastlane.encode(RING_WAVE, (46, 0)))
    assert lane.reclaim() == 0
    assert runner.redis.llen(busy) == 1


def test_drain_runs_everything_queued_and_survives_a_bad_entry(
    runner: RQRunner, caplog: pytest.LogCaptureFixture,
) -> None:
    lane = runner.lane
    lane.push(RING_WAVE, (47, 0))
    runner.redis.rpush(lane.jobs_key, b"\xff not json")
    lane.push(RING_WAVE, (48, 0))
    recorder = Recorder(fail_args=(47, 0))
    assert lane.drain(recorder.run, recorder.give_up) == 3
    assert recorder.ran == [(RING_WAVE, (47, 0)), (RING_WAVE, (48, 0))]
    assert recorder.failed == [(RING_WAVE, (47, 0))]
    assert "malformed" in caplog.text
    assert runner.redis.llen(lane.jobs_key) == 0


def test_entries_round_trip_and_garbage_is_refused() -> None:
    assert fastlane.decode(fastlane.encode(RING_WAVE, (7, 2))) == (RING_WAVE, (7, 2))
    for raw in (b"5", b'{"a": 1}', b'[1, []]', b"[]", b"nope"):
        with pytest.raises(ValueError):
            fastlane.decode(raw)


def test_with_workers_running_the_call_record_is_the_hand_off(
    make_runtime: RuntimeFactory, runner: RQRunner,
) -> None:
    """No push from the webhook: the worker's dispatcher claims the call onto the lane."""
    from hotline.calls.events import InboundCall
    from hotline.calls.flow import Holding, answer_incoming, ring_new_calls
    from tests.flows.harness import CALLER, HOTLINE, seed_chapter

    runtime = make_runtime(jobs=runner)
    seed_chapter(runtime, {1: ["+16175550111"]})
    server = runner.lane.serve(Recorder().run, Recorder().give_up, threads=0)
    try:
        decision = answer_incoming(runtime, InboundCall("CA" + "e" * 32, HOTLINE, CALLER))
        assert isinstance(decision, Holding)
        assert runner.redis.llen(runner.lane.jobs_key) == 0     # nothing sent
        assert fallback_of(runner).pending() == []
        assert ring_new_calls(runtime) == [(RING_WAVE, (decision.call_id, 0))]
        assert ring_new_calls(runtime) == []
    finally:
        server.stop()


def test_without_workers_the_web_process_rings_it(
    make_runtime: RuntimeFactory, runner: RQRunner,
) -> None:
    from hotline.calls.events import InboundCall
    from hotline.calls.flow import Holding, answer_incoming, ring_new_calls
    from tests.flows.harness import CALLER, HOTLINE, seed_chapter

    runtime = make_runtime(jobs=runner)
    seed_chapter(runtime, {1: ["+16175550111"]})
    decision = answer_incoming(runtime, InboundCall("CA" + "e" * 32, HOTLINE, CALLER))
    assert isinstance(decision, Holding)
    assert [(j.name, j.args) for j in fallback_of(runner).pending()] == [
        (RING_WAVE, (decision.call_id, 0))]
    assert ring_new_calls(runtime) == []                         # not left for anyone else


def test_the_dispatcher_pushes_what_it_claims(runner: RQRunner) -> None:
    batches = [[(RING_WAVE, (50, 0)), (RING_WAVE, (51, 0))]]
    recorder = Recorder()
    server = runner.lane.serve(recorder.run, recorder.give_up, threads=1,
                               poll=lambda: batches.pop() if batches else [])
    try:
        wait_for(lambda: len(recorder.ran) == 2)
    finally:
        server.stop()
    assert recorder.ran == [(RING_WAVE, (50, 0)), (RING_WAVE, (51, 0))]
