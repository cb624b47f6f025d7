"""A REST stand-in for the latency round: notes when each call is asked for, rings nothing.

It speaks Twilio's REST API through the project's own front (hotline.standin.rest) over a
carrier that only records: the request's arrival time (monotonic, the bench's own clock),
its From and To. No call is played, so no callback ever reaches the app.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hotline.standin.carrier import (
    CallRequest,
    CallState,
    CarrierError,
    ConferenceState,
    MessageRequest,
    MessageState,
    ParticipantState,
)


@dataclass
class RecordingCarrier:
    account_sid: str
    asked: list[tuple[float, str, str]] = field(default_factory=list)   # (when, from, to)
    _count: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _calls: dict[str, CallState] = field(default_factory=dict)

    def create_call(self, request: CallRequest) -> CallState:
        with self._lock:
            self.asked.append((time.monotonic(), request.from_, request.to))
            state = CallState(
                sid=f"CA{next(self._count):032x}", account_sid=self.account_sid,
                to=request.to, from_=request.from_, status="queued",
                direction="outbound-api", parent_call_sid=None,
                date_created=datetime.now(UTC), start_time=None, end_time=None, duration=None,
            )
            self._calls[state.sid] = state
            return state

    def fetch_call(self, sid: str) -> CallState:
        with self._lock:
            return self._calls[sid]

    def update_call(self, sid: str, *, status: str | None = None, url: str | None = None,
                    method: str = "POST", twiml: str | None = None) -> CallState:
        return self.fetch_call(sid)

    def create_message(self, request: MessageRequest) -> MessageState:
        return MessageState(sid=f"SM{next(self._count):032x}", account_sid=self.account_sid,
                            to=request.to, from_=request.from_, body=request.body,
                            status="queued", date_created=datetime.now(UTC))

    def list_messages(self, to: str, from_: str, since: datetime) -> list[MessageState]:
        return []            # the bench sends texts only when no one is on call: never here

    def recording_media(self, sid: str) -> bytes:
        raise CarrierError(f"no recording {sid}: the latency round records none", 404)

    def delete_recording(self, sid: str) -> None:
        raise CarrierError(f"no recording {sid}: the latency round records none", 404)

    def list_conferences(self, friendly_name: str | None, status: str | None
                         ) -> list[ConferenceState]:
        return []            # no call is played, so no conference is ever made

    def update_participant(self, conference_sid: str, call_sid: str, *,
                           muted: bool) -> ParticipantState:
        raise CarrierError(f"no conference {conference_sid}: the latency round plays none", 404)

    def first_after(self, since: float, from_: str) -> float | None:
        """When the first call from the hotline number `from_` was asked for after `since`."""
        with self._lock:
            times = [when for when, frm, _ in self.asked if frm == from_ and when >= since]
        return min(times) if times else None
