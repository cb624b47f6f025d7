"""The small interface the app uses to reach the phone network.

Two implementations stand side by side: `twilio_rest.TwilioTelephony` (the real
REST API, or anything that speaks it, such as the stand-in's REST server) and
`standin.StandinTelephony` (straight into the stand-in's switchboard, no HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TelephonyError(Exception):
    """The network refused or could not carry out a request."""


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
