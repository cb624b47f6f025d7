"""The contract between the stand-in's REST front and its switchboard.

The REST server (`rest.py`) turns Twilio REST requests into these values and
calls a `Carrier`; the switchboard (`switchboard.py`) implements it and plays
the calls. `StandinTelephony` calls a `Carrier` directly, skipping HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hotline.telephony import ENDED


class CarrierError(Exception):
    """A request the carrier refuses (unknown call, bad state); `status` is the HTTP code."""

    def __init__(self, message: str, status: int = 400, code: int = 21220) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def status_after(current: str, requested: str) -> str:
    """What the network makes of `POST Status=requested` on a call now in `current`.

    "canceled" ends a call not yet answered and leaves one in progress alone; "completed"
    ends any live call (a ringing one ends canceled: it was never answered). An ended call
    is left as it is, without an error: the switchboard and the tests' fake both obey this.
    """
    if requested not in ("completed", "canceled"):
        raise CarrierError(f"Invalid status {requested!r}.", 400, 21218)
    if current in ENDED:
        return current
    ringing = current in ("queued", "initiated", "ringing")
    if requested == "canceled":
        return "canceled" if ringing else current
    return "canceled" if ringing else "completed"


@dataclass(frozen=True)
class CallRequest:
    to: str
    from_: str
    url: str | None = None
    twiml: str | None = None
    method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_event: tuple[str, ...] = ("completed",)
    timeout: int = 60
    machine_detection: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallState:
    sid: str
    account_sid: str
    to: str
    from_: str
    # queued ringing in-progress completed busy failed no-answer canceled
    status: str
    direction: str                # inbound | outbound-api | outbound-dial
    parent_call_sid: str | None
    date_created: datetime
    start_time: datetime | None
    end_time: datetime | None
    duration: int | None          # seconds, once completed


@dataclass(frozen=True)
class MessageRequest:
    to: str
    from_: str
    body: str
    status_callback: str | None = None


@dataclass(frozen=True)
class MessageState:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status: str
    date_created: datetime


@dataclass(frozen=True)
class ConferenceState:
    sid: str
    account_sid: str
    friendly_name: str
    status: str                   # init | in-progress | completed
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class ParticipantState:
    account_sid: str
    conference_sid: str
    call_sid: str
    muted: bool
    start_conference_on_enter: bool
    end_conference_on_exit: bool
    status: str                   # connected (the only state the stand-in shows)
    date_created: datetime
    date_updated: datetime


class Carrier(Protocol):
    account_sid: str

    def create_call(self, request: CallRequest) -> CallState: ...

    def fetch_call(self, sid: str) -> CallState: ...          # raises CarrierError(404)

    def update_call(
        self,
        sid: str,
        *,
        status: str | None = None,          # "completed" | "canceled"
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
    ) -> CallState: ...

    def create_message(self, request: MessageRequest) -> MessageState: ...

    def list_messages(self, to: str, from_: str, since: datetime) -> list[MessageState]: ...

    def recording_media(self, sid: str) -> bytes: ...          # raises CarrierError(404)

    def delete_recording(self, sid: str) -> None: ...          # raises CarrierError(404)

    def list_conferences(self, friendly_name: str | None, status: str | None
                         ) -> list[ConferenceState]: ...

    def update_participant(self, conference_sid: str, call_sid: str, *,
                           muted: bool) -> ParticipantState: ...   # CarrierError(404)
