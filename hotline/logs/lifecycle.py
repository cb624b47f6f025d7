"""A call's life as one state machine: the only writer of a call's phase and outcome and of
a leg's status, screen and outcome.

The tables below are the moves allowed. Every writer is one conditional UPDATE that moves
the row only from a state the table allows, so two processes racing leave one result; a
move the table forbids is logged and ignored, never written. Functions take a session and
never commit (the request or job that called them does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from hotline.logs.models import (
    ENDED_LEGS,
    Call,
    CallLeg,
    LegOutcome,
    LegStatus,
    Outcome,
    Phase,
    Screen,
)

log = logging.getLogger(__name__)

CALL_MOVES: Mapping[Phase, frozenset[Phase]] = {
    Phase.HOLDING: frozenset({Phase.ANSWERED, Phase.LEFT, Phase.GONE}),
    # Back to holding when a claim never bridged; finished when the talk is over.
    Phase.ANSWERED: frozenset({Phase.HOLDING, Phase.FINISHED}),
    # Gone from the menu or voicemail; finished when the plain-dial fallback talked.
    Phase.LEFT: frozenset({Phase.GONE, Phase.FINISHED}),
    Phase.FINISHED: frozenset(),
    Phase.GONE: frozenset(),
    # A volunteer who called in: into line as a caller (press 3), or done.
    Phase.MENU: frozenset({Phase.HOLDING, Phase.FINISHED}),
}

# A leg only moves forward through the network's statuses; any ended status is final.
_LIVE_ORDER = (LegStatus.INTENT, LegStatus.QUEUED, LegStatus.INITIATED, LegStatus.RINGING,
               LegStatus.IN_PROGRESS)
LEG_MOVES: Mapping[LegStatus, frozenset[LegStatus]] = {
    **{status: frozenset(_LIVE_ORDER[i + 1:]) | (ENDED_LEGS - {LegStatus.WITHDRAWN})
       for i, status in enumerate(_LIVE_ORDER)},
    **{status: frozenset() for status in ENDED_LEGS},
}
# Only an offer never dialled can be withdrawn (it never rang).
LEG_MOVES = {**LEG_MOVES, LegStatus.INTENT: LEG_MOVES[LegStatus.INTENT] | {LegStatus.WITHDRAWN}}

SCREEN_MOVES: Mapping[Screen, frozenset[Screen]] = {
    Screen.NONE: frozenset({Screen.ACCEPTED, Screen.LATE, Screen.DECLINED, Screen.TIMED_OUT}),
    Screen.ACCEPTED: frozenset(),
    Screen.LATE: frozenset(),
    Screen.DECLINED: frozenset(),
    Screen.TIMED_OUT: frozenset(),
}

# A later outcome replaces an earlier one only if it ranks higher: a caller who left a
# message after hearing nobody was on call is "voicemail", never the reverse.
OUTCOME_RANK: Mapping[Outcome, int] = {
    Outcome.ABANDONED: 1,
    Outcome.NO_ONE_ON_CALL: 2,
    Outcome.VOICEMAIL: 3,
    Outcome.CALLBACK_REQUESTED: 3,
    Outcome.ANSWERED: 4,
    Outcome.REJECTED: 5,
    Outcome.UNKNOWN_NUMBER: 5,
}


def _sources(moves: Mapping[Any, frozenset[Any]], target: Any) -> list[Any]:
    return [source for source, targets in moves.items() if target in targets]


def _updated(result: Any) -> bool:
    count: int = result.rowcount
    return count == 1


def _refused(what: str, row_id: int, current: Any, target: Any) -> None:
    if current == target:
        return                              # already there: a retried request
    log.info("%s %s: %s -> %s is not a move the state machine allows; ignored",
             what, row_id, current, target)


# -- the caller's call ------------------------------------------------------------------


def move_call(session: Session, call: Call, target: Phase, **values: Any) -> bool:
    """Move the call to `target` (and write `values`) if the table allows it from where the
    row is now; True for exactly one of any racing movers."""
    where = [Call.id == call.id, Call.phase.in_(_sources(CALL_MOVES, target))]
    if target is Phase.ANSWERED:
        where.append(Call.answered_leg_id.is_(None))
    result = session.execute(
        update(Call).where(*where).values(phase=target, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    if not _updated(result):
        _refused("call", call.id, call.phase, target)
        return False
    return True


def set_outcome(session: Session, call: Call, outcome: Outcome) -> bool:
    """Raise the call's outcome to `outcome` unless it already holds one that ranks as high."""
    lower = [o for o, rank in OUTCOME_RANK.items() if rank < OUTCOME_RANK[outcome]]
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.outcome.is_(None) | Call.outcome.in_(lower))
        .values(outcome=outcome)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    return _updated(result)


