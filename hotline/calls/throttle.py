"""Outbound call placement, throttled across every process through Redis.

Twilio places an account's outbound calls at 1 per second by default; a burst beyond it
is queued by Twilio and rings late. With Redis configured, each placement takes a slot
(a key set with NX and a expiry of one interval), so all workers together keep the rate.
Without Redis there is one process and waves are small: no throttle.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

SLOT_KEY = "hotline:calls:placement-slot"
MAX_WAIT_SECONDS = 10.0


class Throttle:
    """Waits for a placement slot; gives up waiting (and places anyway) after a bound."""

    def __init__(self, redis_url: str, calls_per_second: float) -> None:
        self.redis_url = redis_url
        self.interval_ms = max(1, int(1000 / calls_per_second))
        self._client: Any = None
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        with self._lock:
            if self._client is None:
                from redis import Redis

                self._client = Redis.from_url(
                    self.redis_url, socket_timeout=1, socket_connect_timeout=1)
            return self._client

    def wait(self) -> float:
        """Block until this process may place a call; returns seconds waited."""
        if not self.redis_url:
            return 0.0
        from redis.exceptions import RedisError

        started = time.monotonic()
        try:
            client = self._redis()
            while not client.set(SLOT_KEY, "1", nx=True, px=self.interval_ms):
                if time.monotonic() - started > MAX_WAIT_SECONDS:
                    log.warning("placement throttle: waited %.0f s, placing anyway",
                                MAX_WAIT_SECONDS)
                    break
                left = client.pttl(SLOT_KEY)
                time.sleep(max(left, 5) / 1000)
        except RedisError as exc:
            # Ringing matters more than the rate: Twilio queues excess calls itself.
            log.warning("placement throttle off, Redis unavailable: %s", exc)
        return time.monotonic() - started


_throttles: dict[tuple[str, float], Throttle] = {}


def throttle_for(redis_url: str, calls_per_second: float) -> Throttle:
    """One throttle per process and Redis URL (it keeps a connection)."""
    key = (redis_url, calls_per_second)
    if key not in _throttles:
        _throttles[key] = Throttle(redis_url, calls_per_second)
    return _throttles[key]
