"""Reading the call records for the call path and the rota's reports (no writes here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hotline.logs.models import ENDED_LEGS, Call, CallEvent, CallLeg, LegOutcome, Phase


def last_offered(session: Session, volunteer_ids: Iterable[int]) -> dict[int, datetime]:
    """When each volunteer was last offered any call (absent: never)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(CallLeg.volunteer_id, func.max(CallLeg.created_at))
        .where(CallLeg.volunteer_id.in_(ids))
        .group_by(CallLeg.volunteer_id)
    ).all()
    return {vid: at for vid, at in rows if vid is not None and at is not None}


def call_counts(
    session: Session, volunteer_ids: list[int], start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """(offered, taken) per volunteer over legs created in [start, end); taken = answered.

    An offer withdrawn before its phone was dialled never reached the volunteer: not counted.
    """
    if not volunteer_ids:
        return {}, {}
    rows = session.execute(
        select(CallLeg.volunteer_id, CallLeg.outcome, func.count())
        .where(CallLeg.volunteer_id.in_(volunteer_ids), CallLeg.created_at >= start,
               CallLeg.created_at < end, CallLeg.outcome.is_not(None))
        .group_by(CallLeg.volunteer_id, CallLeg.outcome)
    ).all()
    offered: dict[int, int] = {}
    taken: dict[int, int] = {}
    for volunteer_id, outcome, count in rows:
        if volunteer_id is None:
            continue
        offered[volunteer_id] = offered.get(volunteer_id, 0) + count
        if outcome is LegOutcome.ANSWERED:
            taken[volunteer_id] = taken.get(volunteer_id, 0) + count
    return offered, taken


def engaged_legs(session: Session, volunteer_ids: Iterable[int]) -> list[CallLeg]:
    """The legs ringing or talking right now of these volunteers (with their calls loaded)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return []
    return list(session.scalars(
        select(CallLeg).join(Call, Call.id == CallLeg.call_id)
        .where(CallLeg.volunteer_id.in_(ids), CallLeg.engaged.is_(True))
    ))


def network_ended(session: Session, call_sid: str) -> bool:
    """Whether Twilio itself has reported this call ended (a callback we recorded)."""
    ended = [status.value for status in ENDED_LEGS]
    return session.scalar(
        select(CallEvent.id).where(CallEvent.call_sid == call_sid, CallEvent.status.in_(ended))
        .limit(1)
    ) is not None


def heard_from_network(session: Session, call_sid: str | None) -> bool:
    """Whether any status callback of this call has reached us."""
    if call_sid is None:
        return False
    return session.scalar(select(CallEvent.id).where(CallEvent.call_sid == call_sid)
                          .limit(1)) is not None


def waiting_calls(session: Session, chapter_ids: Sequence[int]) -> list[Call]:
    """Callers holding in these chapters with a plan, longest-waiting first."""
    if not chapter_ids:
        return []
    return list(session.scalars(
        select(Call).where(Call.chapter_id.in_(chapter_ids), Call.phase == Phase.HOLDING,
                           Call.planned_at.is_not(None))
        .order_by(Call.started_at, Call.id)
    ))


def legs_of(session: Session, call_ids: Sequence[int]) -> list[CallLeg]:
    if not call_ids:
        return []
    return list(session.scalars(select(CallLeg).where(CallLeg.call_id.in_(call_ids))
                                .order_by(CallLeg.id)))


def holding_chapters(session: Session) -> list[tuple[int, list[dict[str, Any]]]]:
    """(chapter id, plan) of every caller holding now, in any chapter."""
    rows = session.execute(
        select(Call.chapter_id, Call.plan)
        .where(Call.phase == Phase.HOLDING, Call.chapter_id.is_not(None),
               Call.planned_at.is_not(None))
    ).all()
    return [(chapter_id, plan) for chapter_id, plan in rows if chapter_id is not None]


def position_in_line(session: Session, call: Call) -> int:
    """1 for the next caller of the chapter to be served; callers ahead plus one."""
    ahead = session.scalar(
        select(func.count()).select_from(Call)
        .where(Call.chapter_id == call.chapter_id, Call.phase == Phase.HOLDING,
               or_(Call.started_at < call.started_at,
                   and_(Call.started_at == call.started_at, Call.id < call.id)))
    )
    return int(ahead or 0) + 1


def waiting_at_arrival(session: Session, call: Call) -> int:
    """Callers of the chapter who were waiting when `call` arrived, plus one."""
    ahead = session.scalar(
        select(func.count()).select_from(Call)
        .where(Call.chapter_id == call.chapter_id, Call.id != call.id,
               Call.started_at <= call.started_at,
               # Callers refused at the door (banned) never queued.
               or_(Call.phase != Phase.FINISHED, Call.dequeued_at.is_not(None)),
               or_(Call.dequeued_at.is_(None), Call.dequeued_at > call.started_at),
               or_(Call.ended_at.is_(None), Call.ended_at > call.started_at))
    )
    return int(ahead or 0) + 1
