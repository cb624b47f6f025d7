"""Time for the stand-in: a virtual clock that jumps, a real one that waits, and the event loop.

The simulator is a discrete-event loop: every future happening (a phone answering, a Say
finishing, a late callback) is an action queued at an instant. On the virtual clock the loop
jumps straight to the next instant, so a 90-second hold costs milliseconds; on the real clock
it sleeps until then, and other threads (a REST server) may add actions meanwhile.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

Action = Callable[[], None]

#: A fixed, unremarkable instant so virtual runs are reproducible.
EPOCH = datetime(2025, 1, 6, 14, 0, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def wait(self, until: datetime | None, wake: threading.Condition) -> None:
        """Block (holding `wake`) until `until`, a notify, or forever when None."""
        ...

    @property
    def virtual(self) -> bool: ...


class VirtualClock:
    """Time that moves only when the loop says so; waiting is instant."""

    virtual = True

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        return self.advance_to(self._now + timedelta(seconds=seconds))

    def advance_to(self, when: datetime) -> datetime:
        if when > self._now:  # never backwards: late actions run "now"
            self._now = when
        return self._now

    def wait(self, until: datetime | None, wake: threading.Condition) -> None:
        if until is not None:
            self.advance_to(until)


class RealClock:
    """Wall-clock time in UTC; waiting really sleeps (and wakes early on a notify)."""

    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, until: datetime | None, wake: threading.Condition) -> None:
        timeout = None if until is None else max(0.0, (until - self.now()).total_seconds())
        wake.wait(timeout)


class Scheduler:
    """A priority queue of (instant, sequence, action); safe to add to from other threads."""

    def __init__(self, clock: VirtualClock | RealClock) -> None:
        self.clock = clock
        self._queue: list[tuple[datetime, int, Action]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._cancelled: set[int] = set()
        self.ran = 0

    def now(self) -> datetime:
        return self.clock.now()

    def at(self, when: datetime, action: Action) -> int:
        """Queue `action` at `when`; returns a handle for `cancel`."""
        with self._wake:
            seq = next(self._seq)
            heapq.heappush(self._queue, (when, seq, action))
            self._wake.notify_all()
            return seq

    def after(self, seconds: float, action: Action) -> int:
        return self.at(self.now() + timedelta(seconds=max(0.0, seconds)), action)

    def cancel(self, handle: int) -> None:
        """Drop a queued action, so a far-off no-op does not keep the run going."""
        with self._wake:
            self._cancelled.add(handle)
            self._drop_cancelled()

    def _drop_cancelled(self) -> None:
        while self._queue and self._queue[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._queue)[1])

    def soon(self, action: Action) -> int:
        """Run after the current action, at the same instant (keeps re-entrant calls flat)."""
        return self.at(self.now(), action)

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def next_time(self) -> datetime | None:
        with self._wake:
            return self._queue[0][0] if self._queue else None

    def step(self, deadline: datetime | None = None, idle_wait: float = 0.0) -> bool:
        """Run the next due action (waiting for it); False when nothing ran before `deadline`.

        On the real clock an empty queue is waited on for `idle_wait` seconds, since another
        thread may still add work.
        """
        with self._wake:
            while True:
                if self._queue:
                    when = self._queue[0][0]
                    if deadline is not None and when > deadline:
                        if self.clock.virtual:
                            return False
                        if self.now() >= deadline:
                            return False
                        self.clock.wait(deadline, self._wake)
                        continue
                    if self.now() < when:
                        self.clock.wait(when, self._wake)
                        if self.now() < when and not self.clock.virtual:
                            continue  # woken early: something new may be sooner
                    _, seq, action = heapq.heappop(self._queue)
                    self._drop_cancelled()
                    if seq in self._cancelled:
                        self._cancelled.discard(seq)
                        continue
                    break
                if self.clock.virtual or idle_wait <= 0:
                    return False
                limit = self.now() + timedelta(seconds=idle_wait)
                if deadline is not None:
                    limit = min(limit, deadline)
                before = len(self._queue)
                self.clock.wait(limit, self._wake)
                if len(self._queue) == before and self.now() >= limit:
                    return False
        self.ran += 1
        action()  # outside the lock: actions make HTTP requests that may call back in
        return True
