"""The fast lane: immediate jobs over one Redis list, run by `hotline worker` threads.

Enqueuing an RQ job costs the enqueuing process a Job object, a hash of a dozen fields and
two Redis transactions: more CPU than the rest of the incoming-call webhook together, on
every call. While a worker is running, an immediate job (no delay) is instead one RPUSH
of its name and ids. The worker's lane threads take each job with BLMOVE into their own
in-flight list, run it, and drop it from that list; the caller's phones start ringing
without waiting for RQ's poll either. A job that raises is handed to RQ, with its retries.

New calls do not even take the push: while workers run, the webhook leaves the call in the
database and each worker's dispatcher thread claims such calls every POLL_SECONDS and
pushes them here (`serve(poll=...)`). A worker that dies between its claim and its push
strands those calls; the caller's hold music then plans and, if no phone rings, falls back
to a plain <Dial> (hotline.calls.flow), as for any job that never ran.

Nothing is lost on the way: a worker killed mid-job leaves the job in its in-flight list,
and the other workers move it back to the lane once that worker's heartbeat has expired
(jobs are safe to run twice). Producers push only while some worker's heartbeat is fresh;
otherwise they use RQ, and without a worker at all their own process (see hotline.jobs).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# A worker whose heartbeat is this old is gone: producers stop pushing, its jobs move back.
ALIVE_SECONDS = 15
RECLAIM_SECONDS = 30.0
OPEN_CHECK_SECONDS = 5.0
# How often a worker's dispatcher asks the database for new calls to ring. The caller is
# hearing the greeting meanwhile (several seconds), so this adds nothing they can hear.
POLL_SECONDS = 0.2

Run = Callable[[str, tuple[Any, ...]], None]
Failed = Callable[[str, tuple[Any, ...]], None]
Poll = Callable[[], list[tuple[str, tuple[Any, ...]]]]


class FastLane:
    """One queue's lane: pushed to by any process, served by `hotline worker`."""

    def __init__(self, redis: Any, queue_name: str) -> None:
        self.redis = redis
        prefix = f"hotline:fastlane:{queue_name}"
        self.jobs_key = f"{prefix}:jobs"
        self.alive_key = f"{prefix}:alive"                 # any worker serving
        self._worker_prefix = f"{prefix}:worker:"           # + name: one worker's heartbeat
        self._inflight_prefix = f"{prefix}:inflight:"       # + name: its jobs being run
        self._open_until = 0.0
        self._lock = threading.Lock()

    # -- producers -------------------------------------------------------------------

    def is_open(self) -> bool:
        """True while some worker serves the lane (asks Redis at most every 5 s)."""
        now = time.monotonic()
        with self._lock:
            if now < self._open_until:
                return True
        if not self.redis.exists(self.alive_key):
            return False
        with self._lock:
            self._open_until = now + OPEN_CHECK_SECONDS
        return True

    def push(self, name: str, args: tuple[Any, ...]) -> None:
        """Hand `name(*args)` to the serving workers; args must be JSON (ids)."""
        self.push_many([(name, args)])

    def push_many(self, jobs: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Hand several jobs over in one round trip (none: no round trip)."""
        if jobs:
            self.redis.rpush(self.jobs_key, *(encode(name, args) for name, args in jobs))

    # -- workers ---------------------------------------------------------------------

    def serve(self, run: Run, failed: Failed, threads: int = 4, poll: Poll | None = None,
              ) -> Server:
        """Start serving in background threads; stop with `Server.stop()`.

        `poll`, if given, is asked every POLL_SECONDS for new jobs (the calls the web left
        for the workers), which are pushed to the lane for whichever worker is free.
        """
        server = Server(self, run, failed, threads, poll)
        server.start()
        return server

    def drain(self, run: Run, failed: Failed) -> int:
        """Run every job in the lane now, in this thread (a burst worker); how many ran."""
        count = 0
        while (raw := self.redis.lpop(self.jobs_key)) is not None:
            _run_one(raw, run, failed)
            count += 1
        return count

    def reclaim(self) -> int:
        """Move the in-flight jobs of workers whose heartbeat has expired back to the lane."""
        moved = 0
        for key in self.redis.scan_iter(match=self._inflight_prefix + "*", count=100):
            name = _text(key)[len(self._inflight_prefix):]
            if self.redis.exists(self._worker_prefix + name):
                continue
            while self.redis.lmove(key, self.jobs_key, "RIGHT", "LEFT") is not None:
                moved += 1
        if moved:
            log.warning("fast lane: %d job(s) of a stopped worker put back to run", moved)
        return moved


class Server:
    """A worker's lane threads and its heartbeat."""

    def __init__(self, lane: FastLane, run: Run, failed: Failed, threads: int,
                 poll: Poll | None = None) -> None:
        self.lane = lane
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.inflight_key = lane._inflight_prefix + self.name
        self._run = run
        self._failed = failed
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._take, name=f"fastlane-{i}", daemon=True)
                         for i in range(threads)]
        self._threads.append(threading.Thread(target=self._beat, name="fastlane-heartbeat",
                                              daemon=True))
        self._poll = poll
        if poll is not None:
            self._threads.append(threading.Thread(target=self._dispatch,
                                                  name="fastlane-dispatcher", daemon=True))

    def start(self) -> None:
        self._heartbeat()
        self.lane.reclaim()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the jobs being run, then stop; producers turn to RQ within seconds."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        redis, lane = self.lane.redis, self.lane
        redis.delete(lane._worker_prefix + self.name)
        if next(redis.scan_iter(match=lane._worker_prefix + "*", count=100), None) is None:
            redis.delete(lane.alive_key)          # the last worker: producers turn to RQ
        lane.reclaim()               # anything left in flight goes back for the others

    def _heartbeat(self) -> None:
        with self.lane.redis.pipeline() as pipe:
            pipe.set(self.lane._worker_prefix + self.name, "1", ex=ALIVE_SECONDS)
            pipe.set(self.lane.alive_key, "1", ex=ALIVE_SECONDS)
            pipe.execute()

    def _beat(self) -> None:
        last_reclaim = time.monotonic()
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self._heartbeat()
                if time.monotonic() - last_reclaim >= RECLAIM_SECONDS:
                    self.lane.reclaim()
                    last_reclaim = time.monotonic()
            except Exception:
                log.exception("fast lane heartbeat failed")

    def _dispatch(self) -> None:
        assert self._poll is not None
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.lane.push_many(self._poll())
            except Exception:
                log.exception("fast lane: cannot dispatch new calls (trying again)")
                self._stop.wait(1.0)

    def _take(self) -> None:
        redis, lane = self.lane.redis, self.lane
        while not self._stop.is_set():
            try:
                raw = redis.blmove(lane.jobs_key, self.inflight_key, 1, "LEFT", "RIGHT")
            except Exception:
                log.exception("fast lane: cannot take a job from Redis")
                self._stop.wait(1.0)
                continue
            if raw is None:
                continue
            try:
                _run_one(raw, self._run, self._failed)
            finally:
                try:
                    redis.lrem(self.inflight_key, 1, raw)
                except Exception:
                    log.exception("fast lane: job ran but stays in flight (run again later)")


def encode(name: str, args: tuple[Any, ...]) -> str:
    return json.dumps([name, list(args)], separators=(",", ":"))


def decode(raw: bytes | str) -> tuple[str, tuple[Any, ...]]:
    try:
        name, args = json.loads(raw)
    except TypeError:
        raise ValueError("not a fast-lane job") from None
    if not isinstance(name, str) or not isinstance(args, list):
        raise ValueError("not a fast-lane job")
    return name, tuple(args)


def _run_one(raw: bytes | str, run: Run, failed: Failed) -> None:
    try:
        name, args = decode(raw)
    except ValueError:
        log.error("fast lane: dropped a malformed entry (%d bytes)", len(raw))
        return
    try:
        run(name, args)
    except Exception:
        log.exception("job %s%r failed in the fast lane: handing it to RQ", name, args)
        try:
            failed(name, args)
        except Exception:
            log.exception("job %s%r lost: RQ refused it too", name, args)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
