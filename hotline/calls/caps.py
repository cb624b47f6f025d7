"""A caller turned away by a cap (hotline.logs.caps): what they hear, and the log line.

Over the chapter's holding cap or their own calls-at-once cap, a caller hears that the
lines are busy and may leave a message (no call-back is offered: a flood must not turn
into call-backs). A withheld number on a chapter refusing them is rejected before it is
answered, like a ban. Every cap is logged, the number masked; `calls.cap` counts them.
"""

from __future__ import annotations

import logging

from hotline.calls.decisions import Busy, Incoming, Rejected, speech_of
from hotline.logs.caps import Cap
from hotline.logs.models import Call
from hotline.phone import E164
from hotline.privacy import mask
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

log = logging.getLogger(__name__)


def turned_away(runtime: Runtime, call_sid: str, caller: E164 | None, cap: Cap,
                chapter_id: int, call_id: int | None) -> Incoming:
    """What a caller over `cap` hears; logs the cap."""
    with runtime.sessions() as session:
        chapter = session.get(Chapter, chapter_id)
    limit = None
    if chapter is not None and cap is not Cap.WITHHELD:
        limit = chapter.max_holding if cap is Cap.CHAPTER else chapter.max_calls_per_caller
    log.warning("call %s from %s turned away: %s cap (limit %s)", call_sid, mask(caller),
                cap.value, limit if limit is not None else "-")
    if cap is Cap.WITHHELD or call_id is None:
        return Rejected()
    return Busy(call_id, speech_of(chapter))


def replayed(call: Call, chapter: Chapter) -> Incoming | None:
    """The same answer to a retried webhook for a call a cap turned away (None: no cap)."""
    if not call.cap:
        return None
    if call.cap == Cap.WITHHELD:
        return Rejected()
    return Busy(call.id, speech_of(chapter))
