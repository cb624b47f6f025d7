"""Check-in texts a caller agreed to, and what their reply sets going.

The text is neutral (no organisation, unless the chapter's `callback_greeting` names one)
and goes only inside the chapter's call-back hours. A reply of CALL asks for a call-back,
AGAIN for another check-in a day later (three at most), STOP for nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.alerts.alerts import callback_wanted
from hotline.callbacks.requests import CHECKIN_AFTER, end, request_followup
from hotline.logs.models import Call, CallbackRequest, FollowUpKind, FollowUpStatus
from hotline.roster.models import Chapter
from hotline.texts.outbox import queue_text

if TYPE_CHECKING:
    from hotline.runtime import Runtime

NEUTRAL = "Hello, this is the check-in you agreed to."
# A reply counts for the last check-in text sent within this (a day's wait, and some).
REPLY_WINDOW = CHECKIN_AFTER * 7


def send_checkin_text(session: Session, runtime: Runtime, request: CallbackRequest,
                      origin: Call, chapter: Chapter, now: datetime) -> None:
    """Queue this attempt's check-in text (sent in call-back hours, if not opted out)."""
    body = (f"{chapter.callback_greeting or NEUTRAL} How are you doing? Reply CALL if you "
            "would like someone to call you, AGAIN for another check-in tomorrow, or STOP "
            "to stop these messages.")
    queue_text(session, key=f"checkin-{request.id}-{request.attempts}", kind="checkin",
               from_number=origin.to_number, body=body, now=now,
               caller_cipher=origin.caller_cipher, caller_hash=origin.caller_hash,
               caller_hint=origin.caller_hint, chapter_id=chapter.id, quiet=True)
    end(session, request, FollowUpStatus.DONE, now)     # done once sent; a reply may reopen it


def latest_checkin(session: Session, caller_hash: str, hotline_number: str, now: datetime
                   ) -> CallbackRequest | None:
    """The newest check-in by text to this number from this hotline number, sent or due
    within REPLY_WINDOW (a reply is to the last text they had from us)."""
    return session.scalar(
        select(CallbackRequest).join(Call, Call.id == CallbackRequest.call_id)
        .where(Call.caller_hash == caller_hash, Call.to_number == hotline_number,
               CallbackRequest.kind == FollowUpKind.CHECKIN_TEXT,
               CallbackRequest.status.in_([FollowUpStatus.OPEN, FollowUpStatus.DONE]),
               CallbackRequest.requested_at >= now - REPLY_WINDOW)
        .order_by(CallbackRequest.requested_at.desc()).limit(1))


def checkin_reply(session: Session, request: CallbackRequest, word: str, now: datetime
                  ) -> str | None:
    """A reply to a check-in text (CALL or AGAIN); the answer to text back, or None if the
    word is not one of them."""
    origin = session.get(Call, request.call_id)
    chapter = session.get(Chapter, origin.chapter_id) if origin and origin.chapter_id else None
    if origin is None or chapter is None:
        return None
    if word == "CALL":
        end(session, request, FollowUpStatus.DONE, now)
        callback_wanted(session, origin, chapter, now)
        return "Thank you. Someone will call you back as soon as they can."
    if word == "AGAIN":
        if request_followup(session, origin, FollowUpKind.CHECKIN_TEXT, now) is None:
            return "Thank you. That was the last check-in; you can call us any time."
        return "Thank you. We will check in again tomorrow."
    return None
