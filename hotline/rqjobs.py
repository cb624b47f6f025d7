"""Jobs on RQ: the producer's runner, and `hotline worker`'s worker around RQ's own.

Every background job runs on RQ when `queue.redis_url` is set, with its retries and its
failed-job registry. Call jobs go to a queue of their own that workers serve first.

A new call is the one job the web process does not send: on PostgreSQL the statement that
records the call also NOTIFYs, and each worker LISTENs on a connection of its own, claims
the calls left for it (one taker each) and queues their DISPATCH_CALLS jobs. A worker idle
on an empty line therefore touches the database only for its slow sweep (SWEEP_SECONDS,
one transaction for every worker together), which also claims any call whose notification
was lost.

Producers send jobs to RQ only while some `hotline worker` keeps its heartbeat fresh;
otherwise (no worker, or Redis down) they run the job in their own process: a call must
still ring volunteers.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from hotline.jobs import CALL_JOBS, DISPATCH_CALLS, RETRY_INTERVALS, SWEEP, Job, JobRunner
from hotline.logs.incoming import NEW_CALL_CHANNEL

if TYPE_CHECKING:
    from hotline.outage import RedisState
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
ALIVE_SECONDS = 15            # a worker whose heartbeat is older is gone
ALIVE_CHECK_SECONDS = 5.0     # producers ask Redis at most this often
SWEEP_SECONDS = 30.0          # an idle worker's only database work: one claim per sweep
# A wake-up claims at once, unless the last claim was less than BURST_SECONDS ago: then
# the calls of the next BURST_SECONDS join one claim, so a burst costs a few claims and
# jobs a second instead of one per call, and a lone call is rung without waiting.
BURST_SECONDS = 0.1
FAILED_KEEP_SECONDS = 7 * 24 * 3600
CALL_JOB_TIMEOUT = 60


def queue_names(name: str) -> tuple[str, str]:
    """The call jobs' queue and everything else's, in the order workers serve them."""
    return f"{name}-calls", name


def alive_key(name: str) -> str:
    return f"hotline:{name}:workers-alive"


def worker_key(name: str, worker: str) -> str:
    """One worker's own heartbeat key (hotline.health counts them)."""
    return f"hotline:{name}:worker:{worker}"


def worker_key_pattern(name: str) -> str:
    return worker_key(name, "*")


class RQRunner:
    """Sends jobs to RQ; runs them in `fallback` when Redis is down or no worker is alive."""

    def __init__(self, redis_url: str, queue_name: str, fallback: JobRunner, *,
                 notify: bool = False) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        calls, other = queue_names(queue_name)
        self.calls = Queue(calls, connection=self.redis)
        self.other = Queue(other, connection=self.redis)
        self.fallback = fallback
        self.notify = notify
        self._alive_key = alive_key(queue_name)
        self._alive_until = 0.0
        self._lock = threading.Lock()
        from hotline.outage import RedisState

        self.redis_state = RedisState()     # the process's one account of Redis's outages

    def submit(self, job: Job, runtime: Runtime) -> None:
        from redis.exceptions import RedisError

        try:
            if not self.workers_alive():
                log.warning("no worker is running: %s runs in this process", job.name)
                self.fallback.submit(job, runtime)
                return
            enqueue_rq(self.calls if job.name in CALL_JOBS else self.other, job)
        except RedisError as exc:
            self.redis_state.failed(exc)          # one line an outage, not one a job
            self.fallback.submit(job, runtime)
            return
        self.redis_state.answered()

    def wakes_by_notify(self) -> bool:
        from redis.exceptions import RedisError

        try:
            return self.notify and self.workers_alive()
        except RedisError:
            return False

    def workers_alive(self) -> bool:
        """True while some worker's heartbeat is fresh (asks Redis at most every 5 s)."""
        now = time.monotonic()
        with self._lock:
            if now < self._alive_until:
                return True
        if not self.redis.exists(self._alive_key):
            return False
        with self._lock:
            self._alive_until = now + ALIVE_CHECK_SECONDS
        return True


