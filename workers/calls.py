"""Call jobs: ring a wave of volunteers, stop the legs of a call, stop a stray leg.

Ids in, safe to run twice.
"""

from __future__ import annotations

from hotline.calls import ringing
from hotline.runtime import current


def ring_wave(call_id: int, wave_no: int) -> None:
    """RING_WAVE: place the REST calls of one wave (intent first, SID after)."""
    ringing.ring_wave(current(), call_id, wave_no)


def stop_legs(call_id: int, except_leg_id: int = 0) -> None:
    """STOP_LEGS: stop every other leg of the call (the winner's, `except_leg_id`, stays).

    Raises if a leg would not stop, so RQ retries the job (stopping twice is harmless).
    """
    ringing.stop_legs(current(), call_id, except_leg_id, strict=True)


def stop_leg(leg_id: int) -> None:
    """STOP_LEG: stop one leg's phone whatever its record says (found ringing after we closed it).

    Raises if it would not stop, so RQ retries the job.
    """
    ringing.stop_leg(current(), leg_id)