def claim(session: Session, call: Call, leg: CallLeg, at: datetime) -> bool:
    """Give the waiting caller to `leg`'s volunteer; True for exactly one leg, ever."""
    won = move_call(session, call, Phase.ANSWERED, answered_leg_id=leg.id, answered_at=at,
                    dequeued_at=at)
    answer_screen(session, leg, Screen.ACCEPTED if won else Screen.LATE)
    if won:
        _write_leg(session, leg, answered_at=at)
        set_outcome(session, call, Outcome.ANSWERED)
    return won


def reopen(session: Session, call: Call) -> CallLeg | None:
    """Undo a claim that never bridged (the volunteer dropped before the queue was dialled):
    the caller waits again; the leg that had claimed, or None."""
    leg_id = call.answered_leg_id
    reopened = move_call(
        session, call, Phase.HOLDING, answered_leg_id=None, answered_at=None,
        talk_seconds=None, dequeued_at=None,
        outcome=case((Call.outcome == Outcome.ANSWERED, None), else_=Call.outcome),
    )
    if not reopened or leg_id is None:
        return None
    leg = session.get(CallLeg, leg_id)
    if leg is not None:
        _write_leg(session, leg, answered_at=None,
                   outcome=case((CallLeg.outcome.is_(None), None), else_=LegOutcome.FAILED))
    return leg


def leave_queue(session: Session, call: Call, at: datetime, *, plain_dial: bool = False) -> bool:
    """The caller stops waiting: on to voicemail, a call-back, or the plain-dial fallback."""
    return move_call(session, call, Phase.LEFT, dequeued_at=at, plain_dial=plain_dial)


def nobody_on_call(session: Session, call: Call, at: datetime) -> bool:
    """The plan is empty: the caller hears the hours and the emergency line instead."""
    if not leave_queue(session, call, at):
        return False
    set_outcome(session, call, Outcome.NO_ONE_ON_CALL)
    return True


