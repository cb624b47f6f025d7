"""The one place that enqueues background jobs.

Jobs are named by dotted path (code under hotline/ never imports workers/) and take
ids, never objects. `enqueue(session, ...)` holds a job until the session commits, so a
job never runs against data its request has not yet written, and a rolled-back request
enqueues nothing.

Three runners: RQ on Redis (`queue.redis_url` set), threads inside this process (one
machine, no Redis), and a manual runner that a test or simulation drives by hand. When
Redis cannot be reached, or no worker is listening, the RQ runner runs the job here
instead: a call must still ring volunteers.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Every job the app enqueues. tests/workers/test_job_names.py checks each resolves.
RING_WAVE = "workers.calls.ring_wave"
STOP_LEGS = "workers.calls.stop_legs"
STOP_LEG = "workers.calls.stop_leg"
ALL_JOBS = (RING_WAVE, STOP_LEGS, STOP_LEG)

PENDING_KEY = "hotline.pending_jobs"
RUNNER_KEY = "hotline.job_runner"


@dataclass(frozen=True)
class Job:
    name: str
    args: tuple[Any, ...]
    delay: timedelta | None = None
    key: str | None = None           # a stable id: the same key is not queued twice


class JobRunner(Protocol):
    def submit(self, job: Job) -> None: ...


def enqueue(
    session: Session,
    name: str,
    *args: Any,
    delay: timedelta | None = None,
    key: str | None = None,
) -> None:
    """Queue `name(*args)` to run once `session` commits."""
    session.info.setdefault(PENDING_KEY, []).append(_job(name, args, delay, key))


def submit(
    runner: JobRunner,
    name: str,
    *args: Any,
    delay: timedelta | None = None,
    key: str | None = None,
) -> None:
    """Queue `name(*args)` now: for work whose data is already committed (no session)."""
    runner.submit(_job(name, args, delay, key))


def _job(name: str, args: tuple[Any, ...], delay: timedelta | None, key: str | None) -> Job:
    if name not in ALL_JOBS:
        raise ValueError(f"unknown job {name!r}: add it to hotline.jobs.ALL_JOBS")
    return Job(name, args, delay, key)


@event.listens_for(Session, "after_commit")
def _submit_pending(session: Session) -> None:
    pending: list[Job] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    runner: JobRunner | None = session.info.get(RUNNER_KEY)
    if runner is None:
        log.error("jobs %s dropped: session has no job runner", [j.name for j in pending])
        return
    for job in pending:
        runner.submit(job)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def resolve(name: str) -> Callable[..., Any]:
    """The function a dotted job name points at."""
    module, _, attr = name.rpartition(".")
    func = getattr(importlib.import_module(module), attr)
    if not callable(func):
        raise TypeError(f"{name} is not callable")
    return func  # type: ignore[no-any-return]


def run_job(job: Job) -> None:
    """Run one job here and now; failures are logged, never raised into the caller."""
    try:
        resolve(job.name)(*job.args)
    except Exception:
        log.exception("job %s%r failed", job.name, job.args)


class ManualRunner:
    """Jobs wait until the owner runs them: tests and simulations drive time themselves."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, Job]] = []
        self._seq = itertools.count()
        self._keys: set[str] = set()
        self.ran: list[Job] = []

    def submit(self, job: Job) -> None:
        if job.key is not None:
            if job.key in self._keys:
                return
            self._keys.add(job.key)
        due = self.clock() + (job.delay or timedelta())
        heapq.heappush(self._heap, (due, next(self._seq), job))

    def pending(self) -> list[Job]:
        """Jobs not yet run, soonest first."""
        return [job for _, _, job in sorted(self._heap, key=lambda h: (h[0], h[1]))]

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def run_due(self, now: datetime | None = None) -> int:
        """Run every job due by `now` (jobs they enqueue too); returns how many ran."""
        now = now or self.clock()
        count = 0
        while self._heap and self._heap[0][0] <= now:
            _, _, job = heapq.heappop(self._heap)
            if job.key is not None:
                self._keys.discard(job.key)
            self.ran.append(job)
            run_job(job)
            count += 1
        return count


