"""Call and contact records: calls, the legs that rang volunteers, callbacks, voicemails.

The caller's number is kept only encrypted (`caller_cipher`), as a keyed hash for lookups
(`caller_hash`) and masked for display (`caller_hint`); never in clear.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
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


class CallKind(enum.StrEnum):
    """What a call record is: a caller ringing in, or an attempt of ours to reach one."""

    INBOUND = "inbound"        # someone dialled a hotline number
    CALLBACK = "callback"      # a call-back attempt: a volunteer first, then the caller
    CHECKIN = "checkin"        # a check-in the caller agreed to, made the same way
    VOLUNTEER = "volunteer"    # a volunteer calling a hotline number: their own menu


class AttemptResult(enum.StrEnum):
    """How a call-back or check-in attempt ended, as the contact export spells it."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    VOLUNTEER_UNAVAILABLE = "volunteer_unavailable"
    CANCELED = "canceled"


class Phase(enum.StrEnum):
    """Where the caller is; hotline.logs.lifecycle holds the moves allowed between them."""

    HOLDING = "holding"        # waiting in the queue for the next free volunteer
    ANSWERED = "answered"      # a volunteer claimed the call (bridging, then talking)
    LEFT = "left"              # moved out of the queue: voicemail, call-back, plain dial
    FINISHED = "finished"      # never queued (rejected, unknown number), or talked and over
    GONE = "gone"              # the caller hung up without talking to anyone
    MENU = "menu"              # a volunteer who called in, at their menu (never queued)


class LegStatus(enum.StrEnum):
    """An offer's progress: ours until dialled, then the network's call statuses."""

    INTENT = "intent"          # the offer is recorded; its phone is not dialled yet
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"
    WITHDRAWN = "withdrawn"    # taken back before its phone was dialled: never rang

    @property
    def ended(self) -> bool:
        return self in ENDED_LEGS


