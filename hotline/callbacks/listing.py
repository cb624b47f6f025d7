"""Call-backs as a coordinator sees them: waiting, attempted or done, callers masked; and
calling one off."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.callbacks.requests import end
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallKind,
    CallLeg,
    FollowUpKind,
    FollowUpStatus,
)
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
    id: int = 0
    taken_by_id: int | None = None


@dataclass(frozen=True)
class Attempt:
    """One attempt at a follow-up: when, the volunteer who took it, how it ended (None while
    it is being made)."""

    at: datetime
    volunteer: str | None
    result: AttemptResult | None


class CancelError(LookupError):
    """No open call-back has that reference."""


def state_of(request: CallbackRequest) -> State:
    if request.status is not FollowUpStatus.OPEN:
        return State.DONE
    return State.ATTEMPTED if request.attempts else State.WAITING


def list_callbacks(session: Session, *, chapter_slug: str | None = None,
                   states: frozenset[State] = frozenset(State),
                   done_limit: int | None = None) -> list[CallbackLine]:
    """Follow-ups owed to callers, oldest request first; with `done_limit`, only that many
    of the ended ones, the most recently ended (the open ones are always all there)."""
    query = (select(CallbackRequest, Call.caller_hint, Chapter.slug, Volunteer.name)
             .join(Call, Call.id == CallbackRequest.call_id)
             .join(Chapter, Chapter.id == Call.chapter_id)
             .outerjoin(Volunteer, Volunteer.id == CallbackRequest.claimed_volunteer_id))
    if chapter_slug is not None:
        query = query.where(Chapter.slug == chapter_slug)
    ended = State.DONE in states
    open_only = query.where(CallbackRequest.status == FollowUpStatus.OPEN)
    found = list(session.execute(query if ended and done_limit is None else open_only))
    if ended and done_limit is not None:
        ended_at = func.coalesce(CallbackRequest.ended_at, CallbackRequest.requested_at)
        found += session.execute(query.where(CallbackRequest.status != FollowUpStatus.OPEN)
                                 .order_by(ended_at.desc(), CallbackRequest.id.desc())
                                 .limit(done_limit))
    found.sort(key=lambda row: (row[0].requested_at, row[0].id))
    lines = []
    for request, hint, slug, taker in found:
        state = state_of(request)
        if state not in states:
            continue
        lines.append(CallbackLine(
            reference=request.reference or "", chapter=slug, kind=request.kind, state=state,
            status=request.status, caller=hint or "anonymous", requested_at=request.requested_at,
            attempts=request.attempts, taken_by=taker, ended_at=request.ended_at,
            id=request.id, taken_by_id=request.claimed_volunteer_id))
    return lines


def attempts_of(session: Session, request_ids: list[int]) -> dict[int, list[Attempt]]:
    """Each follow-up's attempts (calls of ours), oldest first."""
    found: dict[int, list[Attempt]] = {}
    if not request_ids:
        return found
    rows = session.execute(
        select(Call.followup_id, Call.started_at, Call.result, CallLeg.volunteer_name)
        .outerjoin(CallLeg, CallLeg.id == Call.answered_leg_id)
        .where(Call.followup_id.in_(request_ids), Call.kind != CallKind.INBOUND)
        .order_by(Call.started_at, Call.id))
    for request_id, at, result, volunteer in rows:
        if request_id is not None:
            found.setdefault(request_id, []).append(Attempt(at, volunteer, result))
    return found


def open_request(session: Session, reference: str, chapter_id: int) -> CallbackRequest:
    """The chapter's open follow-up with this reference, or CancelError."""
    ref = reference.strip().upper()
    request = session.scalar(
        select(CallbackRequest).join(Call, Call.id == CallbackRequest.call_id)
        .where(CallbackRequest.reference == ref, Call.chapter_id == chapter_id))
    if request is None:
        raise CancelError(f"no call-back with the reference {ref}")
    if request.status is not FollowUpStatus.OPEN:
        raise CancelError(f"call-back {ref} is already {request.status.value}")
    return request


def assign_callback(request: CallbackRequest, volunteer: Volunteer | None, now: datetime
                    ) -> None:
    """Give an open follow-up to one volunteer (its attempts ring them alone, as when they
    take it by text), or to nobody in particular (the volunteers on call)."""
    request.claimed_volunteer_id = volunteer.id if volunteer else None
    request.claimed_at = now if volunteer else None


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
