"""RQ on the real Redis (skipped without HOTLINE_TEST_REDIS_URL), and its fallbacks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from rq import Queue

from hotline.jobs import Job, ManualRunner
from hotline.rqjobs import RQRunner, alive_key, queue_names, worker_classes
from hotline.runtime import Runtime
from tests.conftest import FixedClock

RAN: list[tuple[Runtime, str]] = []


def record(runtime: Runtime, value: str) -> None:
    RAN.append((runtime, value))


@pytest.fixture
def queue_name() -> Iterator[str]:
    RAN.clear()
    yield f"hotline-test-{uuid.uuid4().hex[:8]}"


def test_a_job_goes_through_redis_to_a_worker_with_its_runtime(
    redis_url: str, queue_name: str, runtime: Runtime
) -> None:
    fallback = ManualRunner(FixedClock())
    runner = RQRunner(redis_url, queue_name, fallback=fallback)
    runner.redis.set(alive_key(queue_name), "1", ex=15)     # a worker's heartbeat is fresh
    job_class, worker_class = worker_classes()
    queues = [Queue(name, connection=runner.redis, job_class=job_class)
              for name in queue_names(queue_name)]
    try:
        runner.submit(Job("tests.test_rqjobs.record", ("via-redis",)), runtime)
        assert fallback.pending() == []
        assert sum(queue.count for queue in queues) == 1
        worker = worker_class(queues, connection=runner.redis)
        worker.runtime = runtime
        worker.work(burst=True)
    finally:
        runner.redis.delete(alive_key(queue_name))
        for queue in queues:
            queue.delete(delete_jobs=True)
    assert RAN == [(runtime, "via-redis")]


def test_no_worker_alive_runs_in_process(
    redis_url: str, queue_name: str, runtime: Runtime
) -> None:
    fallback = ManualRunner(FixedClock())
    runner = RQRunner(redis_url, queue_name, fallback=fallback)
    runner.submit(Job("tests.test_rqjobs.record", ("local",)), runtime)
    assert runner.calls.count == 0 and runner.other.count == 0
    assert [j.args for j in fallback.pending()] == [("local",)]
    assert not runner.wakes_by_notify()


def test_redis_down_runs_in_process(queue_name: str, runtime: Runtime) -> None:
    fallback = ManualRunner(FixedClock())
    runner = RQRunner("redis://127.0.0.1:1/0", queue_name, fallback=fallback, notify=True)
    runner.submit(Job("tests.test_rqjobs.record", ("down",)), runtime)
    fallback.run_due()
    assert RAN == [(runtime, "down")]
    assert not runner.wakes_by_notify()
