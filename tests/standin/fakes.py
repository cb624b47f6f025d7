"""Test fake: an in-memory `Carrier` that records every request it is given.

It keeps call states and applies the network's rule for a status update
(`hotline.standin.carrier.status_after`, as the switchboard does); an ended call cannot
be moved to new TwiML. The real switchboard lives in `hotline.standin.switchboard`.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from hotline.standin.calls import ENDED
from hotline.standin.carrier import (
    CallRequest,
    CallState,
    CarrierError,
    MessageRequest,
    MessageState,
    status_after,
)

EPOCH = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


@dataclass(frozen=True)
class CallUpdate:
    """One `update_call` as the fake received it."""

    sid: str
    status: str | None
    url: str | None
    method: str
    twiml: str | None


@dataclass
class FakeCarrier:
    """Records calls, updates and messages; `set_status` plays the far end."""

    account_sid: str
    calls: dict[str, CallState] = field(default_factory=dict)
    call_requests: list[CallRequest] = field(default_factory=list)
    updates: list[CallUpdate] = field(default_factory=list)
    messages: list[MessageRequest] = field(default_factory=list)
    # Tests may set this to see what a stop looks like when the callee answers mid-request.
    answer_before_cancel: bool = False
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):032x}"

    def create_call(self, request: CallRequest) -> CallState:
        with self._lock:
            state = CallState(
                sid=self._sid("CA"),
                account_sid=self.account_sid,
                to=request.to,
                from_=request.from_,
                status="queued",
                direction="outbound-api",
                parent_call_sid=None,
                date_created=EPOCH,
                start_time=None,
                end_time=None,
                duration=None,
            )
            self.call_requests.append(request)
            self.calls[state.sid] = state
            return state

    def fetch_call(self, sid: str) -> CallState:
        with self._lock:
            if sid not in self.calls:
                raise CarrierError(f"The requested resource Call {sid} was not found", 404, 20404)
            return self.calls[sid]

    def set_status(self, sid: str, status: str) -> None:
        with self._lock:
            self.calls[sid] = self._moved(self.calls[sid], status)

    def update_call(
        self,
        sid: str,
        *,
        status: str | None = None,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
    ) -> CallState:
        with self._lock:
            self.updates.append(CallUpdate(sid, status, url, method, twiml))
            if sid not in self.calls:
                raise CarrierError(f"The requested resource Call {sid} was not found", 404, 20404)
            state = self.calls[sid]
            if status is None:
                if state.status in ENDED:
                    raise CarrierError("Call is not in-progress. Cannot redirect.", 400, 21220)
                return state
            if status == "canceled" and self.answer_before_cancel and state.status not in ENDED:
                state = self._moved(state, "in-progress")
            final = status_after(state.status, status)
            if final != state.status:
                state = self._moved(state, final)
            self.calls[sid] = state
            return state

    def create_message(self, request: MessageRequest) -> MessageState:
        with self._lock:
            self.messages.append(request)
            return MessageState(
                sid=self._sid("SM"),
                account_sid=self.account_sid,
                to=request.to,
                from_=request.from_,
                body=request.body,
                status="queued",
                date_created=EPOCH,
            )

    @staticmethod
    def _moved(state: CallState, status: str) -> CallState:
        start = state.start_time
        if status == "in-progress" and start is None:
            start = state.date_created + timedelta(seconds=5)
        if status not in ENDED:
            return replace(state, status=status, start_time=start)
        end = (start or state.date_created) + timedelta(seconds=42 if start else 0)
        duration = int((end - start).total_seconds()) if start else 0
        return replace(state, status=status, start_time=start, end_time=end, duration=duration)
