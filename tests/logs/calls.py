"""Inbound calls written as the call flow leaves them: the record, the legs rung, who took it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus, Outcome, Phase
from hotline.logs.records import open_call
from hotline.phone import E164
from hotline.privacy import Privacy
from hotline.roster.models import Volunteer

HOTLINE = "+16175550100"
_SIDS = itertools.count(10**20)


def add_call(db: Session, privacy: Privacy, *, chapter_id: int | None, started_at: datetime,
             caller: str | None = "+16175550199", outcome: Outcome = Outcome.ANSWERED,
             legs: Sequence[tuple[Volunteer, LegOutcome]] = (), talk_seconds: int | None = None,
             hold_seconds: int = 20) -> int:
    """One finished call; the first leg answered (if any) took it. Its id."""
    sid = f"CA{next(_SIDS):032d}"
    call_id = open_call(db, privacy, call_sid=sid, to_number=HOTLINE,
                        caller=E164(caller) if caller else None, chapter_id=chapter_id,
                        started_at=started_at, phase=Phase.FINISHED, outcome=outcome)
    assert call_id is not None
    call = db.get(Call, call_id)
    assert call is not None
    call.dequeued_at = started_at + timedelta(seconds=hold_seconds)
    call.ended_at = started_at + timedelta(seconds=hold_seconds + (talk_seconds or 0))
    for n, (volunteer, result) in enumerate(legs):
        offered = started_at + timedelta(seconds=n)
        leg = CallLeg(call_id=call_id, volunteer_id=volunteer.id, volunteer_name=volunteer.name,
                      status=LegStatus.COMPLETED, outcome=result, created_at=offered,
                      dialled_at=offered, ended_at=call.ended_at)
        db.add(leg)
        db.flush()
        if result is LegOutcome.ANSWERED and call.answered_leg_id is None:
            leg.answered_at = call.dequeued_at
            call.answered_leg_id, call.answered_at = leg.id, call.dequeued_at
            call.talk_seconds = talk_seconds
    db.flush()
    return call_id