def enqueue_rq(queue: Any, job: Job) -> None:
    """Put `job` on an RQ queue, with retries (2, 10 and 30 s after a failure)."""
    from rq import Retry

    options: dict[str, Any] = {
        "retry": Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
        "failure_ttl": FAILED_KEEP_SECONDS,
        "result_ttl": 0,
    }
    if job.name in CALL_JOBS:
        options["job_timeout"] = CALL_JOB_TIMEOUT
    if job.key is not None:
        options["job_id"] = job.key
    if job.delay:
        queue.enqueue_in(job.delay, job.name, *job.args, **options)
    else:
        queue.enqueue(job.name, *job.args, **options)


def worker_classes() -> tuple[type[Any], type[Any]]:
    """RQ's job and worker classes, taught to call every job with the worker's runtime."""
    from rq import SimpleWorker
    from rq.job import Job as RQJob

    class RuntimeJob(RQJob):
        runtime: Runtime | None = None

        def _execute(self) -> Any:
            if self.runtime is None:
                raise RuntimeError("a hotline job runs only inside `hotline worker`")
            return self.func(self.runtime, *self.args, **self.kwargs)

    class HotlineWorker(SimpleWorker):
        """RQ's in-process worker (no fork per job: ringing must start at once)."""

        job_class = RuntimeJob
        runtime: Runtime
        stopping: threading.Event | None = None     # set by SIGTERM/SIGINT (hotline.outage)

        def request_stop(self, signum: Any, frame: Any) -> None:
            if self.stopping is not None:
                self.stopping.set()
            super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

        def perform_job(self, job: Any, queue: Any) -> bool:
            job.runtime = self.runtime
            started = time.monotonic()
            done = False
            try:
                done = bool(super().perform_job(job, queue))
            finally:
                job_done(self.connection, queue_name_of(queue.name), job.func_name,
                         tuple(job.args), "ok" if done else "failed",
                         time.monotonic() - started)
            return done

    return RuntimeJob, HotlineWorker


# What a job's ids are, for its one log line (jobs take ids: hotline.jobs).
ID_NAMES = {"dispatch_calls": "calls", "ring_leg": "leg", "stop_legs": "call",
            "stop_leg": "leg", "call_caller": "attempt", "run_task": "task",
            "send_text": "text"}


def queue_name_of(rq_queue: str) -> str:
    """The installation's queue name (`queue.name`) of one of its two RQ queues."""
    return rq_queue.removesuffix("-calls")


def job_done(redis: Any, queue_name: str, func_name: str, args: tuple[Any, ...],
             outcome: str, seconds: float) -> None:
    """The job's one log line (job, its ids, how long, outcome), and its count for
    /metrics (hotline.metrics reads them; lost, not raised, while Redis is down)."""
    from hotline.metrics_dir import jobs_key

    short = func_name.rsplit(".", 1)[-1]
    ids = ",".join(str(a) for a in args)
    level = logging.INFO if outcome == "ok" else logging.WARNING
    log.log(level, "job %s %s=%s: %s in %.0f ms", short, ID_NAMES.get(short, "ids"),
            ids or "-", outcome, seconds * 1000)
    try:
        with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(jobs_key(queue_name), f"{short}:{outcome}", 1)
            pipe.hincrbyfloat(jobs_key(queue_name), f"{short}:seconds", seconds)
            pipe.execute()
    except Exception:  # noqa: BLE001, S110 - a count lost in an outage is not worth a line
        pass


