"""Background jobs: their names, how code asks for one, and the in-process runners.

A job is named by dotted path (code under hotline/ never imports workers/; a test checks
every name resolves), is called with the runtime and ids, never objects, and is safe to
run twice. Code in a transaction asks with `enqueue(session, ...)`: the job is sent when
`Runtime.transaction()` commits, so it never runs against data not yet written, and a
rolled-back transaction sends nothing. Code with nothing to commit uses `Runtime.submit`.

Where jobs run is the runner's business: RQ on Redis with `hotline worker` processes
(hotline.rqjobs, with retries and a failed-job registry), threads inside the web process
on the embedded default, or by hand (tests, drills) on a clock of their own.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# The call path's jobs (RQ's "calls" queue, served first), the call to a caller in a
# call-back among them: someone is waiting on the line for it.
DISPATCH_CALLS = "workers.calls.dispatch_calls"
RING_LEG = "workers.calls.ring_leg"
STOP_LEGS = "workers.calls.stop_legs"
STOP_LEG = "workers.calls.stop_leg"
CALL_CALLER = "workers.calls.call_caller"
# Listen-in: the caller a volunteer took is moved from their queue into the conference.
JOIN_CONFERENCE = "workers.calls.join_conference"
# ... its trainees muted or unmuted by the mentor's keypad; the call ended when they leave.
MUTE_TRAINEES = "workers.calls.mute_trainees"
END_CONFERENCE = "workers.calls.end_conference"
CALL_JOBS = (DISPATCH_CALLS, RING_LEG, STOP_LEGS, STOP_LEG, CALL_CALLER, JOIN_CONFERENCE,
             MUTE_TRAINEES, END_CONFERENCE)
# After the call: scheduled work, and texts.
RUN_TASK = "workers.tasks.run_task"
SEND_TEXT = "workers.texts.send_text"
SWEEP = "workers.tasks.sweep"         # every SWEEP_SECONDS (hotline.work.sweeps)
ALL_JOBS = (*CALL_JOBS, RUN_TASK, SEND_TEXT, SWEEP)

PENDING_KEY = "hotline.pending_jobs"
# A job that raises is tried again this many seconds later, once per entry (RQ's Retry on
# Redis, the threads' own on the embedded default). Scheduled work and texts keep longer
# retries of their own in their rows (hotline.work.schedule, hotline.texts.outbox).
RETRY_INTERVALS = (2, 10, 30)


@dataclass(frozen=True)
class Job:
    name: str
    args: tuple[Any, ...]
    delay: timedelta | None = None
    key: str | None = None           # a stable id: the same key is not queued twice
    tries: int = 0                   # how many times it already failed (in-process retries)


class JobRunner(Protocol):
    def submit(self, job: Job, runtime: Runtime) -> None:
        """Run `job` with `runtime` now or when due, here or elsewhere."""
        ...

    def wakes_by_notify(self) -> bool:
        """Whether a new call's record itself wakes the workers (PostgreSQL NOTIFY)."""
        ...


def make_job(
    name: str, args: tuple[Any, ...], delay: timedelta | None = None, key: str | None = None
) -> Job:
    if name not in ALL_JOBS:
        raise ValueError(f"unknown job {name!r}: add it to hotline.jobs.ALL_JOBS")
    if not all(type(arg) is int for arg in args):
        # A job's arguments are what Redis keeps: row ids only, never a number, a name or
        # an object (the job reloads what it needs, from the database).
        raise TypeError(f"job {name}: arguments are row ids (int), got {args!r}")
    return Job(name, args, delay, key)


def enqueue(
    session: Session,
    name: str,
    *args: Any,
    delay: timedelta | None = None,
    key: str | None = None,
) -> None:
    """Send `name(runtime, *args)` when this session's `Runtime.transaction()` commits."""
    pending: list[Job] | None = session.info.get(PENDING_KEY)
    if pending is None:
        raise RuntimeError("jobs are enqueued inside Runtime.transaction(), which sends them")
    pending.append(make_job(name, args, delay, key))


def resolve(name: str) -> Callable[..., Any]:
    """The function a dotted job name points at."""
    module, _, attr = name.rpartition(".")
    func = getattr(importlib.import_module(module), attr)
    if not callable(func):
        raise TypeError(f"{name} is not callable")
    return func  # type: ignore[no-any-return]


