"""What the web app reads of calls: calls in progress and a volunteer's own calls.

The web app reads the call tables here and nowhere else. Nothing here returns a caller's
number, masked or not.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.logs.models import Call, CallLeg, LegStatus, Phase
from hotline.roster.models import Chapter

LIVE_PHASES = (Phase.HOLDING, Phase.ANSWERED)


@dataclass(frozen=True)
class LiveCall:
    """A call still going on: waiting for a volunteer, or talking to one."""

    chapter_id: int
    started_at: datetime
    talking: bool
    answered_by: str | None        # the volunteer's name


def calls_in_progress(session: Session, chapter_ids: Collection[int] | None) -> list[LiveCall]:
    """Calls holding or answered now, oldest first; all chapters when `chapter_ids` is None."""
    query = (
        select(Call.chapter_id, Call.started_at, Call.phase, CallLeg.volunteer_name)
        .outerjoin(CallLeg, CallLeg.id == Call.answered_leg_id)
        .where(Call.phase.in_(LIVE_PHASES), Call.chapter_id.is_not(None))
        .order_by(Call.started_at)
    )
    if chapter_ids is not None:
        query = query.where(Call.chapter_id.in_(sorted(chapter_ids)))
    return [
        LiveCall(chapter_id, started_at, phase is Phase.ANSWERED, name or None)
        for chapter_id, started_at, phase, name in session.execute(query)
        if chapter_id is not None
    ]


@dataclass(frozen=True)
class MyCall:
    """One call a volunteer's phone rang for, as that volunteer may see it."""

    chapter: str                   # the chapter's name
    offered_at: datetime
    outcome: str | None            # the leg's: answered, declined, no_answer, ... (None: live)
    talk_seconds: int | None       # only when they took it
    call_id: int = 0
    took: bool = False             # they answered it: theirs to write a note on


def calls_of_volunteer(session: Session, volunteer_id: int, *, limit: int = 50) -> list[MyCall]:
    """The newest calls offered to the volunteer, newest first."""
    rows = session.execute(
        select(Chapter.name, CallLeg.created_at, CallLeg.outcome, Call.talk_seconds,
               Call.answered_leg_id, CallLeg.id, Call.id)
        .join(Call, Call.id == CallLeg.call_id)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(CallLeg.volunteer_id == volunteer_id,
               CallLeg.status != LegStatus.WITHDRAWN)        # an offer never dialled never rang
        .order_by(CallLeg.created_at.desc())
        .limit(limit)
    ).all()
    return [
        MyCall(name or "", offered_at, outcome, talk if answered_leg == leg_id else None,
               call_id, answered_leg == leg_id)
        for name, offered_at, outcome, talk, answered_leg, leg_id, call_id in rows
    ]


def my_call(session: Session, volunteer_id: int, call_id: int) -> MyCall | None:
    """The call as the volunteer who took it sees it; None unless they took it."""
    found = session.execute(
        select(Chapter.name, CallLeg.created_at, CallLeg.outcome, Call.talk_seconds)
        .join(Call, Call.answered_leg_id == CallLeg.id)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(Call.id == call_id, CallLeg.volunteer_id == volunteer_id)).first()
    if found is None:
        return None
    name, offered_at, outcome, talk = found
    return MyCall(name or "", offered_at, outcome, talk, call_id, True)