class Companion:
    """A worker's two helper threads: its heartbeat, and (PostgreSQL) the new-call listener."""

    def __init__(self, runtime: Runtime, redis: Any, state: RedisState | None = None) -> None:
        from hotline.outage import RedisState

        self.runtime = runtime
        self.redis = redis
        self.state = state or RedisState()
        name = runtime.settings.queue.name
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._alive_key = alive_key(name)
        self._worker_key = worker_key(name, self.name)
        self._queue_name = name
        self._calls_queue = queue_names(name)[0]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._beat, name="hotline-heartbeat",
                                          daemon=True),
                         threading.Thread(target=self._sweep, name="hotline-sweep",
                                          daemon=True)]
        if runtime.engine.dialect.name == "postgresql":
            self._threads.append(threading.Thread(target=self._listen,
                                                  name="hotline-new-calls", daemon=True))

    def start(self) -> Companion:
        self._heartbeat()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        try:
            self.redis.delete(self._worker_key)
            if next(self.redis.scan_iter(match=worker_key_pattern(self._queue_name),
                                         count=100), None) is None:
                self.redis.delete(self._alive_key)     # the last worker: producers run jobs
        except Exception as exc:  # noqa: BLE001 - stopping must not fail on Redis
            log.warning("could not clear the worker's heartbeat: %s", exc)

    def _heartbeat(self) -> None:
        with self.redis.pipeline() as pipe:
            pipe.set(self._worker_key, "1", ex=ALIVE_SECONDS)
            pipe.set(self._alive_key, "1", ex=ALIVE_SECONDS)
            pipe.execute()

    def _beat(self) -> None:
        """Every HEARTBEAT_SECONDS; the one place that notices Redis come and go while the
        RQ loop waits (its lines are the worker's two lines of an outage: hotline.outage)."""
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self._heartbeat()
            except Exception as exc:  # noqa: BLE001 - keep beating once Redis is back
                self.state.failed(exc)
                continue
            self.state.answered()

    def _sweep(self) -> None:
        """Every SWEEP_SECONDS, a SWEEP job (hotline.work.sweeps); the workers' sweeps of
        one period share a key, so the period has one."""
        from hotline.work.sweeps import SWEEP_SECONDS

        while not self._stop.wait(SWEEP_SECONDS):
            period = int(time.time() // SWEEP_SECONDS)
            try:
                self.runtime.submit(SWEEP, key=f"sweep-{period}")
            except Exception as exc:  # noqa: BLE001 - the next period tries again
                log.warning("sweep not queued: %s", exc)

    def claim_new_calls(self) -> int:
        """Queue one DISPATCH_CALLS job for each batch of calls left for the workers."""
        from hotline.logs.incoming import CLAIM_LIMIT, claim_awaiting

        total = 0
        while claimed := self.runtime.atomic.run(claim_awaiting):
            self.runtime.submit(DISPATCH_CALLS, *claimed, key=f"dispatch-calls-{claimed[0]}")
            total += len(claimed)
            if len(claimed) < CLAIM_LIMIT:
                break
        return total

    def _listen(self) -> None:
        import psycopg

        url = self.runtime.engine.url.set(drivername="postgresql")
        failing = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(url.render_as_string(hide_password=False),
                                     autocommit=True) as conn:
                    conn.execute(f"LISTEN {NEW_CALL_CHANNEL}")
                    if failing:
                        log.info("new-call listener: connected again")
                    failing = False
                    claimed_at = time.monotonic()
                    self.claim_new_calls()          # what was left while not listening
                    while not self._stop.is_set():
                        # Quiet: nothing to claim. A notification lost all the same is
                        # picked up by the sweep, which claims in its own transaction.
                        if not any(True for _ in conn.notifies(timeout=SWEEP_SECONDS,
                                                               stop_after=1)):
                            continue
                        if time.monotonic() - claimed_at < BURST_SECONDS:
                            for _ in conn.notifies(timeout=BURST_SECONDS):
                                pass
                        claimed_at = time.monotonic()
                        self.claim_new_calls()
            except Exception as exc:  # noqa: BLE001 - reconnect; web holds carry calls meanwhile
                if not failing:
                    log.warning("new-call listener: %s; retrying", exc)
                failing = True
                self._stop.wait(2.0)
