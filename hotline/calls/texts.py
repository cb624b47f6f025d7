"""Text messages to a hotline number: the line takes calls, so the reply says how to reach us.

One reply per sender per day at most, so an auto-responder at the other end cannot start
a loop that costs the chapter money; a banned sender gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from hotline.bans import is_banned
from hotline.logs.messages import record_message, replied_since
from hotline.roster.store import chapter_for_number
from hotline.runtime import Runtime

REPLY_AT_MOST_EVERY = timedelta(hours=24)


@dataclass(frozen=True)
class InboundText:
    """A text arriving at a hotline number; `sender` is E.164."""

    message_sid: str
    to: str
    sender: str
    body: str


def answer_text(session: Session, runtime: Runtime, text: InboundText) -> str | None:
    """Record the message; the reply to send, or None to stay silent."""
    chapter = chapter_for_number(session, text.to)
    now = runtime.clock()
    message, created = record_message(
        session, runtime.privacy, message_sid=text.message_sid, to_number=text.to,
        sender=text.sender, body=text.body, chapter_id=chapter.id if chapter else None, at=now,
    )
    if chapter is None or not created:
        return None
    if is_banned(session, runtime.privacy, text.sender, chapter.id):
        return None
    if replied_since(session, chapter.id, message.sender_hash, now - REPLY_AT_MOST_EVERY):
        return None
    message.replied = True
    reply = (f"{chapter.name}: thank you for your message. We talk by phone: call this "
             "number and a volunteer who has been there will listen.")
    if chapter.hours_text:
        reply += f" Volunteers are on call {chapter.hours_text}."
    emergency = chapter.emergency_line or runtime.settings.calls.emergency_line
    if emergency:
        reply += f" If you are in danger, call {emergency} now."
    return reply
