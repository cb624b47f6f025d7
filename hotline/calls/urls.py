"""Paths of the app's own Twilio-facing URLs; the voice blueprint routes the same paths.

The domain builds the URLs it hands to the network (REST calls) from these; the views
build the ones they put in TwiML. One module keeps the two from drifting apart.
"""

from __future__ import annotations

INCOMING = "/voice/incoming"
STATUS = "/voice/status"
SMS_INCOMING = "/sms/incoming"


def absolute(public_url: str, path: str) -> str:
    """`path` under the configured public URL (what Twilio requests and signs)."""
    return public_url.rstrip("/") + path


def hold(call_id: int) -> str:
    return f"/voice/calls/{call_id}/hold"


def queue_exit(call_id: int) -> str:
    return f"/voice/calls/{call_id}/queue-exit"


def menu(call_id: int) -> str:
    return f"/voice/calls/{call_id}/menu"


def recorded(call_id: int) -> str:
    return f"/voice/calls/{call_id}/recorded"


def recording_status(call_id: int) -> str:
    return f"/voice/calls/{call_id}/recording-status"


def dialled(call_id: int) -> str:
    return f"/voice/calls/{call_id}/dialled"


def leg_answer(leg_id: int) -> str:
    return f"/voice/legs/{leg_id}/answer"


def leg_accept(leg_id: int) -> str:
    return f"/voice/legs/{leg_id}/accept"


def leg_timeout(leg_id: int) -> str:
    return f"/voice/legs/{leg_id}/timeout"


def leg_status(leg_id: int) -> str:
    return f"/voice/legs/{leg_id}/status"


def leg_bridged(leg_id: int) -> str:
    return f"/voice/legs/{leg_id}/bridged"
