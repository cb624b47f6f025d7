"""Text messages to a hotline number: recorded once (sender and body encrypted), then
answered by the texts domain (hotline.texts.inbound: STOP/START/HELP, volunteers' words,
check-in replies, one helpful answer a day to anything else)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.logs.messages import record_message
from hotline.roster.store import chapter_for_number
from hotline.runtime import Runtime
from hotline.texts.inbound import respond


@dataclass(frozen=True)
class InboundText:
    """A text arriving at a hotline number; `sender` is E.164."""

    message_sid: str
    to: str
    sender: str
    body: str


def answer_text(session: Session, runtime: Runtime, text: InboundText) -> str | None:
    """Record the message; the reply to send, or None to stay silent (a retried webhook,
    a number that is not a chapter's)."""
    chapter = chapter_for_number(session, text.to)
    now = runtime.clock()
    message, created = record_message(
        session, runtime.privacy, message_sid=text.message_sid, to_number=text.to,
        sender=text.sender, body=text.body, chapter_id=chapter.id if chapter else None, at=now,
    )
    if chapter is None or not created:
        return None
    return respond(session, runtime, chapter, message, text.sender, text.body, now)
