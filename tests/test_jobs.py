from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline import jobs
from hotline.jobs import ALL_JOBS, Job, ManualRunner, ThreadRunner, enqueue, resolve
from hotline.models import Chapter
from hotline.runtime import Runtime
from tests.conftest import FixedClock


def test_every_job_name_resolves_to_a_function_of_the_runtime_and_ids() -> None:
    import inspect

    for name in ALL_JOBS:
        func = resolve(name)
        first = next(iter(inspect.signature(func).parameters.values()))
        assert first.name == "runtime" and first.annotation in ("Runtime", Runtime), name


def test_a_job_is_sent_when_the_transaction_commits_and_dropped_on_rollback(
    runtime: Runtime,
) -> None:
    runner = runtime.jobs
    assert isinstance(runner, ManualRunner)
    with runtime.transaction() as s:
        enqueue(s, jobs.RING_LEG, 1)
        assert runner.next_due() is None            # not before the commit
    assert [j.args for j in runner.pending()] == [(1,)]
    with pytest.raises(RuntimeError, match="boom"), runtime.transaction() as s:
        enqueue(s, jobs.RING_LEG, 2)
        raise RuntimeError("boom")
    assert [j.args for j in runner.pending()] == [(1,)]


def test_a_job_outside_a_transaction_is_refused(runtime: Runtime) -> None:
    with runtime.sessions() as s, pytest.raises(RuntimeError, match="Runtime.transaction"):
        enqueue(s, jobs.RING_LEG, 1)


def test_unknown_job_name_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="unknown job"), runtime.transaction() as s:
        enqueue(s, "workers.nope.nothing")


def test_manual_runner_runs_delayed_jobs_when_due(
    monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    clock = FixedClock()
    ran: list[tuple[Any, int]] = []
    monkeypatch.setattr(jobs, "resolve", lambda name: lambda rt, arg: ran.append((rt, arg)))
    runner = ManualRunner(clock)
    runner.submit(Job(jobs.RING_LEG, (1,), delay=timedelta(seconds=30)), runtime)
    runner.submit(Job(jobs.RING_LEG, (2,)), runtime)
    assert runner.run_due() == 1 and ran == [(runtime, 2)]
    clock.now += timedelta(seconds=31)
    assert runner.run_due() == 1 and ran == [(runtime, 2), (runtime, 1)]


def test_thread_runner_runs_jobs_and_survives_failures(
    monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    done = threading.Event()
    calls: list[str] = []

    def fake(rt: Runtime, arg: str) -> None:
        assert rt is runtime
        calls.append(arg)
        if arg == "boom":
            raise RuntimeError("job failed")
        done.set()

    monkeypatch.setattr(jobs, "resolve", lambda name: fake)
    runner = ThreadRunner(threads=1)
    try:
        runner.submit(Job(jobs.RING_LEG, ("boom",)), runtime)
        runner.submit(Job(jobs.RING_LEG, ("ok",), delay=timedelta(milliseconds=50)), runtime)
        assert done.wait(5)
        assert calls == ["boom", "ok"]
    finally:
        runner.stop()


def test_session_commit_reaches_the_database(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        s.add(Chapter(slug="jobs", name="J", timezone="UTC"))
    with runtime.sessions() as s:
        assert s.scalar(select(Chapter.name).where(Chapter.slug == "jobs")) == "J"


def test_a_job_carries_row_ids_only(runtime: Runtime) -> None:
    """What Redis keeps of a job is its arguments: never a phone number or an object."""
    from hotline.jobs import DISPATCH_CALLS, make_job

    assert make_job(DISPATCH_CALLS, (7, 8)).args == (7, 8)
    for bad in (("+16175550123",), (7, "7"), (True,), (object(),)):
        with pytest.raises(TypeError, match="row ids"):
            make_job(DISPATCH_CALLS, bad)
    with pytest.raises(TypeError), runtime.transaction() as session:
        enqueue(session, DISPATCH_CALLS, "+16175550123")
