"""Call and contact records: calls, the legs that rang volunteers, callbacks, voicemails.

The caller's number is kept only encrypted (`caller_cipher`), as a keyed hash for lookups
(`caller_hash`) and masked for display (`caller_hint`); never in clear.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime, utcnow


class Outcome(enum.StrEnum):
    """How a call ended, as the contact export spells it."""

    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    CALLBACK_REQUESTED = "callback_requested"
    ABANDONED = "abandoned"
    REJECTED = "rejected"
    NO_ONE_ON_CALL = "no_one_on_call"
    UNKNOWN_NUMBER = "unknown_number"


class Phase(enum.StrEnum):
    """Where the caller is: holding while phones ring, bridged, moved on, or gone."""

    HOLDING = "holding"        # in the queue, volunteers may be ringing
    ANSWERED = "answered"      # a volunteer claimed the call
    LEFT = "left"              # moved out of the queue to voicemail / call-back / plain dial
    FINISHED = "finished"      # never queued (rejected, unknown number, nobody on call) or over
    GONE = "gone"              # the caller hung up


class LegStatus(enum.StrEnum):
    """A volunteer leg's progress; terminal ones are final, see `rank`."""

    INTENT = "intent"          # written before the REST call is placed
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @property
    def ended(self) -> bool:
        return self in _ENDED

    @property
    def rank(self) -> int:
        """Statuses only move to a higher rank; every terminal status shares the top rank."""
        return 9 if self.ended else _ORDER.index(self)


_ORDER = (
    LegStatus.INTENT, LegStatus.QUEUED, LegStatus.INITIATED, LegStatus.RINGING,
    LegStatus.IN_PROGRESS,
)
_ENDED = frozenset({
    LegStatus.COMPLETED, LegStatus.BUSY, LegStatus.FAILED, LegStatus.NO_ANSWER,
    LegStatus.CANCELED,
})


class LegOutcome(enum.StrEnum):
    """How one volunteer's leg ended, as the contact export spells it."""

    ANSWERED = "answered"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"


class Screen(enum.StrEnum):
    """What the volunteer did at the press-1 screen."""

    NONE = "none"              # not reached yet
    ACCEPTED = "accepted"      # won the claim
    LATE = "late"              # pressed 1 after someone else won (or the caller left)
    DECLINED = "declined"      # pressed another key
    TIMED_OUT = "timed_out"    # heard the prompt and never pressed: a voicemail box, usually


class Call(Base):
    """One incoming call to a hotline number and everything that happened to it."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_awaiting_dispatch", "id", sqlite_where=text("awaiting_dispatch"),
              postgresql_where=text("awaiting_dispatch")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(34), unique=True)
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="SET NULL"), nullable=True, index=True
    )
    to_number: Mapped[str] = mapped_column(String(20))          # the hotline number dialled
    caller_cipher: Mapped[str] = mapped_column(Text, default="")
    caller_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    caller_hint: Mapped[str] = mapped_column(String(16), default="anonymous")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    phase: Mapped[str] = mapped_column(String(16), default=Phase.HOLDING.value)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    # The ring plan for the instant the call came in (started_at), made by the first ring
    # job right after the webhook answered: [{"tier": 1, "volunteers": [{"id", "name"}]}].
    # planned_at is None until then; a plan of [] made at planned_at means nobody was on call.
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    current_wave: Mapped[int] = mapped_column(Integer, default=0)
    waves_spent: Mapped[bool] = mapped_column(Boolean, default=False)
    plain_dial: Mapped[bool] = mapped_column(Boolean, default=False)
    # True from the webhook until a worker's dispatcher claims the call to start ringing it
    # (set only while a worker is running; otherwise the web process rings it itself).
    awaiting_dispatch: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    answered_leg_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    talk_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="call", order_by="CallLeg.id", cascade="all, delete-orphan"
    )


class CallLeg(Base):
    """One volunteer phone rung for one call; `created_at` is when it was offered (fairness).

    `engaged` is true while the leg rings or talks; a partial unique index on it means a
    volunteer is never offered two calls at once, whichever process tries.
    """

    __tablename__ = "call_legs"
    __table_args__ = (
        UniqueConstraint("call_id", "volunteer_id"),
        Index(
            "uq_call_legs_engaged_volunteer", "volunteer_id", unique=True,
            sqlite_where=text("engaged"), postgresql_where=text("engaged"),
        ),
        Index("ix_call_legs_volunteer_created", "volunteer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True
    )
    volunteer_name: Mapped[str] = mapped_column(String(200), default="")
    wave: Mapped[int] = mapped_column(Integer, default=0)
    call_sid: Mapped[str | None] = mapped_column(String(34), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=LegStatus.INTENT.value)
    screen: Mapped[str] = mapped_column(String(16), default=Screen.NONE.value)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    engaged: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    call: Mapped[Call] = relationship(back_populates="legs")


class CallEvent(Base):
    """A status callback received, once per (CallSid, SequenceNumber): duplicates are dropped."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_sid", "sequence_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(34))
    sequence_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Voicemail(Base):
    """A message a caller left; the media exists once `status` is 'completed'."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(34), unique=True)
    recording_url: Mapped[str] = mapped_column(Text, default="")
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallbackRequest(Base):
    """A caller asked to be called back; carrying it out is later work (`status` pending)."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
