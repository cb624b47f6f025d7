"""Call jobs: dispatch a new call, ring an offer, stop the phones of a call or a stray leg.

Called with the runtime of the process that runs them, and ids; safe to run twice.
"""

from __future__ import annotations

from hotline.calls import attempts, ringing
from hotline.runtime import Runtime


def dispatch_calls(runtime: Runtime, *call_ids: int) -> None:
    """DISPATCH_CALLS: plan new calls (who was on call when each arrived) and dispatch."""
    ringing.dispatch_calls(runtime, *call_ids)


def ring_leg(runtime: Runtime, leg_id: int) -> None:
    """RING_LEG: dial one offer's phone (intent first, SID after; never twice)."""
    ringing.ring_leg(runtime, leg_id)


def stop_legs(runtime: Runtime, call_id: int, except_leg_id: int = 0) -> None:
    """STOP_LEGS: stop every other phone of the call (the winner's, `except_leg_id`, stays).

    Raises if a phone would not stop, so the job is tried again (stopping twice is harmless).
    """
    ringing.stop_legs(runtime, call_id, except_leg_id, strict=True)


def stop_leg(runtime: Runtime, leg_id: int) -> None:
    """STOP_LEG: stop one leg's phone whatever its record says (found ringing after we closed
    it). Raises if it would not stop, so the job is tried again."""
    ringing.stop_leg(runtime, leg_id)


def call_caller(runtime: Runtime, attempt_id: int) -> None:
    """CALL_CALLER: a volunteer took a call-back; dial the caller from the hotline number."""
    attempts.call_caller(runtime, attempt_id)


def join_conference(runtime: Runtime, call_id: int) -> None:
    """JOIN_CONFERENCE: move a caller a volunteer took into the listen-in conference.

    Raises if the network refused while the call is still taken, so it is tried again."""
    ringing.join_conference(runtime, call_id)


def mute_trainees(runtime: Runtime, call_id: int, muted: int) -> None:
    """MUTE_TRAINEES: the mentor's keypad: unmute (0) or mute (1) the call's trainees in the
    conference. Raises if the network refused, so it is tried again."""
    ringing.mute_trainees(runtime, call_id, bool(muted))


def end_conference(runtime: Runtime, call_id: int) -> None:
    """END_CONFERENCE: the mentor left a listen-in call: end the caller's call (and so the
    conference). Raises if it would not stop, so it is tried again."""
    ringing.end_conference(runtime, call_id)
