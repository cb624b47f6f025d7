"""Outbound texts (an outbox: the intent is written before the send) and opt-outs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow
from hotline.logs.models import word_column


class TextStatus(enum.StrEnum):
    INTENT = "intent"          # written; not sent yet
    SENDING = "sending"        # a sender took it until `lease_until`
    SENT = "sent"
    OPTED_OUT = "opted_out"    # the number said STOP: never sent
    UNDELIVERABLE = "undeliverable"   # a landline, a bad number: never sent
    FAILED = "failed"          # the network refused it MAX_TRIES times
    CANCELED = "canceled"      # no longer wanted before it went


class OutboundText(Base):
    """One text to send; to a volunteer (by id: their number is read when it is sent) or to
    a caller (their number encrypted, as everywhere). The body never holds a caller's number."""

    __tablename__ = "outbound_texts"
    __table_args__ = (
        Index("ix_outbound_texts_open", "not_before",
              sqlite_where=text("status IN ('intent', 'sending')"),
              postgresql_where=text("status IN ('intent', 'sending')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)     # what makes it once
    kind: Mapped[str] = mapped_column(String(32))                 # alert, reminder, check-in...
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="SET NULL"), nullable=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    to_cipher: Mapped[str] = mapped_column(Text, default="")       # a caller's number
    to_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    to_hint: Mapped[str] = mapped_column(String(16), default="")
    from_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    quiet: Mapped[bool] = mapped_column(default=False)      # to a caller: only in call-back hours
    status: Mapped[TextStatus] = mapped_column(word_column(TextStatus, 16),
                                               default=TextStatus.INTENT)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tries: Mapped[int] = mapped_column(default=0)
    message_sid: Mapped[str | None] = mapped_column(String(34), nullable=True, unique=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OptOut(Base):
    """A number that said STOP (kept as a keyed hash): no text and no check-in goes to it."""

    __tablename__ = "opt_outs"

    number_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The number encrypted (never in clear), so a new privacy key can hash it again
    # (hotline.keyring): a hash alone could not be remade, and STOP would be forgotten.
    number_cipher: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32))     # the keyword, or "carrier 21610"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
