from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import jobs
from hotline.jobs import ALL_JOBS, Job, ManualRunner, ThreadRunner, enqueue, resolve
from hotline.models import Chapter
from hotline.runtime import Runtime
from tests.conftest import FixedClock


def test_every_job_name_resolves() -> None:
    for name in ALL_JOBS:
        assert callable(resolve(name)), name


def test_enqueue_waits_for_commit_and_rollback_drops(runtime: Runtime) -> None:
    runner = runtime.jobs
    assert isinstance(runner, ManualRunner)
    with runtime.sessions() as s:
        with s.begin():
            enqueue(s, jobs.RING_WAVE, 1)
            assert runner.next_due() is None  # not before the commit
        assert runner.next_due() is not None
    with runtime.sessions() as s:
        s.begin()
        enqueue(s, jobs.RING_WAVE, 2)
        s.rollback()
    assert [j.args for j in runner.pending()] == [(1,)]


def test_unknown_job_name_refused(runtime: Runtime) -> None:
    with runtime.sessions() as s, pytest.raises(ValueError, match="unknown job"):
        enqueue(s, "workers.nope.nothing")


def test_manual_runner_runs_delayed_jobs_when_due(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock()
    ran: list[int] = []
    monkeypatch.setattr(jobs, "resolve", lambda name: ran.append)
    runner = ManualRunner(clock)
    runner.submit(Job(jobs.RING_WAVE, (1,), delay=timedelta(seconds=30)))
    runner.submit(Job(jobs.RING_WAVE, (2,)))
    assert runner.run_due() == 1 and ran == [2]
    clock.now += timedelta(seconds=31)
    assert runner.run_due() == 1 and ran == [2, 1]


def test_thread_runner_runs_jobs_and_survives_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    done = threading.Event()
    calls: list[str] = []

    def fake(arg: str) -> None:
        calls.append(arg)
        if arg == "boom":
            raise RuntimeError("job failed")
        done.set()

    monkeypatch.setattr(jobs, "resolve", lambda name: fake)
    runner = ThreadRunner(threads=1)
    try:
        runner.submit(Job(jobs.RING_WAVE, ("boom",)))
        runner.submit(Job(jobs.RING_WAVE, ("ok",), delay=timedelta(milliseconds=50)))
        assert done.wait(5)
        assert calls == ["boom", "ok"]
    finally:
        runner.stop()


def test_session_commit_reaches_the_database(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        s.add(Chapter(slug="jobs", name="J", timezone="UTC"))
    with runtime.sessions() as s:
        assert s.scalar(select(Chapter.name).where(Chapter.slug == "jobs")) == "J"
