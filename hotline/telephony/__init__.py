"""The small interface the app uses to reach the phone network.

Two implementations stand side by side: `twilio_rest.TwilioTelephony` (the real
REST API, or anything that speaks it, such as the stand-in's REST server) and
`standin.StandinTelephony` (straight into the stand-in's switchboard, no HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class TelephonyError(Exception):
    """The network refused or could not carry out a request; `code` is Twilio's, if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
NOT_ANSWERED = frozenset({"queued", "initiated", "ringing"})


def stop_status(current: str) -> str | None:
    """The Status to POST to end a call now in `current`; None if it has ended already.

    Twilio: "canceled" ends a call not yet answered (and leaves one in progress alone),
    "completed" hangs up one in progress.
    """
    if current in ENDED:
        return None
    return "canceled" if current in NOT_ANSWERED else "completed"


@dataclass(frozen=True)
class OutboundCall:
    """What the app asks for when it rings a volunteer's phone."""

    to: str
    from_: str
    url: str                      # TwiML fetched (POST) when the callee answers
    status_callback: str          # POSTed on each event below
    status_events: tuple[str, ...] = ("initiated", "ringing", "answered", "completed")
    timeout_seconds: int = 30     # ring this long before giving up (no-answer)


class Telephony(Protocol):
    def place_call(self, call: OutboundCall) -> str:
        """Start an outbound call; returns its CallSid."""
        ...

    def stop_call(self, call_sid: str) -> None:
        """End a call whatever its state (cancel if ringing, hang up if answered)."""
        ...

    def move_call(self, call_sid: str, url: str) -> None:
        """Send a live call to new TwiML at `url` (POST)."""
        ...

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Send a text message; returns its MessageSid."""
        ...

    def find_sms(self, to: str, from_: str, since: datetime, body: str) -> str | None:
        """The MessageSid of such a text sent since `since`, if there is one (after a crash:
        was it sent before we could note it?)."""
        ...

    def recording_audio(self, recording_sid: str) -> bytes:
        """A recording's audio (fetched with the account's credentials)."""
        ...

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording at the network (its media is gone for good)."""
        ...

    def mute_participant(self, conference: str, call_sid: str, muted: bool) -> None:
        """Mute or unmute the call `call_sid` in the conference in progress named
        `conference` (listen-in: the mentor lets the trainee speak)."""
        ...
