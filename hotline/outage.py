"""`hotline worker` through a Redis outage: keep trying, say so twice, carry on.

RQ's own loop quits on a Redis timeout or on any error outside its dequeue, and its
scheduler process dies with a traceback; during an outage each retry logged a traceback.
Here the worker's RQ loop runs inside `supervise`, which waits for Redis with backoff
(1 s doubling to 30 s) and starts a fresh RQ loop once it answers; the delayed-job
scheduler is a thread of ours (`SchedulerThread`) that skips its turn while Redis is down.
Every part reports to one `RedisState`, which logs one line when Redis goes away and one
when it is back; RQ's own per-attempt Redis errors are dropped (`QuietRedisErrors`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
SCHEDULER_SECONDS = 1.0
RQ_LOGGERS = ("rq.worker", "rq.scheduler", "rq.queue", "rq.job")


def is_redis_error(exc: BaseException | None) -> bool:
    from redis.exceptions import RedisError

    return isinstance(exc, RedisError | ConnectionError | TimeoutError)


class RedisState:
    """Whether Redis answered last time anyone asked; logs only the changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        log.warning("Redis unavailable (%s: %s): retrying; until it is back, jobs run in "
                    "the process that asks for them", type(exc).__name__, _first_line(exc))

    def answered(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning("Redis is back after %.0f s: working again", time.monotonic() - since)


class QuietRedisErrors(logging.Filter):
    """Drops RQ's records about Redis being unreachable (RedisState says it once)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and is_redis_error(record.exc_info[1]):
            return False
        text = record.getMessage()
        return not ("redis" in text.lower() and record.levelno >= logging.WARNING)


def quiet_rq() -> None:
    """RQ's loggers: warnings only (the worker logs one line a job), Redis errors dropped."""
    for name in RQ_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, QuietRedisErrors) for f in logger.filters):
            logger.addFilter(QuietRedisErrors())


def wait_for_redis(redis: Any, state: RedisState, stop: threading.Event) -> bool:
    """Ping until Redis answers (True) or `stop` is set (False)."""
    delay = BACKOFF_FIRST
    while not stop.is_set():
        try:
            redis.ping()
        except Exception as exc:  # noqa: BLE001 - every failure is the same outage
            state.failed(exc)
            stop.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        state.answered()
        return True
    return False


def supervise(make_worker: Callable[[], Any], redis: Any, state: RedisState,
              stop: threading.Event) -> None:
    """Run RQ workers one after another until a stop signal: a fresh one once Redis is
    back whenever the last one quit."""
    delay = BACKOFF_FIRST
    while wait_for_redis(redis, state, stop):
        worker = make_worker()
        started = time.monotonic()
        try:
            worker.work(burst=False, with_scheduler=False, logging_level="WARNING")
        except Exception as exc:
            if not is_redis_error(exc):
                raise
            state.failed(exc)
        if stop.is_set():          # the worker's request_stop sets it (hotline.rqjobs)
            return
        # RQ's signal handlers are gone with its loop: ours catch a stop while we wait.
        _catch_stop_signals(stop)
        if time.monotonic() - started > 60:
            delay = BACKOFF_FIRST
        try:
            redis.ping()
            log.warning("the RQ loop ended (Redis answers); starting it again in %.0f s",
                        delay)
        except Exception as exc:  # noqa: BLE001
            state.failed(exc)
        stop.wait(delay)
        delay = min(delay * 2, BACKOFF_MAX)


def _catch_stop_signals(stop: threading.Event) -> None:
    def handler(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class SchedulerThread:
    """RQ's scheduler (delayed jobs and retries moved to their queues when due) as a thread
    of the worker: one worker at a time holds its lock; an outage only skips turns."""

    def __init__(self, queues: list[Any], redis: Any, state: RedisState) -> None:
        from rq.scheduler import RQScheduler

        self._scheduler: Any = RQScheduler(queues, connection=redis, logging_level="WARNING")
        self._state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hotline-scheduler",
                                        daemon=True)

    def start(self) -> SchedulerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        try:
            self._scheduler.release_locks()
        except Exception:  # noqa: BLE001, S110 - the lock expires by itself
            pass

    def _run(self) -> None:
        while not self._stop.wait(SCHEDULER_SECONDS):
            try:
                if self._scheduler.should_reacquire_locks:
                    self._scheduler.acquire_locks()
                if self._scheduler.acquired_locks:
                    self._scheduler.heartbeat()
                    self._scheduler.enqueue_scheduled_jobs()
            except Exception as exc:  # noqa: BLE001 - Redis down: skip this turn
                if is_redis_error(exc):
                    self._state.failed(exc)
                else:
                    log.exception("scheduler turn failed")
                continue
            self._state.answered()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else ""
