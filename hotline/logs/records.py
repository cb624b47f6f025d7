"""Writing the contact record: each function takes a session and never commits.

Every writer is idempotent, and the ones that race (claim, wave advance, leaving the
queue, status callbacks) are single conditional UPDATEs or unique inserts, so two
processes doing the same thing at once leave one result.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.logs import stale
from hotline.logs.models import (
    Call,
    CallbackRequest,
    CallEvent,
    CallLeg,
    LegOutcome,
    LegStatus,
    Outcome,
    Phase,
    Screen,
    Voicemail,
)
from hotline.privacy import Privacy, mask

# A later outcome replaces an earlier one only if it ranks higher: a caller who left a
# message after hearing nobody was on call is "voicemail", never the reverse.
_OUTCOME_RANK = {
    Outcome.ABANDONED: 1,
    Outcome.NO_ONE_ON_CALL: 2,
    Outcome.VOICEMAIL: 3,
    Outcome.CALLBACK_REQUESTED: 3,
    Outcome.ANSWERED: 4,
    Outcome.REJECTED: 5,
    Outcome.UNKNOWN_NUMBER: 5,
}


def open_call(
    session: Session | Connection,
    privacy: Privacy,
    *,
    call_sid: str,
    to_number: str,
    caller: str | None,
    started_at: datetime,
    chapter_id: int | None,
    phase: Phase = Phase.HOLDING,
    outcome: Outcome | None = None,
    awaiting_dispatch: bool = False,
) -> int | None:
    """Write a new call's record in one statement; its id, or None if the CallSid exists.

    The webhook's fast path: no ORM object, no read before the write, a statement built
    once. A retried webhook (same CallSid) writes nothing and gets None.
    """
    values = {
        "call_sid": call_sid, "chapter_id": chapter_id, "to_number": to_number,
        "caller_cipher": privacy.encrypt(caller) if caller else "",
        "caller_hash": privacy.digest(caller) if caller else "",
        "caller_hint": mask(caller), "started_at": started_at, "phase": phase.value,
        "outcome": outcome.value if outcome else None, "awaiting_dispatch": awaiting_dispatch,
    }
    bind = session if isinstance(session, Connection) else session.get_bind()
    statement = _open_call_statement(bind.dialect.name)
    return session.execute(statement, values).scalar()


@functools.cache
def _open_call_statement(dialect: str) -> Any:
    table = cast(Table, Call.__table__)
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    columns = ("call_sid", "chapter_id", "to_number", "caller_cipher", "caller_hash",
               "caller_hint", "started_at", "phase", "outcome", "awaiting_dispatch")
    return (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns}
                | {"plan": [], "current_wave": 0, "waves_spent": False, "plain_dial": False})
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(table.c.id)
    )


def set_outcome(session: Session, call: Call, outcome: Outcome) -> bool:
    """Raise the call's outcome to `outcome` unless it already holds one that ranks as high."""
    allowed = [o.value for o, rank in _OUTCOME_RANK.items() if rank < _OUTCOME_RANK[outcome]]
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, (Call.outcome.is_(None)) | Call.outcome.in_(allowed))
        .values(outcome=outcome.value)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    return _rowcount(result) == 1


def move_phase(session: Session, call: Call, source: Phase, target: Phase) -> bool:
    """Move the caller from `source` to `target` only if still there (one winner in a race)."""
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.phase == source.value)
        .values(phase=target.value)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    return _rowcount(result) == 1


def claim(session: Session, call: Call, leg: CallLeg, at: datetime) -> bool:
    """Give the caller to `leg`'s volunteer; True for exactly one leg of a call, ever."""
    result = session.execute(
        update(Call)
        .where(
            Call.id == call.id,
            Call.phase == Phase.HOLDING.value,
            Call.answered_leg_id.is_(None),
        )
        .values(phase=Phase.ANSWERED.value, answered_leg_id=leg.id, answered_at=at)
        .execution_options(synchronize_session=False)
    )
    won = _rowcount(result) == 1
    session.refresh(call)
    leg.screen = (Screen.ACCEPTED if won else Screen.LATE).value
    if won:
        leg.answered_at = at
        set_outcome(session, call, Outcome.ANSWERED)
    return won


def reopen(session: Session, call: Call) -> CallLeg | None:
    """Undo a claim that never bridged: the caller holds again; the leg that claimed, or None.

    The volunteer pressed 1 and was gone before the queue was dialled (hung up, lost
    signal): the caller is still in the queue and nobody is coming.
    """
    leg_id = call.answered_leg_id
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.phase == Phase.ANSWERED.value,
               Call.answered_leg_id == leg_id)
        .values(phase=Phase.HOLDING.value, answered_leg_id=None, answered_at=None,
                talk_seconds=None,
                outcome=case((Call.outcome == Outcome.ANSWERED.value, None),
                             else_=Call.outcome))
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    if _rowcount(result) != 1 or leg_id is None:
        return None
    leg = session.get(CallLeg, leg_id)
    if leg is not None:
        leg.answered_at = None
        if leg.outcome is not None:
            leg.outcome = LegOutcome.FAILED.value
    return leg


