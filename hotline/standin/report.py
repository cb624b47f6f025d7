"""What a simulated call came to, as values a test can assert on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hotline.standin.calls import HttpError, Leg, Message, Recording
from hotline.standin.transcript import Transcript


@dataclass(frozen=True)
class LegReport:
    """One leg; times are seconds after the reported call began (None: never)."""

    sid: str
    to: str
    from_: str
    direction: str
    parent_sid: str | None
    status: str
    answered_at: float | None
    ended_at: float | None
    bridged_with: tuple[str, ...]       # SIDs of the legs it was bridged to
    heard: tuple[str, ...]
    digits: tuple[str, ...]


@dataclass(frozen=True)
class CallReport:
    """An inbound call and every leg created while it lasted."""

    sid: str
    from_: str
    to: str
    status: str
    started: datetime
    duration: float                     # seconds from the first ring to the end
    answered_at: float | None
    reject_reason: str | None
    heard: tuple[str, ...]              # what the caller heard (<Say> texts), in order
    digits: tuple[str, ...]             # what the caller pressed
    legs: tuple[LegReport, ...]         # REST and Dial legs placed while the call lasted
    bridged_to: str | None              # number of the last leg the caller was bridged with
    bridged_sid: str | None
    bridged_seconds: float              # total time bridged to anyone
    queue_results: tuple[str, ...]
    recordings: tuple[Recording, ...]
    messages: tuple[Message, ...]       # SMS sent while the call lasted
    errors: tuple[HttpError, ...]       # the app's failed answers during the call
    transcript: str

    def leg(self, to: str) -> LegReport:
        """The last leg placed to `to` (KeyError if none)."""
        for leg in reversed(self.legs):
            if leg.to == to:
                return leg
        raise KeyError(to)


def _offset(moment: datetime | None, start: datetime) -> float | None:
    return None if moment is None else (moment - start).total_seconds()


def leg_report(leg: Leg, start: datetime) -> LegReport:
    return LegReport(
        sid=leg.sid, to=leg.to, from_=leg.from_, direction=leg.direction,
        parent_sid=leg.parent_sid, status=leg.status,
        answered_at=_offset(leg.answered, start), ended_at=_offset(leg.ended, start),
        bridged_with=tuple(sid for sid, _, _ in leg.bridged_with),
        heard=tuple(leg.heard), digits=tuple(leg.digits),
    )


def call_report(
    call: Leg, legs: list[Leg], recordings: list[Recording], messages: list[Message],
    errors: list[HttpError], transcript: Transcript, now: datetime,
    mask: Callable[[str], str] | None = None,
) -> CallReport:
    """Build the report of `call`; legs, SMS and errors are those of its lifetime."""
    start, end = call.created, call.ended or now
    mine = [leg for leg in legs
            if leg.direction != "inbound" and start <= leg.created <= end]
    sids = {call.sid} | {leg.sid for leg in mine}
    bridged = [(sid, a, b or now) for sid, a, b in call.bridged_with]
    by_sid = {leg.sid: leg for leg in legs}
    last = bridged[-1][0] if bridged else None
    begin = (start - transcript.start).total_seconds()
    finish = (end - transcript.start).total_seconds()
    return CallReport(
        sid=call.sid, from_=call.from_, to=call.to, status=call.status, started=start,
        duration=(end - start).total_seconds(),
        answered_at=_offset(call.answered, start), reject_reason=call.reject_reason,
        heard=tuple(call.heard), digits=tuple(call.digits),
        legs=tuple(leg_report(leg, start) for leg in mine),
        bridged_to=by_sid[last].to if last in by_sid else None, bridged_sid=last,
        bridged_seconds=sum((b - a).total_seconds() for _, a, b in bridged),
        queue_results=tuple(call.queue_results),
        recordings=tuple(r for r in recordings if r.call_sid in sids),
        messages=tuple(m for m in messages if start <= m.sent <= end),
        errors=tuple(e for e in errors if e.call_sid in sids or (
            e.call_sid is None and start <= e.at <= end)),
        transcript="\n".join(transcript.lines(mask=mask, since=begin, until=finish + 60)),
    )
