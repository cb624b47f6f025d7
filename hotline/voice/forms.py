"""Twilio's form fields turned into typed values; anything malformed raises FormError (400)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from hotline.calls.events import (
    CallStatus,
    DialCallStatus,
    DialResult,
    InboundCall,
    QueueResult,
    Recording,
    RecordingStatus,
    StatusEvent,
)
from hotline.calls.texts import InboundText
from hotline.phone import E164, PhoneError, caller_or_none, parse_caller

_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9*#]{0,32}")
_URL = re.compile(r"https?://[\x21-\x7e]{1,2000}")     # printable ASCII: no NUL, no spaces
# Statuses a callback may carry before its own SequenceNumber existed (no events asked for).
_DEFAULT_SEQUENCE = {CallStatus.QUEUED: 0, CallStatus.INITIATED: 0, CallStatus.RINGING: 1,
                     CallStatus.IN_PROGRESS: 2}

Form = Mapping[str, str]
E = TypeVar("E")


class FormError(ValueError):
    """A missing or malformed field; the message names it (never its value)."""


def _required(form: Form, name: str) -> str:
    value = form.get(name)
    if value is None or value.strip() == "":
        raise FormError(f"{name} is required")
    return value.strip()


def _sid(form: Form, name: str, prefix: str) -> str:
    value = _required(form, name)
    if not _SID.fullmatch(value) or not value.startswith(prefix):
        raise FormError(f"{name} is not a {prefix} SID")
    return value


def _int(form: Form, name: str, *, required: bool) -> int | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise FormError(f"{name} is required")
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:   # not '²' or '١
        raise FormError(f"{name} must be a whole number")
    return int(value)


def _enum(form: Form, name: str, parse: Callable[[str], E]) -> E:
    value = _required(form, name)
    try:
        return parse(value)
    except ValueError:
        raise FormError(f"{name} has an unknown value") from None


def _number(form: Form, name: str) -> E164:
    try:
        return parse_caller(_required(form, name))
    except PhoneError:
        raise FormError(f"{name} is not a phone number") from None


def call_sid(form: Form) -> str:
    """The request's own CallSid (every voice request carries one)."""
    return _sid(form, "CallSid", "CA")


def parse_inbound(form: Form) -> InboundCall:
    """/voice/incoming: the call, the dialled number and the caller (None if withheld)."""
    return InboundCall(call_sid=call_sid(form), to=_number(form, "To"),
                       caller=caller_or_none(form.get("From")))


def parse_inbound_text(form: Form) -> InboundText:
    """/sms/incoming: the message, the hotline number and the sender."""
    message_sid = _required(form, "MessageSid")
    if not _SID.fullmatch(message_sid) or message_sid[:2] not in ("SM", "MM"):
        raise FormError("MessageSid is not an SM or MM SID")
    return InboundText(message_sid=message_sid, to=_number(form, "To"),
                       sender=_number(form, "From"), body=(form.get("Body") or "")[:1600])


def parse_status(form: Form, now: datetime) -> StatusEvent:
    """A status callback; Timestamp (RFC 2822) fixes `at`, else the time it reached us."""
    sid = call_sid(form)
    status = _enum(form, "CallStatus", CallStatus)
    sequence = _int(form, "SequenceNumber", required=False)
    if sequence is None:
        sequence = _DEFAULT_SEQUENCE.get(status, 3)
    return StatusEvent(
        call_sid=sid, status=status, sequence_number=sequence,
        at=_timestamp(form.get("Timestamp"), now),
        duration_seconds=_int(form, "CallDuration", required=False),
    )


def _timestamp(value: str | None, now: datetime) -> datetime:
    if not value:
        return now
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise FormError("Timestamp is not an RFC 2822 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_queue_time(form: Form) -> int:
    """The hold-music request's QueueTime (seconds the caller has waited)."""
    call_sid(form)
    value = _int(form, "QueueTime", required=True)
    assert value is not None
    return value


def parse_queue_result(form: Form) -> QueueResult:
    call_sid(form)
    return _enum(form, "QueueResult", QueueResult)


def parse_digits(form: Form) -> str:
    """The keys pressed at a Gather ('' when none)."""
    call_sid(form)
    digits = (form.get("Digits") or "").strip()
    if not _DIGITS.fullmatch(digits):
        raise FormError("Digits must be keypad keys")
    return digits


def parse_recording(form: Form, *, completed: bool) -> Recording | None:
    """The Record action or recording callback; None when no message was recorded."""
    call_sid(form)
    if not form.get("RecordingSid"):
        if completed:
            raise FormError("RecordingSid is required")
        return None
    sid = _sid(form, "RecordingSid", "RE")
    url = _required(form, "RecordingUrl")
    if not _URL.fullmatch(url):
        raise FormError("RecordingUrl must be an http(s) URL")
    duration = _int(form, "RecordingDuration", required=False) or 0
    if completed:
        status = _enum(form, "RecordingStatus", RecordingStatus)
        if status is not RecordingStatus.COMPLETED:
            return Recording(sid, url, duration, completed=False)
    return Recording(sid, url, duration, completed=completed)


def on_the_line(form: Form) -> bool:
    """Whether the call the request is about is still in progress (`CallStatus`)."""
    return form.get("CallStatus") == "in-progress"


def parse_dial(form: Form) -> DialResult:
    """The plain `<Dial>`'s action: whether anyone talked, and for how long."""
    call_sid(form)
    status = _enum(form, "DialCallStatus", DialCallStatus)
    duration = _int(form, "DialCallDuration", required=False) or 0
    answered = status in (DialCallStatus.COMPLETED, DialCallStatus.ANSWERED) and duration > 0
    dial_sid = form.get("DialCallSid") or None
    if dial_sid is not None and not _SID.fullmatch(dial_sid):
        raise FormError("DialCallSid is not a CA SID")
    return DialResult(answered=answered, duration_seconds=duration, dial_call_sid=dial_sid)
