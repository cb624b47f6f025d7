"""Legs whose final status callback never came: when a leg can no longer be ringing or talking.

Twilio sends each status callback once; one lost to a restart or a timeout would leave the
leg engaged, and its volunteer skipped as busy on every call after. These rules say when
the record can stop waiting for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.logs.models import Call, CallLeg, LegStatus

# A stopped leg, or one whose caller has gone, ends within seconds; this is ample.
AFTER_STOP = timedelta(minutes=2)
# A leg written but never dialled (the job died) would have been placed by now.
NEVER_DIALLED = timedelta(minutes=2)
# Twilio ends any call after four hours (the default time limit).
LONGEST_CALL = timedelta(hours=4)


def is_stale(leg: CallLeg, call: Call, now: datetime) -> bool:
    """True if `leg`, still engaged in the record, cannot be ringing or talking any more."""
    if LegStatus(leg.status).ended:
        return True
    if leg.stop_requested_at is not None and now - leg.stop_requested_at > AFTER_STOP:
        return True
    if call.ended_at is not None and now - call.ended_at > AFTER_STOP:
        return True
    if LegStatus(leg.status) is LegStatus.INTENT and now - leg.created_at > NEVER_DIALLED:
        return True
    return now - leg.created_at > LONGEST_CALL


def closing_status(leg: CallLeg) -> LegStatus:
    """The status to close a stale leg with: it talked and ended, or it was called off."""
    if LegStatus(leg.status) is LegStatus.IN_PROGRESS:
        return LegStatus.COMPLETED
    return LegStatus.CANCELED


def known_end(leg: CallLeg, call: Call) -> datetime | None:
    """The earliest moment the leg is known to have been over, if any."""
    moments = [m for m in (leg.stop_requested_at, call.ended_at) if m is not None]
    return min(moments) if moments else None
