"""What the network tells the call flow, as typed values (hotline.voice parses the forms).

Twilio's wire words are enums of their own here, listing every value Twilio documents for
the fields the app reads; they are mapped to the records' own states where they are used,
so a value that exists only in the database (a leg's "intent") is never a form's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from hotline.logs.models import LegStatus
from hotline.phone import E164


class CallStatus(enum.StrEnum):
    """Twilio's CallStatus (and a status callback's): every value its docs list, A to Z."""

    BUSY = "busy"
    CANCELED = "canceled"
    COMPLETED = "completed"
    FAILED = "failed"
    IN_PROGRESS = "in-progress"
    INITIATED = "initiated"
    NO_ANSWER = "no-answer"
    QUEUED = "queued"
    RINGING = "ringing"

    @property
    def ended(self) -> bool:
        return self.leg_status.ended

    @property
    def leg_status(self) -> LegStatus:
        """The leg status this network status moves a leg to."""
        return LegStatus(self.value)


class QueueResult(enum.StrEnum):
    """Why a caller left the `<Enqueue>` (the action request's QueueResult)."""

    BRIDGED = "bridged"
    BRIDGING_IN_PROGRESS = "bridging-in-progress"
    REDIRECTED_FROM_BRIDGED = "redirected-from-bridged"
    HANGUP = "hangup"
    LEAVE = "leave"
    REDIRECTED = "redirected"
    QUEUE_FULL = "queue-full"
    ERROR = "error"
    SYSTEM_ERROR = "system-error"

    @property
    def bridged(self) -> bool:
        """The caller reached a volunteer (the request comes after the talk)."""
        return self in (QueueResult.BRIDGED, QueueResult.BRIDGING_IN_PROGRESS,
                        QueueResult.REDIRECTED_FROM_BRIDGED)


class DialCallStatus(enum.StrEnum):
    """The `<Dial>` action's DialCallStatus."""

    COMPLETED = "completed"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


class RecordingStatus(enum.StrEnum):
    """A recording status callback's RecordingStatus."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    ABSENT = "absent"
    FAILED = "failed"


@dataclass(frozen=True)
class InboundCall:
    """A call arriving at a hotline number; `caller` is None when the number is withheld."""

    call_sid: str
    to: E164
    caller: E164 | None


@dataclass(frozen=True)
class StatusEvent:
    """One status callback; `at` is Twilio's Timestamp (else when it reached us)."""

    call_sid: str
    status: CallStatus
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
