"""Twilio's form fields turned into typed values; anything malformed raises FormError (400)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from hotline.calls.events import DialResult, InboundCall, QueueResult, Recording, StatusEvent
from hotline.calls.texts import InboundText
from hotline.logs.models import LegStatus

_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9*#]{0,32}")
_URL = re.compile(r"https?://[\x21-\x7e]{1,2000}")     # printable ASCII: no NUL, no spaces
_NUMBER = re.compile(r"\+?[0-9]{2,15}")
# What Twilio puts in From when the caller withholds their number.
_WITHHELD = {"anonymous", "restricted", "unknown", "unavailable", "private", "+266696687",
             "+7378742833", "+2562533", "+8656696"}
# Statuses a callback may carry before its own SequenceNumber existed (no events asked for).
_DEFAULT_SEQUENCE = {LegStatus.QUEUED: 0, LegStatus.INITIATED: 0, LegStatus.RINGING: 1,
                     LegStatus.IN_PROGRESS: 2}

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


def parse_inbound(form: Form) -> InboundCall:
    """/voice/incoming: the call, the dialled number and the caller (None if withheld)."""
    call_sid = _sid(form, "CallSid", "CA")
    to = _required(form, "To")
    if not _NUMBER.fullmatch(to):
        raise FormError("To is not a phone number")
    raw_from = (form.get("From") or "").strip()
    caller = None if raw_from.lower() in _WITHHELD or not raw_from else raw_from
    if caller is not None and not _NUMBER.fullmatch(caller):
        caller = None  # a SIP URI or client name: nothing to mask or ban by
    return InboundCall(call_sid=call_sid, to=to, caller=caller)


def parse_inbound_text(form: Form) -> InboundText:
    """/sms/incoming: the message, the hotline number and the sender."""
    message_sid = _required(form, "MessageSid")
    if not _SID.fullmatch(message_sid) or message_sid[:2] not in ("SM", "MM"):
        raise FormError("MessageSid is not an SM or MM SID")
    to = _required(form, "To")
    sender = _required(form, "From")
    if not _NUMBER.fullmatch(to) or not _NUMBER.fullmatch(sender):
        raise FormError("To and From must be phone numbers")
    return InboundText(message_sid=message_sid, to=to, sender=sender,
                       body=(form.get("Body") or "")[:1600])


def parse_status(form: Form, now: datetime) -> StatusEvent:
    """A status callback; Timestamp (RFC 2822) fixes `at`, else the time it reached us."""
    call_sid = _sid(form, "CallSid", "CA")
    status = _enum(form, "CallStatus", LegStatus)
    if status is LegStatus.INTENT:
        raise FormError("CallStatus has an unknown value")
    sequence = _int(form, "SequenceNumber", required=False)
    if sequence is None:
        sequence = _DEFAULT_SEQUENCE.get(status, 3)
    return StatusEvent(
        call_sid=call_sid, status=status, sequence_number=sequence,
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
    _sid(form, "CallSid", "CA")
    value = _int(form, "QueueTime", required=True)
    assert value is not None
    return value


def parse_queue_result(form: Form) -> QueueResult:
    _sid(form, "CallSid", "CA")
    return _enum(form, "QueueResult", QueueResult)


def parse_digits(form: Form) -> str:
    """The keys pressed at a Gather ('' when none)."""
    _sid(form, "CallSid", "CA")
    digits = (form.get("Digits") or "").strip()
    if not _DIGITS.fullmatch(digits):
        raise FormError("Digits must be keypad keys")
    return digits


def parse_recording(form: Form, *, completed: bool) -> Recording | None:
    """The Record action or recording callback; None when no message was recorded."""
    _sid(form, "CallSid", "CA")
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
        status = _required(form, "RecordingStatus")
        if status != "completed":
            return Recording(sid, url, duration, completed=False)
    return Recording(sid, url, duration, completed=completed)


def parse_dial(form: Form) -> DialResult:
    """The plain `<Dial>`'s action: whether anyone talked, and for how long."""
    _sid(form, "CallSid", "CA")
    status = _required(form, "DialCallStatus")
    if status not in ("completed", "answered", "busy", "no-answer", "failed", "canceled"):
        raise FormError("DialCallStatus has an unknown value")
    duration = _int(form, "DialCallDuration", required=False) or 0
    answered = status in ("completed", "answered") and duration > 0
    dial_sid = form.get("DialCallSid") or None
    if dial_sid is not None and not _SID.fullmatch(dial_sid):
        raise FormError("DialCallSid is not a CA SID")
    return DialResult(answered=answered, duration_seconds=duration, dial_call_sid=dial_sid)
