"""A week of calls to Boston (and one to Chicago) for the report pages' tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.logs import records
from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus, Outcome, Phase
from hotline.phone import E164
from hotline.roster import models
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)     # Monday to Sunday; DST starts Sunday
RANGE = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"
CALLERS = ("+16175550199", "+16175550177", "+13125550166")
BOSTON = ZoneInfo("America/New_York")
# (day, local hour, minute, outcome, seconds to answer)
BOSTON_CALLS = (
    (0, 10, 0, Outcome.ANSWERED, 12),
    (0, 14, 0, Outcome.ANSWERED, 30),
    (1, 22, 45, Outcome.VOICEMAIL, None),
    (2, 9, 5, Outcome.ANSWERED, 75),
    (3, 23, 30, Outcome.ABANDONED, None),
    (4, 3, 0, Outcome.NO_ONE_ON_CALL, None),
    (5, 11, 0, Outcome.REJECTED, None),
    (6, 1, 30, Outcome.CALLBACK_REQUESTED, None),   # before the clocks go forward
    (6, 3, 30, Outcome.ANSWERED, 8),                # after
)


def seed_calls(runtime: Runtime) -> None:
    """Boston's week above (Ann takes the answered calls), one missed call to Chicago."""
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        chicago = chapter_by_slug(db, "chicago-recovery")
        ann = db.scalars(select(models.Volunteer).where(
            models.Volunteer.phone == "+16175550111")).one()
        for n, (day, hour, minute, outcome, wait) in enumerate(BOSTON_CALLS):
            wall = datetime.combine(FIRST + timedelta(days=day), datetime.min.time())
            at = wall.replace(hour=hour, minute=minute, tzinfo=BOSTON).astimezone(UTC)
            call = _open(runtime, db, f"CA{n:032d}", boston.id, CALLERS[n % 2], at)
            call.outcome, call.phase = outcome, Phase.FINISHED
            if wait is not None:
                call.answered_at = at + timedelta(seconds=wait)
                leg = CallLeg(call_id=call.id, volunteer_id=ann.id, volunteer_name=ann.name,
                              status=LegStatus.COMPLETED, outcome=LegOutcome.ANSWERED,
                              created_at=at)
                db.add(leg)
                db.flush()
                call.answered_leg_id = leg.id
        far = _open(runtime, db, "CA" + "9" * 32, chicago.id, CALLERS[2],
                    datetime(2026, 3, 4, 18, tzinfo=UTC))
        far.outcome, far.phase = Outcome.ABANDONED, Phase.GONE


def _open(runtime: Runtime, db: object, sid: str, chapter_id: int, caller: str,
          at: datetime) -> Call:
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    call_id = records.open_call(db, runtime.privacy, call_sid=sid, to_number="+16175550100",
                                caller=E164(caller), started_at=at, chapter_id=chapter_id)
    assert call_id is not None
    found = db.get(Call, call_id)
    assert found is not None
    return found