def advance_wave(session: Session, call: Call, from_wave: int, waves: int) -> int | None:
    """Move the call past `from_wave`; the next wave's number, None if spent or already moved."""
    spent = from_wave + 1 >= waves
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.current_wave == from_wave, Call.waves_spent.is_(False))
        .values(current_wave=from_wave + 1, waves_spent=spent)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    if _rowcount(result) != 1 or spent:
        return None
    return from_wave + 1


def record_leg_intent(
    session: Session, call: Call, volunteer_id: int, volunteer_name: str, wave: int, at: datetime
) -> CallLeg | None:
    """The leg for this volunteer on this call, written before dialling; None if they are busy.

    A volunteer with an engaged leg on another call is busy; the partial unique index makes
    that check atomic across processes.
    """
    existing = session.scalar(
        select(CallLeg).where(CallLeg.call_id == call.id, CallLeg.volunteer_id == volunteer_id)
    )
    if existing is not None:
        return existing if existing.wave == wave else None
    leg = CallLeg(
        call_id=call.id, volunteer_id=volunteer_id, volunteer_name=volunteer_name, wave=wave,
        created_at=at, engaged=True,
    )
    try:
        for attempt in range(2):
            try:
                with session.begin_nested():
                    session.add(leg)
                return leg
            except IntegrityError:
                if attempt or not release_stale(session, volunteer_id, at):
                    return None
        return None
    finally:
        session.expire(call, ["legs"])


def release_stale(session: Session, volunteer_id: int, now: datetime) -> bool:
    """Close the volunteer's engaged leg if its last callback was lost; True if freed."""
    leg = session.scalar(
        select(CallLeg).where(CallLeg.volunteer_id == volunteer_id, CallLeg.engaged.is_(True))
        .with_for_update()
    )
    if leg is None:
        return True
    call = leg.call
    if not stale.is_stale(leg, call, now):
        return False
    talked = call.talk_seconds
    end = stale.known_end(leg, call)
    end_leg(session, leg, stale.closing_status(leg), end or now)
    if end is None:
        call.talk_seconds = talked      # no honest end time: leave talk time unknown
    session.flush()
    return True


def record_leg_sid(session: Session, leg: CallLeg, call_sid: str) -> None:
    """Store the SID the network gave the leg (a status callback may have stored it first)."""
    if leg.call_sid is None:
        leg.call_sid = call_sid
    if LegStatus(leg.status) is LegStatus.INTENT:
        leg.status = LegStatus.QUEUED.value
    session.flush()


def network_ended(session: Session, call_sid: str) -> bool:
    """Whether Twilio itself has reported this call ended (a callback we recorded)."""
    ended = [status.value for status in LegStatus if status.ended]
    return session.scalar(
        select(CallEvent.id).where(CallEvent.call_sid == call_sid, CallEvent.status.in_(ended))
        .limit(1)
    ) is not None


def record_event(
    session: Session, call_sid: str, sequence_number: int, status: str, occurred_at: datetime
) -> bool:
    """Note one status callback; False if this (CallSid, SequenceNumber) was seen before."""
    seen = session.scalar(
        select(CallEvent.id).where(
            CallEvent.call_sid == call_sid, CallEvent.sequence_number == sequence_number
        )
    )
    if seen is not None:
        return False
    try:
        with session.begin_nested():
            session.add(CallEvent(
                call_sid=call_sid, sequence_number=sequence_number, status=status,
                occurred_at=occurred_at,
            ))
    except IntegrityError:
        return False
    return True


def record_leg_status(
    session: Session, leg: CallLeg, status: LegStatus, at: datetime
) -> bool:
    """Move the leg forward to `status` (never backwards); True if it changed."""
    # Load the call before changing the leg, so a lazy load cannot flush half the change:
    # on PostgreSQL a second UPDATE of the row in one transaction re-checks its foreign key,
    # taking a share lock on the call that deadlocks with another leg's FOR UPDATE of it.
    _ = leg.call
    current = LegStatus(leg.status)
    if status.rank <= current.rank:
        return False
    leg.status = status.value
    if status is LegStatus.IN_PROGRESS and leg.answered_at is None:
        leg.answered_at = at
    if status.ended:
        end_leg(session, leg, status, at)
    session.flush()
    return True


def end_leg(session: Session, leg: CallLeg, status: LegStatus, at: datetime) -> None:
    """Close the leg: free the volunteer, fix its outcome, and the talk time if it was the one."""
    call = leg.call        # before the changes below (see record_leg_status)
    leg.status = status.value
    leg.engaged = None
    leg.ended_at = leg.ended_at or at
    leg.outcome = leg_outcome(leg, status).value
    if call.answered_leg_id == leg.id and call.talk_seconds is None and call.answered_at:
        call.talk_seconds = max(0, round((at - call.answered_at).total_seconds()))