def reach_tier(session: Session, call: Call, tier_index: int, at: datetime) -> bool:
    """Move a waiting caller further down its plan (never back up)."""
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.phase == Phase.HOLDING, Call.tier_index < tier_index)
        .values(tier_index=tier_index, tier_since=at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(call)
    return _updated(result)


def caller_gone(session: Session, call: Call, at: datetime) -> None:
    """The caller's side ended: gone if they never talked, finished if they did (or were a
    volunteer at their menu, who is no caller)."""
    talking = call.phase is Phase.ANSWERED
    if call.phase is Phase.MENU:
        move_call(session, call, Phase.FINISHED, ended_at=call.ended_at or at)
        return
    target = Phase.FINISHED if talking else Phase.GONE
    values: dict[str, Any] = {"ended_at": call.ended_at or at,
                              "dequeued_at": call.dequeued_at or at}
    if talking and call.talk_seconds is None and call.answered_at is not None:
        values["talk_seconds"] = _seconds(call.answered_at, at)
    if call.phase in _sources(CALL_MOVES, target):
        move_call(session, call, target, **values)
    elif call.ended_at is None:           # finished before (rejected, talked): note the end
        session.execute(update(Call).where(Call.id == call.id, Call.ended_at.is_(None))
                        .values(ended_at=at).execution_options(synchronize_session=False))
        session.refresh(call)
    set_outcome(session, call, Outcome.ABANDONED)


def talked_by_plain_dial(
    session: Session, call: Call, leg: CallLeg | None, at: datetime, seconds: int
) -> None:
    """The fallback `<Dial>` connected someone for `seconds`; its action comes after the talk."""
    answered_at = call.answered_at or _before(at, seconds)
    move_call(session, call, Phase.FINISHED, talk_seconds=seconds, answered_at=answered_at,
              answered_leg_id=leg.id if leg is not None else call.answered_leg_id)
    set_outcome(session, call, Outcome.ANSWERED)
    if leg is not None:
        _write_leg(session, leg, answered_at=leg.answered_at or answered_at,
                   outcome=case((CallLeg.outcome.is_(None), None),
                                else_=LegOutcome.ANSWERED))


# -- a volunteer's leg ------------------------------------------------------------------


def _write_leg(session: Session, leg: CallLeg, **values: Any) -> None:
    session.execute(update(CallLeg).where(CallLeg.id == leg.id).values(**values)
                    .execution_options(synchronize_session=False))
    session.refresh(leg)


def move_leg(session: Session, leg: CallLeg, target: LegStatus, at: datetime) -> bool:
    """Move the leg forward to `target`; when it ends, free the volunteer and fix the outcome.

    Locks the caller's row before the leg's, the order every writer here takes them in.
    """
    call = session.scalars(select(Call).where(Call.id == leg.call_id).with_for_update()).one()
    values: dict[str, Any] = {"status": target}
    if target is LegStatus.IN_PROGRESS and leg.answered_at is None:
        values["answered_at"] = at
    if target.ended:
        values.update(engaged=None, ended_at=leg.ended_at or at,
                      outcome=leg_outcome(leg, call, target))
    result = session.execute(
        update(CallLeg)
        .where(CallLeg.id == leg.id, CallLeg.status.in_(_sources(LEG_MOVES, target)))
        .values(**values).execution_options(synchronize_session=False)
    )
    current = leg.status
    session.refresh(leg)
    if not _updated(result):
        if leg.status is not target and not leg.status.ended:
            _refused("leg", leg.id, current, target)
        return False
    if target.ended and call.answered_leg_id == leg.id and call.answered_at is not None \
            and call.talk_seconds is None and call.phase is not Phase.HOLDING:
        session.execute(update(Call).where(Call.id == call.id, Call.talk_seconds.is_(None))
                        .values(talk_seconds=_seconds(call.answered_at, at))
                        .execution_options(synchronize_session=False))
        session.refresh(call)
    return True


def withdraw(session: Session, leg: CallLeg, at: datetime) -> bool:
    """Take back an offer whose phone was never dialled (the caller was served or left)."""
    return move_leg(session, leg, LegStatus.WITHDRAWN, at)


def start_dialling(session: Session, leg: CallLeg, at: datetime) -> bool:
    """Mark the leg as being dialled now; True for exactly one dialler, ever."""
    result = session.execute(
        update(CallLeg)
        .where(CallLeg.id == leg.id, CallLeg.status == LegStatus.INTENT,
               CallLeg.dialled_at.is_(None))
        .values(dialled_at=at).execution_options(synchronize_session=False)
    )
    session.refresh(leg)
    return _updated(result)


def dialled(session: Session, leg: CallLeg, call_sid: str) -> None:
    """Store the SID the network gave the leg (its first callback may have brought it first)."""
    if leg.call_sid is None:
        _write_leg(session, leg, call_sid=call_sid)
    if leg.status is LegStatus.INTENT:
        session.execute(update(CallLeg)
                        .where(CallLeg.id == leg.id, CallLeg.status == LegStatus.INTENT)
                        .values(status=LegStatus.QUEUED)
                        .execution_options(synchronize_session=False))
        session.refresh(leg)


def taken_on_own_call(session: Session, call: Call, leg: CallLeg, call_sid: str,
                      at: datetime) -> bool:
    """A volunteer who called in takes an attempt on that call: `leg` (just offered) is
    their call, answered and accepted, and the attempt is theirs."""
    _write_leg(session, leg, call_sid=call_sid, status=LegStatus.IN_PROGRESS, answered_at=at)
    return claim(session, call, leg, at)


def answer_screen(session: Session, leg: CallLeg, answer: Screen) -> bool:
    """Record what the volunteer did at the press-1 screen (once)."""
    result = session.execute(
        update(CallLeg)
        .where(CallLeg.id == leg.id, CallLeg.screen.in_(_sources(SCREEN_MOVES, answer)))
        .values(screen=answer).execution_options(synchronize_session=False)
    )
    current = leg.screen
    session.refresh(leg)
    if not _updated(result):
        _refused("leg screen", leg.id, current, answer)
        return False
    return True


def stop_requested(session: Session, leg: CallLeg, at: datetime) -> None:
    """Note that we hung the leg up (its outcome is then ours, not the volunteer's)."""
    if leg.stop_requested_at is None:
        _write_leg(session, leg, stop_requested_at=at)


def leg_outcome(leg: CallLeg, call: Call, status: LegStatus) -> LegOutcome | None:
    """The export's word for an ended leg: what the volunteer did, else what the network
    said; None for an offer withdrawn before its phone was dialled (it never rang)."""
    if status is LegStatus.WITHDRAWN:
        return None
    screen = leg.screen
    if screen is Screen.NONE and call.answered_leg_id == leg.id:
        return LegOutcome.ANSWERED      # picked up in the plain-<Dial> fallback: no screen
    if screen is Screen.ACCEPTED and leg.trainee:
        return LegOutcome.ANSWERED      # a trainee who pressed 1 listened in
    if screen is Screen.ACCEPTED:
        # Accepted but never bridged (the claim was undone): the connection failed.
        return LegOutcome.ANSWERED if call.answered_leg_id == leg.id else LegOutcome.FAILED
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
    }.get(status, LegOutcome.CANCELED)


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _before(at: datetime, seconds: int) -> datetime:
    from datetime import timedelta

    return at - timedelta(seconds=seconds)
