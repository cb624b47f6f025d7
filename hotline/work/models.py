"""The scheduled-work table: one row per thing to do at a time, claimed by one runner."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow
from hotline.logs.models import word_column


class TaskStatus(enum.StrEnum):
    PENDING = "pending"        # waiting for its time
    RUNNING = "running"        # claimed by a runner until `lease_until`
    DONE = "done"
    FAILED = "failed"          # tried MAX_ATTEMPTS times; `last_error` says why
    CANCELED = "canceled"      # no longer wanted (the call-back was answered, say)


class ScheduledTask(Base):
    """`kind` of work about `subject_id`, due at `due_at`; `key` makes scheduling idempotent."""

    __tablename__ = "scheduled_tasks"
    __table_args__ = (
        Index("ix_scheduled_tasks_due", "due_at",
              sqlite_where=text("status IN ('pending', 'running')"),
              postgresql_where=text("status IN ('pending', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[TaskStatus] = mapped_column(word_column(TaskStatus, 16),
                                               default=TaskStatus.PENDING)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