class ThreadRunner:
    """Runs jobs on a few daemon threads in this process, delayed ones when due."""

    def __init__(self, threads: int = 4) -> None:
        self._heap: list[tuple[datetime, int, Job]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._loop, name=f"hotline-job-{i}", daemon=True)
            for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def submit(self, job: Job) -> None:
        due = datetime.now(UTC) + (job.delay or timedelta())
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._seq), job))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap:
                        wait = (self._heap[0][0] - datetime.now(UTC)).total_seconds()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._heap)
            run_job(job)


class RQRunner:
    """RQ on Redis; falls back to `fallback` when Redis is down or no worker listens.

    Immediate jobs take the fast lane (hotline.fastlane) while a `hotline worker` serves it:
    one RPUSH instead of an RQ job.
    """

    WORKER_CHECK_SECONDS = 15.0

    def __init__(self, redis_url: str, queue_name: str, fallback: JobRunner) -> None:
        from redis import Redis
        from rq import Queue

        from hotline.fastlane import FastLane

        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.queue = Queue(queue_name, connection=self.redis)
        self.lane = FastLane(self.redis, queue_name)
        self.fallback = fallback
        self._workers_seen_at: datetime | None = None
        self._lock = threading.Lock()

    def submit(self, job: Job) -> None:
        from redis.exceptions import RedisError

        try:
            if job.delay is None and self.lane.is_open():
                self.lane.push(job.name, job.args)
                return
            if not self._worker_listening():
                log.warning("no RQ worker listening: running %s in the web process", job.name)
                self.fallback.submit(job)
                return
            enqueue_rq(self.queue, job)
        except RedisError as exc:
            log.warning("Redis unavailable (%s): running %s in the web process", exc, job.name)
            self.fallback.submit(job)

    def workers_dispatch(self) -> bool:
        """True while a worker serves the fast lane, and so also claims new calls to ring."""
        from redis.exceptions import RedisError

        try:
            return self.lane.is_open()
        except RedisError:
            return False

    def _worker_listening(self) -> bool:
        from rq import Worker

        now = datetime.now(UTC)
        with self._lock:
            seen = self._workers_seen_at
            if seen and (now - seen).total_seconds() < self.WORKER_CHECK_SECONDS:
                return True
        if Worker.count(queue=self.queue) > 0:
            with self._lock:
                self._workers_seen_at = now
            return True
        return False


def workers_dispatch(runner: JobRunner) -> bool:
    """Whether a new call may be left in the database for a worker's dispatcher to ring."""
    return isinstance(runner, RQRunner) and runner.workers_dispatch()


def enqueue_rq(queue: Any, job: Job) -> None:
    """Put `job` on the RQ queue, with retries (2, 10 and 30 s after a failure)."""
    from rq import Retry

    options: dict[str, Any] = {
        "retry": Retry(max=3, interval=[2, 10, 30]),
        "failure_ttl": 7 * 24 * 3600,
    }
    if job.key is not None:
        options["job_id"] = job.key
    if job.delay:
        queue.enqueue_in(job.delay, job.name, *job.args, **options)
    else:
        queue.enqueue(job.name, *job.args, **options)


def retry_later(queue: Any) -> Callable[[str, tuple[Any, ...]], None]:
    """For the fast lane: a job that failed there runs again by RQ in 2 s, with retries."""

    def hand_over(name: str, args: tuple[Any, ...]) -> None:
        enqueue_rq(queue, Job(name, args, delay=timedelta(seconds=2)))

    return hand_over


def run_now(name: str, args: tuple[Any, ...]) -> None:
    """Run job `name(*args)` in this thread, raising what it raises (the fast lane's runner)."""
    if name not in ALL_JOBS:
        raise ValueError(f"unknown job {name!r}")
    resolve(name)(*args)
