"""Text messages sent to a hotline number: who (encrypted, hashed, masked), when, what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, UTCDateTime, utcnow
from hotline.privacy import Privacy, mask


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_sender", "chapter_id", "sender_hash",
                            "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(34), unique=True)
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="SET NULL"), nullable=True
    )
    to_number: Mapped[str] = mapped_column(String(20))
    sender_cipher: Mapped[str] = mapped_column(Text, default="")
    sender_hash: Mapped[str] = mapped_column(String(64), default="")
    sender_hint: Mapped[str] = mapped_column(String(16), default="anonymous")
    body_cipher: Mapped[str] = mapped_column(Text, default="")   # what people text is private
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replied: Mapped[bool] = mapped_column(default=False)


def record_message(
    session: Session, privacy: Privacy, *, message_sid: str, to_number: str, sender: str,
    body: str, chapter_id: int | None, at: datetime,
) -> tuple[InboundMessage, bool]:
    """The message's record, written once; (record, created). A retried webhook finds it."""
    existing = session.scalar(select(InboundMessage).where(
        InboundMessage.message_sid == message_sid))
    if existing is not None:
        return existing, False
    message = InboundMessage(
        message_sid=message_sid, chapter_id=chapter_id, to_number=to_number,
        sender_cipher=privacy.encrypt(sender), sender_hash=privacy.digest(sender),
        sender_hint=mask(sender), body_cipher=privacy.encrypt(body) if body else "",
        received_at=at,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        found = session.scalar(select(InboundMessage).where(
            InboundMessage.message_sid == message_sid))
        assert found is not None
        return found, False
    return message, True


def replied_since(session: Session, chapter_id: int, sender_hash: str, since: datetime) -> bool:
    """True if this sender was already sent the chapter's reply since `since`."""
    query = select(InboundMessage.id).where(
        InboundMessage.chapter_id == chapter_id, InboundMessage.sender_hash == sender_hash,
        InboundMessage.received_at >= since, InboundMessage.replied.is_(True),
    ).limit(1)
    return session.scalar(query) is not None
