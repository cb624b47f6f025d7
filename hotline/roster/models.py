"""Rota tables: chapters and their numbers, volunteers, weekly shifts.

Rules are versioned, not rewritten: an edit closes a row (`valid_until`) and opens a
new one, so the rota at any past instant can still be read back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
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
    accept_mode: Mapped[str] = mapped_column(String(16), default="press1")
    language: Mapped[str] = mapped_column(String(16), default="en-US")
    greeting: Mapped[str] = mapped_column(Text, default="")
    hold_message: Mapped[str] = mapped_column(Text, default="")
    hours_text: Mapped[str] = mapped_column(Text, default="")
    emergency_line: Mapped[str] = mapped_column(String(20), default="")
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Shift(Base):
    """A weekly wall-clock shift in the chapter's zone, valid over [valid_from, valid_until)."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_chapter_validity", "chapter_id", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    days: Mapped[str] = mapped_column(String(40))          # "mon,wed": the days it starts on
    start: Mapped[str] = mapped_column(String(5))          # "18:00" local
    end: Mapped[str] = mapped_column(String(5))            # before start: past midnight
    tier: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Shift {self.id} v{self.volunteer_id} {self.days} {self.start}-{self.end}>"

