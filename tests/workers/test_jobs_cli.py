"""`hotline jobs` and `hotline jobs retry`: failed work is visible, with its reason (masked),
and runs again when asked; on the embedded default and on RQ."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.db import make_engine
from hotline.jobs import Job, ManualRunner, ThreadRunner
from hotline.roster.models import Volunteer
from hotline.rqjobs import queue_names, worker_classes
from hotline.runtime import Runtime, build_runtime
from hotline.telephony import TelephonyError
from hotline.texts import outbox
from hotline.texts.models import OutboundText, TextStatus
from hotline.work import schedule
from hotline.work.models import ScheduledTask, TaskStatus
from tests.conftest import FixedClock, RecordingTelephony, make_settings
from tests.test_cli import run

CALLER = "+16175550199"
ANN = "+16175550111"


class RefusingTelephony(RecordingTelephony):
    """A network that refuses every text, naming the number as Twilio's messages do."""

    def send_sms(self, to: str, from_: str, body: str) -> str:
        raise TelephonyError(f"The 'To' number {to} is not reachable", code=30003)

    def find_sms(self, to: str, from_: str, since: datetime, body: str) -> str | None:
        return None


def broken(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    raise RuntimeError(f"nobody reachable at {CALLER}")


@pytest.fixture
def committed(clean_database_url: str) -> Iterator[tuple[Runtime, FixedClock]]:
    """A runtime that commits to a database the CLI then reads."""
    clock = FixedClock(datetime(2026, 3, 10, 18, 30, tzinfo=UTC))
    runtime = build_runtime(make_settings(clean_database_url), telephony=RefusingTelephony(),
                            jobs=ManualRunner(clock), clock=clock)
    yield runtime, clock
    runtime.engine.dispose()


def pending_task(runtime: Runtime, clock: FixedClock, key: str) -> int:
    with runtime.transaction() as session:
        return schedule.schedule(session, "voicemail_unclaimed", 1, clock.now, key=key,
                                 now=clock.now).id


def fail_a_task_and_a_text(runtime: Runtime, clock: FixedClock) -> tuple[int, int]:
    with runtime.transaction() as session:
        task = schedule.schedule(session, "voicemail_unclaimed", 1, clock.now, key="t-1",
                                 now=clock.now)
        ann = Volunteer(name="Ann Example", phone=ANN)
        session.add(ann)
        session.flush()
        text = outbox.queue_text(session, key="x-1", kind="alert", from_number="+16175550100",
                                 body="A message is waiting", now=clock.now,
                                 volunteer_id=ann.id)
        ids = task.id, text.id
    for _ in range(schedule.MAX_ATTEMPTS):
        schedule.run(runtime, ids[0], {"voicemail_unclaimed": broken})
        outbox.send(runtime, ids[1])
        clock.now += timedelta(hours=2)           # past every backoff
    return ids


def test_failed_work_is_listed_masked_and_runs_again_when_retried(
    committed: tuple[Runtime, FixedClock], clean_database_url: str, tmp_path: Path,
) -> None:
    runtime, clock = committed
    task_id, text_id = fail_a_task_and_a_text(runtime, clock)
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    listed = run(["jobs", "--failed", "--format", "json"], tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    assert CALLER not in listed.stdout and ANN not in listed.stdout
    out = json.loads(listed.stdout)
    assert "inside `hotline serve`" in out["source"]          # the embedded default says so
    by_id = {item["id"]: item for item in out["jobs"]}
    assert set(by_id) == {f"task-{task_id}", f"text-{text_id}"}
    assert by_id[f"task-{task_id}"]["state"] == "failed"
    assert by_id[f"task-{task_id}"]["tries"] == schedule.MAX_ATTEMPTS
    assert by_id[f"task-{task_id}"]["error"] == "RuntimeError: nobody reachable at ***0199"
    assert by_id[f"text-{text_id}"]["error"] == "The 'To' number ***0111 is not reachable"

    retried = run(["jobs", "retry", f"task-{task_id}"], tmp_path, **env)
    assert retried.returncode == 0, retried.stderr
    assert "due again now" in retried.stdout
    assert run(["jobs", "retry", f"text-{text_id}"], tmp_path, **env).returncode == 0
    with runtime.sessions() as session:
        task = session.get(ScheduledTask, task_id)
        text = session.get(OutboundText, text_id)
        assert task is not None and text is not None
        assert (task.status, task.attempts) == (TaskStatus.PENDING, 0)
        assert (text.status, text.tries) == (TextStatus.INTENT, 0)
    # Due now and its own job left to a sweep (the CLI exits at once): the sweep finds it.
    clock.now = datetime.now(UTC) + schedule.SWEEP_GRACE + timedelta(seconds=1)
    with runtime.engine.connect() as conn:
        assert task_id in schedule.overdue(conn, clock.now)
        assert text_id in outbox.overdue(conn, clock.now)
    everything = run(["jobs"], tmp_path, **env)
    assert f"task-{task_id}" in everything.stdout and "pending" in everything.stdout


def test_retry_refuses_what_is_not_failed_in_one_line(
    committed: tuple[Runtime, FixedClock], clean_database_url: str, tmp_path: Path,
) -> None:
    task_id = pending_task(*committed, "t-2")
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    for bad, says in ((f"task-{task_id}", "no failed scheduled task"),
                      ("text-999", "no failed text"), ("12", "not a job id"),
                      ("rq-abc", "queue.redis_url is empty")):
        result = run(["jobs", "retry", bad], tmp_path, **env)
        assert result.returncode == 1, bad
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    with committed[0].sessions() as session:
        status = session.scalar(select(ScheduledTask.status).where(ScheduledTask.id == task_id))
    assert status is TaskStatus.PENDING


FAILS: list[int] = []


def flaky(runtime: Runtime, row_id: int) -> None:
    FAILS.append(row_id)
    if len(FAILS) < 3:
        raise RuntimeError("not yet")


def always_fails(runtime: Runtime, row_id: int) -> None:
    raise RuntimeError(f"refused for {CALLER}")


def test_in_process_jobs_are_retried_with_backoff_then_given_up(
    monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    monkeypatch.setattr(jobs, "RETRY_INTERVALS", (0.05, 0.1, 0.2))
    FAILS.clear()
    runner = ThreadRunner(threads=1)
    runtime = build_runtime(settings, jobs=runner)
    started = time.monotonic()
    try:
        runner.submit(Job("tests.workers.test_jobs_cli.flaky", (7,)), runtime)
        deadline = time.monotonic() + 5
        while len(FAILS) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert FAILS == [7, 7, 7]                       # failed twice, then it ran
        assert time.monotonic() - started >= 0.15       # after 0.05 s, then 0.1 s
        done = threading.Event()
        calls: list[int] = []

        def counting(job: Job, rt: Runtime) -> bool:
            calls.append(job.tries)
            if job.tries == 3:
                done.set()
            return False

        monkeypatch.setattr("hotline.jobs.run_job", counting)
        runner.submit(Job("tests.workers.test_jobs_cli.always_fails", (8,)), runtime)
        assert done.wait(5)
        time.sleep(0.4)
        assert calls == [0, 1, 2, 3]                    # three retries, then given up
    finally:
        runner.stop()
        runtime.engine.dispose()


def test_rq_failed_jobs_are_listed_and_requeued(
    redis_url: str, clean_database_url: str, tmp_path: Path,
) -> None:
    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    job_class, worker_class = worker_classes()
    from redis import Redis

    redis = Redis.from_url(redis_url)
    queues = [Queue(n, connection=redis, job_class=job_class) for n in queue_names(name)]
    try:
        failing = queues[1].enqueue("tests.workers.test_jobs_cli.always_fails", 5)
        later = queues[1].enqueue_in(timedelta(hours=1), "tests.workers.test_jobs_cli.flaky", 6)
        carrier = queues[1].enqueue_in(timedelta(hours=1), jobs.RUN_TASK, 12)
        engine = make_engine(clean_database_url)
        worker = worker_class(queues, connection=redis)
        worker.runtime = build_runtime(make_settings(clean_database_url),
                                       jobs=ManualRunner(FixedClock()))
        worker.work(burst=True)
        engine.dispose()
        env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_QUEUE_REDIS_URL": redis_url,
               "HOTLINE_QUEUE_NAME": name}
        listed = run(["jobs", "--format", "json"], tmp_path, **env)
        assert listed.returncode == 0, listed.stderr
        out = json.loads(listed.stdout)
        states = {item["id"]: (item["state"], item["error"]) for item in out["jobs"]}
        assert states[f"rq-{failing.id}"] == ("failed", "RuntimeError: refused for ***0199")
        assert states[f"rq-{later.id}"][0] == "scheduled"
        what = {item["id"]: item["what"] for item in out["jobs"]}
        assert what[f"rq-{carrier.id}"] == f"{jobs.RUN_TASK}(12), runs task-12"
        assert "runs" not in what[f"rq-{later.id}"]
        assert CALLER not in listed.stdout
        retried = run(["jobs", "retry", f"rq-{failing.id}"], tmp_path, **env)
        assert retried.returncode == 0, retried.stderr
        assert queues[1].get_job_ids() == [failing.id]
        again = run(["jobs", "retry", f"rq-{failing.id}"], tmp_path, **env)
        assert again.returncode == 1 and "no failed job" in again.stderr
    finally:
        for queue in queues:
            queue.delete(delete_jobs=True)


def test_redis_down_lists_the_database_s_work_and_says_so(
    committed: tuple[Runtime, FixedClock], clean_database_url: str, tmp_path: Path,
) -> None:
    task_id = pending_task(*committed, "t-3")
    env = {"HOTLINE_DATABASE_URL": clean_database_url,
           "HOTLINE_QUEUE_REDIS_URL": "redis://127.0.0.1:1/0"}
    listed = run(["jobs"], tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    assert "cannot reach Redis" in listed.stdout and f"task-{task_id}" in listed.stdout
    retried = run(["jobs", "retry", "rq-abc"], tmp_path, **env)
    assert retried.returncode == 2 and retried.stderr.count("\n") == 1
    assert "queue.redis_url: cannot reach Redis" in retried.stderr


def test_a_retry_is_audited_and_the_log_still_verifies(
    committed: tuple[Runtime, FixedClock], clean_database_url: str, tmp_path: Path,
) -> None:
    from hotline.audit.log import verify
    from hotline.audit.models import AuditEntry

    runtime, clock = committed
    task_id, text_id = fail_a_task_and_a_text(runtime, clock)
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    for item in (f"task-{task_id}", f"text-{text_id}"):
        assert run(["jobs", "retry", item], tmp_path, **env).returncode == 0
    assert run(["jobs", "retry", f"task-{task_id}"], tmp_path, **env).returncode == 1
    with runtime.sessions() as session:
        log = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [(e.action, e.subject) for e in log] == [
            ("job.retry", f"task-{task_id}"), ("job.retry", f"text-{text_id}")]
        assert all(e.actor.startswith("cli:") for e in log)
        assert log[0].before == {"state": "failed"}
        assert log[0].after["state"] == "pending" and log[0].after["what"] == "voicemail_unclaimed"
        assert verify(session).problems == ()
