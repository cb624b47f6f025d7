"""The voicemail inbox as a coordinator sees it: each message, the caller masked; marking one
handled, giving it to a volunteer of the chapter, and returning the call.

A message given to a volunteer is theirs in the dial-in menu too (nobody else hears it
there), as when they take it by text. Returning the call is the call-back domain's own
request (`request_followup`, not asked by the caller): its attempts are offered to the
volunteers on call like any call-back, or rung to the volunteer the message was given to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from hotline.accounts.models import User
from hotline.callbacks.listing import State, state_of
from hotline.callbacks.requests import request_followup
from hotline.logs.models import Call, CallbackRequest, CallKind, FollowUpKind, Voicemail
from hotline.refusals import N_, Refusal
from hotline.roster.models import Chapter, Volunteer
from hotline.roster.people import volunteers_of
from hotline.roster.trainees import mentored

REPEAT_WINDOW = timedelta(days=7)
LIST_LIMIT = 200              # the newest messages a page shows


class FollowUpError(Refusal):
    """A change to a message or a call-back refused, with the reason."""


@dataclass(frozen=True)
class VoicemailLine:
    """One message in the inbox; `caller` is masked (last four digits at most)."""

    id: int
    chapter_id: int
    chapter: str                  # slug
    chapter_name: str
    chapter_timezone: str
    left_at: datetime             # UTC
    caller: str
    seconds: int
    playable: bool                # recorded, and not deleted by the retention run
    assigned_to: str | None
    assigned_id: int | None
    handled_at: datetime | None
    handled_by: str | None        # the account that marked it, or the volunteer who returned it
    callback: str | None          # the reference of the call-back owed for the call, if any
    callback_state: State | None
    calls_in_week: int            # this caller's calls to the chapter in the 7 days before


def list_voicemails(session: Session, chapter_ids: list[int] | None, *,
                    handled: bool | None = None, limit: int = LIST_LIMIT) -> list[VoicemailLine]:
    """Messages in these chapters (None: every chapter), newest first, at most `limit`;
    `handled` True or False keeps only those handled or not."""
    assignee, returner = aliased(Volunteer), aliased(Volunteer)
    query = (select(Voicemail, Call, Chapter, assignee.name, User.name, CallbackRequest,
                    returner.name)
             .join(Call, Call.id == Voicemail.call_id)
             .join(Chapter, Chapter.id == Call.chapter_id)
             .outerjoin(assignee, assignee.id == Voicemail.claimed_volunteer_id)
             .outerjoin(User, User.id == Voicemail.handled_by_user_id)
             .outerjoin(CallbackRequest, (CallbackRequest.call_id == Call.id)
                        & (CallbackRequest.kind == FollowUpKind.CALLBACK))
             .outerjoin(returner, returner.id == CallbackRequest.claimed_volunteer_id)
             .order_by(Voicemail.created_at.desc(), Voicemail.id.desc()).limit(limit))
    if chapter_ids is not None:
        query = query.where(Call.chapter_id.in_(chapter_ids))
    if handled is not None:
        query = query.where(Voicemail.handled_at.is_not(None) if handled
                            else Voicemail.handled_at.is_(None))
    rows = session.execute(query).all()
    repeats = _calls_in_week(session, [call for _, call, *_ in rows])
    lines = []
    for voicemail, call, chapter, assigned, handler, request, returned_by in rows:
        lines.append(VoicemailLine(
            id=voicemail.id, chapter_id=chapter.id, chapter=chapter.slug,
            chapter_name=chapter.name, chapter_timezone=chapter.timezone,
            left_at=voicemail.created_at, caller=call.caller_hint or "anonymous",
            seconds=voicemail.duration_seconds,
            playable=voicemail.deleted_at is None and voicemail.status == "completed"
            and voicemail.duration_seconds > 0,
            assigned_to=assigned, assigned_id=voicemail.claimed_volunteer_id,
            handled_at=voicemail.handled_at,
            handled_by=handler or (returned_by if voicemail.handled_at else None),
            callback=request.reference if request else None,
            callback_state=state_of(request) if request else None,
            calls_in_week=repeats.get(call.id, 1)))
    return lines


def _calls_in_week(session: Session, calls: list[Call]) -> dict[int, int]:
    """For each call, how many calls its caller made to the chapter in the week up to it
    (itself included), from the keyed hash: never the number."""
    hashes = {c.caller_hash for c in calls if c.caller_hash}
    if not hashes:
        return {}
    earliest = min(c.started_at for c in calls) - REPEAT_WINDOW
    times: dict[tuple[str, int | None], list[datetime]] = defaultdict(list)
    for caller_hash, chapter_id, started in session.execute(
            select(Call.caller_hash, Call.chapter_id, Call.started_at)
            .where(Call.caller_hash.in_(sorted(hashes)), Call.kind == CallKind.INBOUND,
                   Call.started_at >= earliest)):
        times[(caller_hash, chapter_id)].append(started)
    return {c.id: sum(1 for t in times[(c.caller_hash, c.chapter_id)]
                      if c.started_at - REPEAT_WINDOW < t <= c.started_at)
            for c in calls if c.caller_hash}


def voicemail_in(session: Session, voicemail_id: int, chapter_ids: frozenset[int] | None
                 ) -> tuple[Voicemail, Call] | None:
    """The message and its call, if it is in one of these chapters (None: any chapter)."""
    found = session.execute(select(Voicemail, Call).join(Call, Call.id == Voicemail.call_id)
                            .where(Voicemail.id == voicemail_id)).first()
    if found is None:
        return None
    voicemail, call = found
    if call.chapter_id is None or (chapter_ids is not None and call.chapter_id not in chapter_ids):
        return None
    return voicemail, call


def summary(voicemail: Voicemail) -> dict[str, object]:
    """What the audit log keeps of a message (never the number)."""
    return {"assigned_volunteer_id": voicemail.claimed_volunteer_id,
            "handled_at": voicemail.handled_at, "handled_by_user_id": voicemail.handled_by_user_id}


def mark_handled(voicemail: Voicemail, user_id: int, now: datetime) -> None:
    """Someone dealt with the message: it leaves the unhandled list and the dial-in menu."""
    if voicemail.handled_at is not None:
        raise FollowUpError(N_("This message was already marked handled."))
    voicemail.handled_at, voicemail.handled_by_user_id = now, user_id


def takers_of(session: Session, chapter_id: int) -> list[Volunteer]:
    """The chapter's volunteers a message or call-back can be given to: the active ones,
    but not its trainees when it listens in (they take nothing alone there)."""
    chapter = session.get(Chapter, chapter_id)
    return [v for v in volunteers_of(session, chapter_id)
            if v.active and not (chapter is not None and mentored(chapter, v))]


def member_of(session: Session, chapter_id: int, volunteer_id: int) -> Volunteer:
    """An active volunteer of the chapter who may take it alone, or the refusal."""
    found = next((v for v in takers_of(session, chapter_id) if v.id == volunteer_id), None)
    if found is None:
        raise FollowUpError(N_("Choose an active volunteer of this chapter (one in training "
                               "on a line with listen-in takes nothing alone)."))
    return found


def assign_voicemail(session: Session, voicemail: Voicemail, call: Call,
                     volunteer_id: int | None, now: datetime) -> Volunteer | None:
    """Give the message to a volunteer of its chapter (None: to nobody in particular)."""
    assert call.chapter_id is not None
    volunteer = member_of(session, call.chapter_id, volunteer_id) if volunteer_id else None
    voicemail.claimed_volunteer_id = volunteer.id if volunteer else None
    voicemail.claimed_at = now if volunteer else None
    return volunteer


def call_back(session: Session, voicemail: Voicemail, call: Call, user_id: int, now: datetime
              ) -> CallbackRequest:
    """Return the caller's call: a call-back request on their call (its first attempt
    scheduled by the chapter's delays and hours, the volunteers on call alerted), taken by
    the volunteer the message was given to if any; the message is then handled."""
    if not call.caller_cipher:
        raise FollowUpError(N_("The caller withheld their number: they cannot be called back."))
    request = request_followup(session, call, FollowUpKind.CALLBACK, now, asked_by_caller=False)
    if request is None:
        raise FollowUpError(N_("This caller cannot be called back."))
    if voicemail.claimed_volunteer_id is not None and request.claimed_volunteer_id is None:
        request.claimed_volunteer_id, request.claimed_at = voicemail.claimed_volunteer_id, now
    if voicemail.handled_at is None:
        voicemail.handled_at, voicemail.handled_by_user_id = now, user_id
    return request

