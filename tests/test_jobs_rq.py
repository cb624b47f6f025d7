"""RQ on the real Redis (skipped without HOTLINE_TEST_REDIS_URL), and its fallbacks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hotline.jobs import Job, ManualRunner, RQRunner
from tests.conftest import FixedClock

RAN: list[str] = []


def record(value: str) -> None:
    RAN.append(value)


@pytest.fixture
def queue_name() -> Iterator[str]:
    RAN.clear()
    yield f"hotline-test-{uuid.uuid4().hex[:8]}"


def test_job_goes_through_redis_to_a_worker(redis_url: str, queue_name: str) -> None:
    from rq import SimpleWorker

    fallback = ManualRunner(FixedClock())
    runner = RQRunner(redis_url, queue_name, fallback=fallback)
    listening = SimpleWorker([runner.queue], connection=runner.redis)
    listening.register_birth()  # a worker is up: the job must go to Redis
    try:
        runner.submit(Job("tests.test_jobs_rq.record", ("via-redis",)))
        assert fallback.pending() == []
        assert runner.queue.count == 1
        SimpleWorker([runner.queue], connection=runner.redis).work(burst=True)
    finally:
        listening.register_death()
        runner.queue.delete(delete_jobs=True)
    assert RAN == ["via-redis"]


def test_no_worker_listening_runs_in_process(redis_url: str, queue_name: str) -> None:
    fallback = ManualRunner(FixedClock())
    runner = RQRunner(redis_url, queue_name, fallback=fallback)
    runner.submit(Job("tests.test_jobs_rq.record", ("local",)))
    assert runner.queue.count == 0
    assert [j.args for j in fallback.pending()] == [("local",)]


def test_redis_down_runs_in_process(queue_name: str) -> None:
    fallback = ManualRunner(FixedClock())
    runner = RQRunner("redis://127.0.0.1:1/0", queue_name, fallback=fallback)
    runner.submit(Job("tests.test_jobs_rq.record", ("down",)))
    fallback.run_due()
    assert RAN == ["down"]
