"""Rota tables: chapters and numbers, volunteers, shifts, rotations, overrides, swaps, history.

Rules are versioned, not rewritten: an edit closes a row (`valid_until`) and opens a
new one, so the rota at any past instant can still be read back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime, utcnow


class Chapter(Base):
    __tablename__ = "chapters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # Call-handling settings; see config.example.toml / the rota file for meanings.
    ring_strategy: Mapped[str] = mapped_column(String(16), default="all")
    ring_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    max_wait_seconds: Mapped[int] = mapped_column(Integer, default=90)
    # How long a caller waits at a tier for its busy volunteers before the next tier rings.
    wave_timeout_seconds: Mapped[int] = mapped_column(Integer, default=30)
    # After the call: alerts, call-backs, check-ins, reminders (config.example / rota file).
    alert_unclaimed_minutes: Mapped[int] = mapped_column(Integer, default=30)
    callback_delays_minutes: Mapped[list[int]] = mapped_column(JSON, default=lambda: [5, 30, 120])
    callback_hours: Mapped[str] = mapped_column(String(11), default="09:00-20:00")
    reminder_hours: Mapped[list[int]] = mapped_column(JSON, default=lambda: [24])
    callback_greeting: Mapped[str] = mapped_column(Text, default="")
    accept_mode: Mapped[str] = mapped_column(String(16), default="press1")
    language: Mapped[str] = mapped_column(String(16), default="en-US")
    greeting: Mapped[str] = mapped_column(Text, default="")
    hold_message: Mapped[str] = mapped_column(Text, default="")
    hours_text: Mapped[str] = mapped_column(Text, default="")
    emergency_line: Mapped[str] = mapped_column(String(20), default="")
    # Caps against floods and ring-bombing (hotline.logs.caps): callers holding at once,
    # calls one caller may have in line or talking at once, and refusing withheld numbers.
    max_holding: Mapped[int] = mapped_column(Integer, default=100)
    max_calls_per_caller: Mapped[int] = mapped_column(Integer, default=2)
    reject_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    # Chapters (slugs, in order) whose on-call volunteers are rung when this chapter's
    # waves are spent or nobody is on call here (hotline.roster.overflow).
    overflow: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Trainees on call listen in, muted, on calls their shift's volunteers take (a Conference).
    listen_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Matching (hotline.roster.matching): the language menu (the first is `language`), the
    # shared-experience menu ({key, prompt} each), and the longest a caller waits for a match.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: [])
    experiences: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=lambda: [])
    match_wait_seconds: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    numbers: Mapped[list[ChapterNumber]] = relationship(
        back_populates="chapter", cascade="all, delete-orphan", order_by="ChapterNumber.number"
    )


class ChapterNumber(Base):
    """A hotline phone number; it belongs to exactly one chapter."""

    __tablename__ = "chapter_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))

    chapter: Mapped[Chapter] = relationship(back_populates="numbers")


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    experiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A trainee is never offered a caller in a listen_in chapter: they listen in instead.
    trainee: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChapterMember(Base):
    """A volunteer belongs to a chapter even before its rota names them (added in the web app)."""

    __tablename__ = "chapter_members"

    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("chapters.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The rota file's `coordinators`: texted when an alert goes unclaimed, and with the gaps.
    coordinator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ShiftReminder(Base):
    """A reminder texted for one shift's start, and whether the volunteer confirmed it."""

    __tablename__ = "shift_reminders"
    __table_args__ = (UniqueConstraint("volunteer_id", "chapter_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Shift(Base):
    """A weekly wall-clock shift in the chapter's zone, valid over [valid_from, valid_until)."""

    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_chapter_validity", "chapter_id", "valid_until"),
        Index("ix_shifts_volunteer", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    days: Mapped[str] = mapped_column(String(40))  # "mon,wed": the days it starts on
    start: Mapped[str] = mapped_column(String(5))  # "18:00" local
    end: Mapped[str] = mapped_column(String(5))  # before start: past midnight
    tier: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Shift {self.id} v{self.volunteer_id} {self.days} {self.start}-{self.end}>"


class Rotation(Base):
    """Members take turns of `length` days or weeks from `anchor`; versioned like shifts."""

    __tablename__ = "rotations"
    __table_args__ = (Index("ix_rotations_chapter_validity", "chapter_id", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    anchor: Mapped[date] = mapped_column(Date)  # local date member 0's turn starts
    handoff: Mapped[str] = mapped_column(String(5))  # "09:00" local
    length: Mapped[int] = mapped_column(Integer, default=1)
    unit: Mapped[str] = mapped_column(String(8), default="weeks")
    tier: Mapped[int] = mapped_column(Integer, default=1)
    # Optional daily window inside a turn; all three set or none.
    window_days: Mapped[str | None] = mapped_column(String(40), nullable=True)
    window_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    window_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[RotationMember]] = relationship(
        back_populates="rotation",
        cascade="all, delete-orphan",
        order_by="RotationMember.position",
    )


class RotationMember(Base):
    """One place in a rotation's order; a volunteer may hold several places."""

    __tablename__ = "rotation_members"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )

    rotation: Mapped[Rotation] = relationship(back_populates="members")


class Override(Base):
    """A dated change for one chapter over the UTC interval [start, end): add, remove, replace.

    `source` says who made it: "coordinator" (CLI or rota file) or "swap" (an approved swap);
    rows are never edited in place except to cut `end` short when a live one is withdrawn.
    """

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_chapter_end", "chapter_id", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    replacement_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=True
    )
    tier: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="coordinator")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Unavailability(Base):
    """A volunteer is off call in every chapter over [start, end) (holiday, illness)."""

    __tablename__ = "unavailability"
    __table_args__ = (Index("ix_unavailability_volunteer_end", "volunteer_id", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SwapRequest(Base):
    """A volunteer offers [start, end) of their on-call time; another takes it; a coordinator
    approves, which writes a replace override. Status: offered, taken, approved, declined,
    withdrawn."""

    __tablename__ = "swap_requests"
    __table_args__ = (Index("ix_swap_requests_chapter_status", "chapter_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="offered")
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("overrides.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OnCallHistory(Base):
    """What the rota said over [start, end) for one chapter, frozen when recorded.

    `waves` is [{"tier": 1, "volunteers": [{"id": 3, "name": ..., "phone": ...}]}, ...]
    (empty when nobody was on call). Recorded segments are never rewritten; see
    hotline.roster.history for when they are written.
    """

    __tablename__ = "oncall_history"
    __table_args__ = (Index("ix_oncall_history_chapter_start", "chapter_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    waves: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarFeed(Base):
    """A secret-token iCal URL for one volunteer or one chapter; only the token's hash is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="CASCADE"), nullable=True
    )
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=True
    )
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
