"""Outbound calls per second, kept across every process that places them.

Twilio places an account's outbound calls at 1 per second by default (raisable); a burst
beyond it is queued by Twilio and rings late. With Redis configured, each placement takes
a slot (a key set with NX that expires after one interval), so all workers and web
processes together keep the rate. Without Redis, or while it is down, the slots are kept
in a file every process of the machine shares (the next free slot's time, under an
exclusive lock): while Redis is down the web processes ring the calls themselves, and two
of them (or a worker finishing a job) must not ring at twice the rate. A file and not the
database: it costs no round trip and no schema, and a deployment without Redis is one
machine anyway; several machines during an outage keep the rate each (README, Operations).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SLOT_KEY = "hotline:calls:placement-slot"
MAX_WAIT_SECONDS = 10.0


def slot_file_for(account_sid: str, database_url: str) -> Path:
    """The file the processes of one installation (one Twilio account, one database) share,
    in the temporary folder ($TMPDIR: the systemd units point both services at one)."""
    digest = hashlib.sha256(f"{account_sid} {database_url}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hotline-placements-{digest}"


class Throttle:
    """Waits for a placement slot; gives up waiting (and places anyway) after a bound."""

    def __init__(self, redis_url: str, calls_per_second: float, *, enabled: bool = True,
                 slot_file: Path | None = None) -> None:
        self.redis_url = redis_url
        self.slot_file = slot_file     # None: slots kept within this process only
        self.interval = 1.0 / calls_per_second
        self.enabled = enabled
        self._client: Any = None
        self._lock = threading.Lock()
        self._next_local = 0.0
        self._redis_down = False

    @classmethod
    def off(cls) -> Throttle:
        """No throttle: simulations on a virtual clock, where no real call is placed."""
        return cls("", 1.0, enabled=False)

    def wait(self) -> float:
        """Block until this process may place a call; returns seconds waited."""
        if not self.enabled:
            return 0.0
        started = time.monotonic()
        if not self.redis_url or not self._wait_redis(started):
            self._wait_local()
        return time.monotonic() - started

    def _wait_local(self) -> None:
        """Take the next slot of this machine (see the module's docstring)."""
        with self._lock:
            try:
                if self.slot_file is None:
                    raise FileNotFoundError("no slot file")
                slot, now = self._take_file_slot(self.slot_file)
            except OSError as exc:     # no writable temp folder: this process alone
                if self.slot_file is not None:
                    log.warning("placement throttle: %s unusable (%s)", self.slot_file, exc)
                now = time.monotonic()
                slot = max(now, self._next_local)
                self._next_local = slot + self.interval
        if slot > now:
            time.sleep(min(slot - now, MAX_WAIT_SECONDS))

    def _take_file_slot(self, path: Path) -> tuple[float, float]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0)
            now = time.time()
            try:
                slot = max(now, float(raw.decode() or 0))
            except ValueError:
                slot = now
            os.ftruncate(fd, 0)
            os.pwrite(fd, repr(slot + self.interval).encode(), 0)
            return slot, now
        finally:
            os.close(fd)        # and its lock

    def _redis(self) -> Any:
        with self._lock:
            if self._client is None:
                from redis import Redis

                self._client = Redis.from_url(self.redis_url, socket_timeout=1,
                                              socket_connect_timeout=1)
            return self._client

    def _wait_redis(self, started: float) -> bool:
        """Take a slot shared through Redis; False if Redis cannot be reached."""
        from redis.exceptions import RedisError

        interval_ms = max(1, int(self.interval * 1000))
        try:
            client = self._redis()
            while not client.set(SLOT_KEY, "1", nx=True, px=interval_ms):
                if time.monotonic() - started > MAX_WAIT_SECONDS:
                    log.warning("placement throttle: waited %.0f s, placing anyway",
                                MAX_WAIT_SECONDS)
                    break
                time.sleep(max(client.pttl(SLOT_KEY), 5) / 1000)
        except RedisError as exc:
            if not self._redis_down:
                log.warning("placement throttle: Redis unavailable (%s); keeping the rate "
                            "within this process", exc)
            self._redis_down = True
            return False
        if self._redis_down:
            log.info("placement throttle: Redis is back")
        self._redis_down = False
        return True
