"""What the web app reads of calls: calls in progress (the live view) and a volunteer's own calls.

The web app reads the call tables here and nowhere else. Nothing here returns a caller's
number, masked or not.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hotline.logs.models import Call, CallKind, CallLeg, LegStatus, Phase
from hotline.roster.models import Chapter

LIVE_PHASES = (Phase.HOLDING, Phase.ANSWERED)


@dataclass(frozen=True)
class LiveCall:
    """A call still going on: holding (and whose phones ring for it), or talking."""

    call_id: int
    chapter_id: int
    kind: CallKind
    started_at: datetime
    talking: bool
    answered_by: str | None        # the volunteer's name
    talking_since: datetime | None
    position: int | None           # holding: 1 for the next caller of its chapter to be served
    ringing: tuple[str, ...]       # holding: the volunteers whose phones ring for it now


def calls_in_progress(session: Session, chapter_ids: Collection[int] | None) -> list[LiveCall]:
    """Calls holding or answered now, oldest first; all chapters when `chapter_ids` is None.

    One query: each live call with its engaged legs (ringing, or its answered leg).
    """
    query = (
        select(Call.id, Call.chapter_id, Call.kind, Call.started_at, Call.phase,
               Call.answered_at, Call.answered_leg_id, CallLeg.id, CallLeg.volunteer_name)
        .outerjoin(CallLeg, and_(CallLeg.call_id == Call.id,
                                 or_(CallLeg.id == Call.answered_leg_id,
                                     CallLeg.engaged.is_(True))))
        .where(Call.phase.in_(LIVE_PHASES), Call.chapter_id.is_not(None))
        .order_by(Call.started_at, Call.id, CallLeg.id)
    )
    if chapter_ids is not None:
        query = query.where(Call.chapter_id.in_(sorted(chapter_ids)))
    calls: dict[int, dict[str, Any]] = {}
    for (call_id, chapter_id, kind, started_at, phase, answered_at, answered_leg,
         leg_id, name) in session.execute(query):
        call = calls.setdefault(call_id, {
            "chapter_id": chapter_id, "kind": kind, "started_at": started_at,
            "talking": phase is Phase.ANSWERED, "answered_at": answered_at,
            "answered_by": None, "ringing": []})
        if leg_id is None:
            continue
        if leg_id == answered_leg:
            call["answered_by"] = name or None
        elif phase is Phase.HOLDING:
            # (The other phones of an answered call are being stopped: not "ringing".)
            call["ringing"].append(name)
    live: list[LiveCall] = []
    waiting: dict[int, int] = {}
    for call_id, call in calls.items():
        position = None
        if not call["talking"]:
            position = waiting[call["chapter_id"]] = waiting.get(call["chapter_id"], 0) + 1
        live.append(LiveCall(
            call_id, call["chapter_id"], call["kind"], call["started_at"], call["talking"],
            call["answered_by"], call["answered_at"] if call["talking"] else None, position,
            tuple(call["ringing"])))
    return live


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
