"""Banned callers, per chapter or global, kept as a keyed hash: never the number itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from hotline.db import Base, UTCDateTime, utcnow
from hotline.privacy import Privacy, mask


class Ban(Base):
    __tablename__ = "bans"
    __table_args__ = (UniqueConstraint("number_hash", "chapter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    number_hint: Mapped[str] = mapped_column(String(16))      # masked: '***1234'
    # The number encrypted, so a new privacy key can remake the hash (hotline.keyring);
    # '' for bans made before it was kept.
    number_cipher: Mapped[str] = mapped_column(Text, default="")
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="CASCADE"), nullable=True
    )                                                          # None: every chapter
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def is_banned(session: Session, privacy: Privacy, number: str | None, chapter_id: int) -> bool:
    """True if `number` is banned from this chapter or from all of them."""
    if not number:
        return False
    query = select(Ban.id).where(ban_applies(privacy.digest(number), chapter_id)).limit(1)
    return session.scalar(query) is not None


def ban_applies(number_hash: Any, chapter_id: Any) -> ColumnElement[bool]:
    """A ban on this number hash that covers the chapter (its own, or every chapter).

    The arguments may be values or SQL expressions (the incoming-call query binds both).
    """
    return and_(
        Ban.number_hash == number_hash,
        or_(Ban.chapter_id.is_(None), Ban.chapter_id == chapter_id),
    )


def add_ban(
    session: Session, privacy: Privacy, number: str, chapter_id: int | None, reason: str = ""
) -> Ban:
    """Ban a number (idempotent: banning twice keeps one row, with the newer reason)."""
    digest = privacy.digest(number)
    existing = find_ban(session, privacy, number, chapter_id)
    if existing is not None:
        existing.reason = reason or existing.reason
        existing.number_cipher = existing.number_cipher or privacy.encrypt(number)
        return existing
    ban = Ban(number_hash=digest, number_hint=mask(number), number_cipher=privacy.encrypt(number),
              chapter_id=chapter_id, reason=reason)
    session.add(ban)
    session.flush()
    return ban


def remove_ban(
    session: Session, privacy: Privacy, number: str, chapter_id: int | None
) -> Ban | None:
    """Lift a ban; the ban lifted, or None if there was none in that scope."""
    ban = find_ban(session, privacy, number, chapter_id)
    if ban is None:
        return None
    session.delete(ban)
    session.flush()
    return ban


def find_ban(
    session: Session, privacy: Privacy, number: str, chapter_id: int | None
) -> Ban | None:
    """The ban on `number` in exactly this scope (every chapter when `chapter_id` is None)."""
    return session.scalar(
        select(Ban).where(Ban.number_hash == privacy.digest(number), same_scope(chapter_id))
    )


def ban_summary(ban: Ban) -> dict[str, Any]:
    """What the audit log keeps of a ban: the masked number only, never the number or its hash
    (the log outlives retention; a keyed hash would still link entries to a caller)."""
    return {"id": ban.id, "number": ban.number_hint, "chapter_id": ban.chapter_id,
            "reason": ban.reason}


def list_bans(session: Session) -> list[Ban]:
    return list(session.scalars(select(Ban).order_by(Ban.created_at, Ban.id)))


def same_scope(chapter_id: int | None) -> ColumnElement[bool]:
    """Bans of exactly this scope: every chapter (None), or this one."""
    return Ban.chapter_id.is_(None) if chapter_id is None else Ban.chapter_id == chapter_id