def leg_outcome(leg: CallLeg, status: LegStatus) -> LegOutcome:
    """The export's word for an ended leg: what the volunteer did, else what the network said."""
    screen = Screen(leg.screen)
    if screen is Screen.NONE and leg.call.answered_leg_id == leg.id:
        return LegOutcome.ANSWERED      # picked up in the plain-<Dial> fallback: no screen
    if screen is Screen.ACCEPTED:
        # Accepted but never bridged (the claim was undone): the connection failed.
        return LegOutcome.ANSWERED if leg.call.answered_leg_id == leg.id else LegOutcome.FAILED
    if screen in (Screen.DECLINED, Screen.LATE):
        return LegOutcome.DECLINED
    if screen is Screen.NONE and leg.stop_requested_at is not None:
        return LegOutcome.CANCELED      # we hung it up (taken, caller gone): not their choice
    if status is LegStatus.COMPLETED:
        # Picked up but never accepted: a voicemail box (timed out) rings out as no_answer;
        # a person hanging up on the prompt has declined.
        return LegOutcome.NO_ANSWER if screen is Screen.TIMED_OUT else LegOutcome.DECLINED
    return {
        LegStatus.BUSY: LegOutcome.BUSY,
        LegStatus.FAILED: LegOutcome.FAILED,
        LegStatus.NO_ANSWER: LegOutcome.NO_ANSWER,
        LegStatus.CANCELED: LegOutcome.CANCELED,
    }.get(status, LegOutcome.CANCELED)


def record_voicemail(
    session: Session,
    call: Call,
    *,
    recording_sid: str,
    recording_url: str,
    duration_seconds: int,
    status: str,
    at: datetime,
) -> Voicemail:
    """Store (or complete) the caller's message; a message makes the outcome voicemail."""
    voicemail = session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    if voicemail is None:
        voicemail = Voicemail(
            call_id=call.id, recording_sid=recording_sid, recording_url=recording_url,
            duration_seconds=duration_seconds, status=status, created_at=at,
        )
        session.add(voicemail)
    else:
        voicemail.recording_url = recording_url or voicemail.recording_url
        voicemail.duration_seconds = max(voicemail.duration_seconds, duration_seconds)
        if status == "completed":
            voicemail.status = status
    session.flush()
    if duration_seconds > 0 or voicemail.duration_seconds > 0:
        set_outcome(session, call, Outcome.VOICEMAIL)
    return voicemail


def record_callback_request(session: Session, call: Call, at: datetime) -> CallbackRequest:
    """The caller asked to be called back (once per call)."""
    existing = session.scalar(select(CallbackRequest).where(CallbackRequest.call_id == call.id))
    if existing is not None:
        return existing
    request = CallbackRequest(call_id=call.id, requested_at=at)
    session.add(request)
    session.flush()
    set_outcome(session, call, Outcome.CALLBACK_REQUESTED)
    return request


def record_caller_gone(session: Session, call: Call, at: datetime) -> None:
    """The caller's side ended: outcome abandoned unless something better already happened."""
    if call.ended_at is None:
        call.ended_at = at
    if call.phase in (Phase.HOLDING.value, Phase.LEFT.value):
        call.phase = Phase.GONE.value
    session.flush()
    set_outcome(session, call, Outcome.ABANDONED)
    if call.answered_leg_id is not None and call.talk_seconds is None and call.answered_at:
        call.talk_seconds = max(0, round((at - call.answered_at).total_seconds()))


def last_offered(session: Session, volunteer_ids: list[int]) -> dict[int, datetime]:
    """When each volunteer was last offered any call (absent: never)."""
    if not volunteer_ids:
        return {}
    rows = session.execute(
        select(CallLeg.volunteer_id, func.max(CallLeg.created_at))
        .where(CallLeg.volunteer_id.in_(volunteer_ids))
        .group_by(CallLeg.volunteer_id)
    ).all()
    return {vid: at for vid, at in rows if vid is not None and at is not None}


def call_counts(
    session: Session, volunteer_ids: list[int], start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """(offered, taken) per volunteer over legs created in [start, end); taken = answered."""
    if not volunteer_ids:
        return {}, {}
    rows = session.execute(
        select(CallLeg.volunteer_id, CallLeg.outcome, func.count())
        .where(CallLeg.volunteer_id.in_(volunteer_ids), CallLeg.created_at >= start,
               CallLeg.created_at < end)
        .group_by(CallLeg.volunteer_id, CallLeg.outcome)
    ).tuples().all()
    offered: dict[int, int] = {}
    taken: dict[int, int] = {}
    for volunteer_id, outcome, count in rows:
        if volunteer_id is None:
            continue
        offered[volunteer_id] = offered.get(volunteer_id, 0) + count
        if outcome == LegOutcome.ANSWERED:
            taken[volunteer_id] = taken.get(volunteer_id, 0) + count
    return offered, taken


def engaged_volunteers(session: Session, volunteer_ids: list[int]) -> set[int]:
    """Those of `volunteer_ids` ringing or talking on a leg right now."""
    if not volunteer_ids:
        return set()
    rows = session.scalars(
        select(CallLeg.volunteer_id).where(
            CallLeg.volunteer_id.in_(volunteer_ids), CallLeg.engaged.is_(True)
        )
    )
    return {vid for vid in rows if vid is not None}


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count
