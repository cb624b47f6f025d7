"""How status callbacks reach the app: on time, late, twice, or out of order.

Twilio sends each status callback as a separate request; they can arrive late, more than
once (connection-override retries) and out of order. A `Delivery` policy per run makes the
stand-in do the same on purpose, so the app's idempotency and ordering are tested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hotline.standin.clock import Scheduler


@dataclass(frozen=True)
class Delivery:
    """Applies to call status callbacks whose event is in `events` (None: every event)."""

    delay_seconds: float = 0.0        # each one arrives this late
    duplicate: bool = False           # each one is delivered twice...
    duplicate_after: float = 0.0      # ...the second copy this long after the first
    reorder: bool = False             # a leg's callbacks arrive in swapped pairs: later first
    events: frozenset[str] | None = None

    def applies(self, event: str) -> bool:
        return self.events is None or event in self.events


ON_TIME = Delivery()

Send = Callable[[], None]


class Courier:
    """Schedules callback sends per a `Delivery` policy; holds one back per leg to reorder."""

    def __init__(self, scheduler: Scheduler, policy: Delivery = ON_TIME) -> None:
        self.scheduler = scheduler
        self.policy = policy
        self._held: dict[str, Send] = {}

    def post(self, call_sid: str, event: str, send: Send, *, last: bool) -> None:
        """Deliver `send` for `event` of `call_sid`; `last` flushes anything held for it."""
        policy = self.policy
        if not policy.applies(event):
            self._at(0.0, send)
            if last:
                self._flush(call_sid)
            return
        if policy.reorder:
            held = self._held.pop(call_sid, None)
            if held is None and not last:
                self._held[call_sid] = send   # wait for the next one, then go after it
                return
            self._deliver(send)
            if held is not None:
                self._deliver(held)
            return
        self._deliver(send)

    def _flush(self, call_sid: str) -> None:
        held = self._held.pop(call_sid, None)
        if held is not None:
            self._deliver(held)

    def _deliver(self, send: Send) -> None:
        self._at(self.policy.delay_seconds, send)
        if self.policy.duplicate:
            self._at(self.policy.delay_seconds + self.policy.duplicate_after, send)

    def _at(self, seconds: float, send: Send) -> None:
        if seconds <= 0:
            self.scheduler.soon(send)
        else:
            self.scheduler.after(seconds, send)
