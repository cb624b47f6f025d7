"""Call-backs as a coordinator sees them: waiting, attempted or done, callers masked; and
calling one off."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callbacks.requests import end
from hotline.logs.models import Call, CallbackRequest, FollowUpKind, FollowUpStatus
from hotline.roster.models import Chapter, Volunteer


class State(enum.StrEnum):
    WAITING = "waiting"        # open, no attempt made yet
    ATTEMPTED = "attempted"    # open, tried at least once
    DONE = "done"              # ended: reached, reached elsewhere, gave up or canceled


@dataclass(frozen=True)
class CallbackLine:
    """One follow-up owed to a caller; `caller` is masked (last four digits at most)."""

    reference: str
    chapter: str
    kind: FollowUpKind
    state: State
    status: FollowUpStatus
    caller: str
    requested_at: datetime
    attempts: int
    taken_by: str | None
    ended_at: datetime | None


class CancelError(LookupError):
    """No open call-back has that reference."""


def state_of(request: CallbackRequest) -> State:
    if request.status is not FollowUpStatus.OPEN:
        return State.DONE
    return State.ATTEMPTED if request.attempts else State.WAITING


def list_callbacks(session: Session, *, chapter_slug: str | None = None,
                   states: frozenset[State] = frozenset(State)) -> list[CallbackLine]:
    """Follow-ups owed to callers, oldest request first."""
    query = (select(CallbackRequest, Call.caller_hint, Chapter.slug, Volunteer.name)
             .join(Call, Call.id == CallbackRequest.call_id)
             .join(Chapter, Chapter.id == Call.chapter_id)
             .outerjoin(Volunteer, Volunteer.id == CallbackRequest.claimed_volunteer_id)
             .order_by(CallbackRequest.requested_at, CallbackRequest.id))
    if chapter_slug is not None:
        query = query.where(Chapter.slug == chapter_slug)
    lines = []
    for request, hint, slug, taker in session.execute(query):
        state = state_of(request)
        if state not in states:
            continue
        lines.append(CallbackLine(
            reference=request.reference or "", chapter=slug, kind=request.kind, state=state,
            status=request.status, caller=hint or "anonymous", requested_at=request.requested_at,
            attempts=request.attempts, taken_by=taker, ended_at=request.ended_at))
    return lines


def cancel_callback(session: Session, reference: str, now: datetime) -> CallbackRequest:
    """A coordinator calls off an open call-back or check-in: no further attempt is made
    (one ringing for it now is stopped)."""
    ref = reference.strip().upper()
    request = session.scalar(select(CallbackRequest).where(CallbackRequest.reference == ref))
    if request is None:
        raise CancelError(f"no call-back with the reference {ref}")
    if not end(session, request, FollowUpStatus.CANCELED, now):
        raise CancelError(f"call-back {ref} is already {request.status.value}")
    return request