ENDED_LEGS = frozenset({
    LegStatus.COMPLETED, LegStatus.BUSY, LegStatus.FAILED, LegStatus.NO_ANSWER,
    LegStatus.CANCELED, LegStatus.WITHDRAWN,
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


E = TypeVar("E", bound=enum.StrEnum)


def word_column(kind: type[E], length: int) -> Enum:
    """A column holding an enum's values as plain text (VARCHAR, no database enum type)."""
    return Enum(kind, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True)


class Call(Base):
    """One incoming call to a hotline number and everything that happened to it."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_awaiting_dispatch", "id", sqlite_where=text("awaiting_dispatch"),
              postgresql_where=text("awaiting_dispatch")),
        Index("ix_calls_holding", "chapter_id", sqlite_where=text("phase = 'holding'"),
              postgresql_where=text("phase = 'holding'")),
        # A caller's calls in line or talking, counted against their cap on every call.
        Index("ix_calls_live_caller", "caller_hash",
              sqlite_where=text("phase IN ('holding', 'answered')"),
              postgresql_where=text("phase IN ('holding', 'answered')")),
        # The reports' aggregates read only these indexes (hotline.logs.reports), and the
        # contact log's page (hotline.logs.contactlog) reads a chapter's calls (of one
        # outcome) newest first, 50 at a time, in index order (id breaks ties of started_at).
        Index("ix_calls_chapter_started", "chapter_id", "started_at", "id", "kind", "outcome",
              "answered_at"),
        Index("ix_calls_chapter_outcome", "chapter_id", "outcome", "started_at", "id", "kind",
              "answered_at"),
        # A caller's calls by date (the contact log's repeat-caller mark, by keyed hash).
        Index("ix_calls_caller_started", "caller_hash", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # An inbound call's Twilio CallSid; for an attempt of ours, an id of our own ("CB...").
    call_sid: Mapped[str] = mapped_column(String(34), unique=True)
    kind: Mapped[CallKind] = mapped_column(word_column(CallKind, 16), default=CallKind.INBOUND,
                                           server_default=CallKind.INBOUND.value)
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("chapters.id", ondelete="SET NULL"), nullable=True, index=True
    )
    to_number: Mapped[str] = mapped_column(String(20))          # the hotline number dialled
    # An attempt's: the call it follows up, the request it carries out, its call to the
    # caller (a REST call from the hotline number), and how it ended.
    origin_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), nullable=True, index=True)
    # (No foreign key: call-back requests name their call; this names the request back.)
    followup_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    caller_leg_sid: Mapped[str | None] = mapped_column(String(34), nullable=True, unique=True)
    result: Mapped[AttemptResult | None] = mapped_column(word_column(AttemptResult, 24),
                                                         nullable=True)
    # A volunteer's own call to the line (kind volunteer): who is calling in.
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    caller_cipher: Mapped[str] = mapped_column(Text, default="")
    caller_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    caller_hint: Mapped[str] = mapped_column(String(16), default="anonymous")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    phase: Mapped[Phase] = mapped_column(word_column(Phase, 16), default=Phase.HOLDING)
    outcome: Mapped[Outcome | None] = mapped_column(word_column(Outcome, 24), nullable=True)
    # Who was on call at started_at, by tier, frozen with the call (a rota edit does not
    # move a call in progress): [{"tier": 1, "volunteers": [{"id", "name"}]}]. Made by the
    # first dispatch a moment after the webhook answered; planned_at is None until then, and
    # a plan of [] made at planned_at means nobody was on call.
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How far down the plan the caller has reached (0: tier 1), and since when.
    tier_index: Mapped[int] = mapped_column(Integer, default=0)
    tier_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Callers of the chapter already waiting when this one arrived, plus one.
    position_at_arrival: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # When the caller stopped waiting: claimed by a volunteer, moved on, or gone.
    dequeued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    plain_dial: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the caller chose at the chapter's menus (hotline.roster.matching), and when.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    experience: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The overflow chapter (slug) the holding caller was last told they are offered to:
    # told once when the plan reaches it, not on every hold turn (hotline.calls.flow).
    overflow_told: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # True from the webhook until a worker claims the call to dispatch it (set only while
    # workers run on PostgreSQL, which are woken by NOTIFY; see hotline.logs.incoming).
    awaiting_dispatch: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    # Which cap turned the caller away ("caller", "chapter", "withheld"; hotline.logs.caps),
    # None for a call let in: what the metrics count.
    cap: Mapped[str | None] = mapped_column(String(16), nullable=True)
    answered_leg_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    talk_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="call", order_by="CallLeg.id", cascade="all, delete-orphan"
    )


class CallLeg(Base):
    """One offer: a volunteer's phone rung for one caller; `created_at` is when it was made.

    `engaged` is true while the leg rings or talks; a partial unique index on it means a
    volunteer is never offered two calls at once, whichever process tries. A volunteer may
    be offered the same caller again (their phone rang out and they are free again).
    """

    __tablename__ = "call_legs"
    __table_args__ = (
        Index("ix_call_legs_call", "call_id"),
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
    call_sid: Mapped[str | None] = mapped_column(String(34), nullable=True, unique=True)
    status: Mapped[LegStatus] = mapped_column(word_column(LegStatus, 16), default=LegStatus.INTENT)
    screen: Mapped[Screen] = mapped_column(word_column(Screen, 16), default=Screen.NONE)
    outcome: Mapped[LegOutcome | None] = mapped_column(word_column(LegOutcome, 16),
                                                       nullable=True)
    engaged: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # When the REST request to ring the phone was sent (None: never tried).
    dialled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A trainee's phone rung to listen in (muted) on the call another volunteer took.
    trainee: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

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
    """A message a caller left; the media exists once `status` is 'completed'. A volunteer
    takes it (by text, in the app, or calling in), hears it, and marks it handled."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(34), unique=True)
    recording_url: Mapped[str] = mapped_column(Text, default="")
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reference: Mapped[str | None] = mapped_column(String(8), nullable=True, unique=True)
    claimed_volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The web account that marked it handled in the inbox (None: handled on the phone).
    handled_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FollowUpKind(enum.StrEnum):
    """Why someone will contact a caller again."""

    CALLBACK = "callback"            # they asked to be called back
    CHECKIN_CALL = "checkin_call"    # they agreed to a check-in call (the volunteer noted it)
    CHECKIN_TEXT = "checkin_text"    # ... or a check-in text


class FollowUpStatus(enum.StrEnum):
    OPEN = "open"                    # attempts will be made
    DONE = "done"                    # reached them
    CANCELED = "canceled"            # a coordinator called it off, or the caller said STOP
    REACHED_ELSEWHERE = "reached"    # they called again and talked to a volunteer
    GAVE_UP = "gave_up"              # every attempt was made


class CallbackRequest(Base):
    """Someone will contact a caller again: a call-back they asked for, or a check-in they
    agreed to. Attempts follow the chapter's delays, inside its call-back hours."""

    __tablename__ = "callback_requests"
    __table_args__ = (UniqueConstraint("call_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    kind: Mapped[FollowUpKind] = mapped_column(word_column(FollowUpKind, 16),
                                               default=FollowUpKind.CALLBACK,
                                               server_default=FollowUpKind.CALLBACK.value)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[FollowUpStatus] = mapped_column(word_column(FollowUpStatus, 16),
                                                   default=FollowUpStatus.OPEN)
    reference: Mapped[str | None] = mapped_column(String(8), nullable=True, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CallFlag(Base):
    """A volunteer flagged a call for the chapter's coordinator (from the wrap-up menu)."""

    __tablename__ = "call_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportDay(Base):
    """One chapter-local day of a chapter's inbound calls, rolled up once the day is over
    (hotline.logs.reports): the calls by what became of them, the missed ones by local hour,
    and the answered ones' seconds to answer, so a report reads one row a day whatever the
    day held. Keyed by the zone too: a chapter that changes zone gets new days."""

    __tablename__ = "report_days"

    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("chapters.id", ondelete="CASCADE"), primary_key=True)
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date(), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer())
    missed: Mapped[int] = mapped_column(Integer())
    turned_away: Mapped[int] = mapped_column(Integer())
    missed_hours: Mapped[list[int]] = mapped_column(JSON())        # 24 counts, local hour
    waits: Mapped[dict[str, int]] = mapped_column(JSON())          # {"seconds": answered}
    rolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