def run_job(job: Job, runtime: Runtime) -> bool:
    """Run one job here and now; a failure is logged, never raised into the caller (False)."""
    try:
        resolve(job.name)(runtime, *job.args)
    except Exception:
        log.exception("job %s%r failed", job.name, job.args)
        return False
    return True


def retry_of(job: Job) -> Job | None:
    """The same job again after its next RETRY_INTERVALS wait, or None once they are spent."""
    if job.tries >= len(RETRY_INTERVALS):
        log.error("job %s%r failed %d times: given up", job.name, job.args, job.tries + 1)
        return None
    return replace(job, tries=job.tries + 1, key=None,
                   delay=timedelta(seconds=RETRY_INTERVALS[job.tries]))


class LaterRunner:
    """Sends nothing: the work is a row already, and a process's sweep will run it (a CLI
    command that must not run jobs in a process about to exit)."""

    def submit(self, job: Job, runtime: Runtime) -> None:
        log.debug("job %s%r left to the sweep", job.name, job.args)

    def wakes_by_notify(self) -> bool:
        return False


class ManualRunner:
    """Jobs wait until the owner runs them: tests and simulations drive time themselves."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, Job, Runtime]] = []
        self._seq = itertools.count()
        self._keys: set[str] = set()
        self.ran: list[Job] = []

    def submit(self, job: Job, runtime: Runtime) -> None:
        if job.key is not None:
            if job.key in self._keys:
                return
            self._keys.add(job.key)
        due = self.clock() + (job.delay or timedelta())
        heapq.heappush(self._heap, (due, next(self._seq), job, runtime))

    def wakes_by_notify(self) -> bool:
        return False

    def pending(self) -> list[Job]:
        """Jobs not yet run, soonest first."""
        return [entry[2] for entry in sorted(self._heap, key=lambda h: (h[0], h[1]))]

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def lose_all(self) -> None:
        """Forget every job waiting, as a process that stops loses what it held in memory
        (a simulation of an outage: the database's rows and the sweep must carry on)."""
        self._heap.clear()
        self._keys.clear()

    def run_due(self, now: datetime | None = None) -> int:
        """Run every job due by `now` (jobs they enqueue too); returns how many ran."""
        now = now or self.clock()
        count = 0
        while self._heap and self._heap[0][0] <= now:
            _, _, job, runtime = heapq.heappop(self._heap)
            if job.key is not None:
                self._keys.discard(job.key)
            self.ran.append(job)
            run_job(job, runtime)
            count += 1
        return count


class ThreadRunner:
    """Runs jobs on a few daemon threads in this process, delayed ones when due; a job that
    fails is tried again after each of RETRY_INTERVALS (as RQ would). The threads start
    with the first job: a process that never runs one (most commands) has none."""

    def __init__(self, threads: int = 4) -> None:
        self._heap: list[tuple[datetime, int, Job, Runtime]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._halt = threading.Event()
        self._size = threads
        self._threads: list[threading.Thread] = []

    def submit(self, job: Job, runtime: Runtime) -> None:
        due = datetime.now(UTC) + (job.delay or timedelta())
        with self._cond:
            if not self._threads and not self._stopped:
                self._threads = [
                    threading.Thread(target=self._loop, name=f"hotline-job-{i}", daemon=True)
                    for i in range(self._size)
                ]
                for t in self._threads:
                    t.start()
            heapq.heappush(self._heap, (due, next(self._seq), job, runtime))
            self._cond.notify()

    def wakes_by_notify(self) -> bool:
        return False

    def every(self, seconds: float, job: Job, runtime: Runtime) -> None:
        """Submit `job` now and every `seconds` after, until stopped."""
        def repeat() -> None:
            while not self._halt.is_set():
                self.submit(job, runtime)
                self._halt.wait(seconds)

        threading.Thread(target=repeat, name="hotline-every", daemon=True).start()

    def stop(self) -> None:
        self._halt.set()
        with self._cond:
            self._stopped = True
            self._heap.clear()              # what was still waiting never runs
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
                _, _, job, runtime = heapq.heappop(self._heap)
            if not run_job(job, runtime) and (again := retry_of(job)) is not None:
                self.submit(again, runtime)
