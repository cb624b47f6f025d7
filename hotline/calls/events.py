"""What the network tells the call flow, as typed values (the voice views parse the forms)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from hotline.logs.models import LegStatus


class QueueResult(enum.StrEnum):
    """Why a caller left the `<Enqueue>` (the action request's QueueResult)."""

    BRIDGED = "bridged"
    BRIDGING_IN_PROGRESS = "bridging-in-progress"
    HANGUP = "hangup"
    LEAVE = "leave"
    REDIRECTED = "redirected"
    QUEUE_FULL = "queue-full"
    ERROR = "error"
    SYSTEM_ERROR = "system-error"


@dataclass(frozen=True)
class InboundCall:
    """A call arriving at a hotline number; `caller` is None when the number is withheld."""

    call_sid: str
    to: str
    caller: str | None


@dataclass(frozen=True)
class StatusEvent:
    """One status callback; `at` is Twilio's Timestamp (else when it reached us)."""

    call_sid: str
    status: LegStatus
    sequence_number: int
    at: datetime
    duration_seconds: int | None = None


@dataclass(frozen=True)
class Recording:
    """A voicemail recording, from the Record action or the recording status callback."""

    recording_sid: str
    url: str
    duration_seconds: int
    completed: bool


@dataclass(frozen=True)
class DialResult:
    """The plain-`<Dial>` fallback's action request."""

    answered: bool
    duration_seconds: int
    dial_call_sid: str | None = None    # the leg that picked up (DialCallSid)
