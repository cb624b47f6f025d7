"""The contact log as coordinators read it: a page of calls, newest first, and one call's
timeline. Callers appear as their last four digits; repeat callers are found by keyed hash.

Each filter is one an index serves (hotline.logs.models.Call's `ix_calls_chapter_started`,
`ix_calls_chapter_outcome`, `ix_calls_caller_started`): the first page of a year of
a busy line reads about as many rows as the page shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from hotline.bans import Ban, ban_applies
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallFlag,
    CallKind,
    CallLeg,
    FollowUpKind,
    FollowUpStatus,
    LegOutcome,
    LegStatus,
    Outcome,
    Phase,
    Voicemail,
)
from hotline.phone import E164
from hotline.privacy import Privacy
from hotline.roster.localtime import to_instant
from hotline.roster.models import Chapter
from hotline.roster.people import volunteers_of as chapter_volunteers

PAGE_SIZE = 50
REPEAT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class LogFilter:
    """Which calls to list. `chapters`: the chapters in scope (each with its time zone, for
    the dates, which are the chapter's own calendar days; None for calls to a number no
    chapter owns, an admin's to see); `since`/`until` inclusive."""

    chapters: Sequence[tuple[int | None, str]]
    since: date | None = None
    until: date | None = None
    outcome: Outcome | None = None
    volunteer_id: int | None = None


@dataclass(frozen=True)
class LogRow:
    """One call in the log; `repeat` is its place among the caller's calls to this line in
    the 7 days up to it (2: their second), None for a first call or a withheld number."""

    call_id: int
    chapter_id: int | None            # None: a number no chapter owns
    started_at: datetime
    outcome: Outcome | None
    answered_by: str | None
    talk_seconds: int | None
    caller: str                       # masked: '***1234' or 'anonymous'
    repeat: int | None


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    next_before: int | None           # the call id to continue from (older calls), if any


def _day_bounds(days: date, zone: str) -> datetime:
    return to_instant(datetime.combine(days, time()), ZoneInfo(zone))


def _scope(wanted: LogFilter) -> ColumnElement[bool]:
    """The chapters and dates, one index range per chapter (each chapter's own midnight)."""
    parts = []
    for chapter_id, zone in wanted.chapters:
        part = [Call.chapter_id == chapter_id if chapter_id is not None
                else Call.chapter_id.is_(None)]
        if wanted.since is not None:
            part.append(Call.started_at >= _day_bounds(wanted.since, zone))
        if wanted.until is not None:
            part.append(Call.started_at < _day_bounds(wanted.until + timedelta(days=1), zone))
        parts.append(and_(*part))
    return or_(*parts) if parts else Call.id.is_(None)


def contact_page(session: Session, wanted: LogFilter, *, before: int | None = None,
                 limit: int = PAGE_SIZE) -> LogPage:
    """A page of calls, newest first (started_at, then id: a stable order); `before` is the
    last call id of the previous page. A `before` not in scope starts from the top."""
    query = (
        select(Call.id, Call.chapter_id, Call.started_at, Call.outcome, Call.talk_seconds,
               Call.caller_hint, Call.caller_hash, CallLeg.volunteer_name)
        .outerjoin(CallLeg, CallLeg.id == Call.answered_leg_id)
        .where(Call.kind == CallKind.INBOUND, _scope(wanted))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit + 1)
    )
    if wanted.outcome is not None:
        query = query.where(Call.outcome == wanted.outcome)
    if wanted.volunteer_id is not None:
        query = query.where(Call.id.in_(
            select(CallLeg.call_id).where(CallLeg.volunteer_id == wanted.volunteer_id,
                                          CallLeg.status != LegStatus.WITHDRAWN)))
    if before is not None:
        cursor = session.scalar(select(Call.started_at).where(Call.id == before))
        if cursor is not None:
            query = query.where(tuple_(Call.started_at, Call.id) < tuple_(cursor, before))
    found = session.execute(query).all()
    more = len(found) > limit
    found = found[:limit]
    repeats = repeat_marks(session, [(r.id, r.chapter_id, r.caller_hash, r.started_at)
                                     for r in found])
    rows = [LogRow(r.id, r.chapter_id, r.started_at, r.outcome, r.volunteer_name or None,
                   r.talk_seconds, r.caller_hint, repeats.get(r.id)) for r in found]
    return LogPage(rows, rows[-1].call_id if more and rows else None)


def repeat_marks(session: Session, calls: Sequence[tuple[int, int | None, str, datetime]]
                 ) -> dict[int, int]:
    """For each (id, chapter, caller hash, started) its place among the caller's calls to
    that chapter in the 7 days up to it, when it is the second or later; by hash only."""
    hashes = {h for _i, _c, h, _s in calls if h}
    if not hashes:
        return {}
    earliest = min(s for _i, _c, h, s in calls if h) - REPEAT_WINDOW
    latest = max(s for _i, _c, h, s in calls if h)
    seen: dict[tuple[str, int | None], list[tuple[datetime, int]]] = defaultdict(list)
    for caller, chapter_id, started, call_id in session.execute(
            select(Call.caller_hash, Call.chapter_id, Call.started_at, Call.id)
            .where(Call.caller_hash.in_(sorted(hashes)), Call.kind == CallKind.INBOUND,
                   Call.started_at >= earliest, Call.started_at <= latest)):
        seen[(caller, chapter_id)].append((started, call_id))
    marks: dict[int, int] = {}
    for call_id, chapter_id, caller, started in calls:
        if not caller:
            continue
        place = sum(1 for at, other in seen[(caller, chapter_id)]
                    if started - REPEAT_WINDOW < at and (at, other) <= (started, call_id))
        if place >= 2:
            marks[call_id] = place
    return marks


@dataclass(frozen=True)
class LegStep:
    """One volunteer's phone rung for the call."""

    volunteer: str
    volunteer_id: int | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: LegOutcome | None       # None while it still rings or talks
    took_it: bool


@dataclass(frozen=True)
class Attempt:
    at: datetime
    volunteer: str | None
    result: AttemptResult | None     # None while it is being made


@dataclass(frozen=True)
class FollowUp:
    kind: FollowUpKind
    status: FollowUpStatus
    requested_at: datetime
    attempts: list[Attempt]


@dataclass(frozen=True)
class Flag:
    at: datetime
    volunteer: str | None
    resolved: bool


@dataclass(frozen=True)
class Timeline:
    """One inbound call from start to end, as its chapter's coordinators may see it."""

    call_id: int
    chapter_id: int | None
    chapter_name: str
    timezone: str
    started_at: datetime
    ended_at: datetime | None
    phase: Phase
    outcome: Outcome | None
    caller: str                       # masked
    repeat: int | None
    hold_seconds: int | None          # in line: from arrival until claimed, moved on or gone
    talk_seconds: int | None
    legs: list[LegStep]
    follow_ups: list[FollowUp]
    voicemail: int | None             # the message left (its id; the recording may be gone)
    flags: list[Flag]
    number_kept: bool                 # the encrypted number is still held (a ban is possible)
    banned: bool                      # a ban covers this caller in this chapter now
    answered_by_volunteer: int | None


def call_chapter(session: Session, call_id: int) -> tuple[bool, int | None]:
    """(whether an inbound call with this id exists, its chapter)."""
    found = session.execute(select(Call.chapter_id).where(
        Call.id == call_id, Call.kind == CallKind.INBOUND)).first()
    return (False, None) if found is None else (True, found[0])


def call_timeline(session: Session, call_id: int) -> Timeline | None:
    """The call's timeline; None for no inbound call with that id."""
    found = session.execute(
        select(Call, Chapter.name, Chapter.timezone)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(Call.id == call_id, Call.kind == CallKind.INBOUND)).first()
    if found is None:
        return None
    call, chapter_name, zone = found
    legs = [
        LegStep(leg.volunteer_name, leg.volunteer_id, leg.created_at, leg.answered_at,
                leg.ended_at, leg.outcome, leg.id == call.answered_leg_id)
        for leg in session.scalars(select(CallLeg).where(CallLeg.call_id == call.id)
                                   .order_by(CallLeg.created_at, CallLeg.id))
        if leg.status is not LegStatus.WITHDRAWN
    ]
    attempts: dict[int | None, list[Attempt]] = defaultdict(list)
    for followup_id, at, result, volunteer in session.execute(
            select(Call.followup_id, Call.started_at, Call.result, CallLeg.volunteer_name)
            .outerjoin(CallLeg, CallLeg.id == Call.answered_leg_id)
            .where(Call.origin_call_id == call.id).order_by(Call.started_at, Call.id)):
        attempts[followup_id].append(Attempt(at, volunteer or None, result))
    follow_ups = [
        FollowUp(r.kind, r.status, r.requested_at, attempts.pop(r.id, []))
        for r in session.scalars(select(CallbackRequest).where(CallbackRequest.call_id == call.id)
                                 .order_by(CallbackRequest.requested_at, CallbackRequest.id))
    ]
    leftover = [a for group in attempts.values() for a in group]
    if leftover:          # attempts whose request is gone: still shown, under a call-back
        follow_ups.append(FollowUp(FollowUpKind.CALLBACK, FollowUpStatus.DONE,
                                   leftover[0].at, leftover))
    names = dict(session.execute(select(CallLeg.volunteer_id, CallLeg.volunteer_name)
                                 .where(CallLeg.call_id == call.id)).all())
    flags = [Flag(f.flagged_at, names.get(f.volunteer_id) if f.volunteer_id else None,
                  f.resolved_at is not None)
             for f in session.scalars(select(CallFlag).where(CallFlag.call_id == call.id)
                                      .order_by(CallFlag.flagged_at))]
    voicemail = session.scalar(select(Voicemail.id).where(Voicemail.call_id == call.id)
                               .order_by(Voicemail.id).limit(1))
    banned = bool(call.caller_hash) and call.chapter_id is not None and session.scalar(
        select(Ban.id).where(ban_applies(call.caller_hash, call.chapter_id)).limit(1)
    ) is not None
    repeat = repeat_marks(session, [(call.id, call.chapter_id, call.caller_hash,
                                     call.started_at)]).get(call.id)
    answered = next((leg.volunteer_id for leg in legs if leg.took_it), None)
    return Timeline(
        call_id=call.id, chapter_id=call.chapter_id, chapter_name=chapter_name or "",
        timezone=zone or "UTC", started_at=call.started_at, ended_at=call.ended_at,
        phase=call.phase, outcome=call.outcome, caller=call.caller_hint, repeat=repeat,
        hold_seconds=_seconds(call.started_at, call.dequeued_at),
        talk_seconds=call.talk_seconds, legs=legs, follow_ups=follow_ups,
        voicemail=voicemail, flags=flags, number_kept=bool(call.caller_cipher),
        banned=banned, answered_by_volunteer=answered,
    )


def volunteers_of(session: Session, chapter_ids: Collection[int]) -> list[tuple[int, str]]:
    """(id, name) of these chapters' volunteers: the choices of the log's volunteer filter."""
    found = {v.id: v.name for chapter_id in chapter_ids
             for v in chapter_volunteers(session, chapter_id)}
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))


def caller_number(session: Session, privacy: Privacy, call_id: int) -> E164 | None:
    """The caller's number, decrypted to ban them (never to show); None when it is no longer
    kept (withheld, dropped by retention) or cannot be decrypted with the key."""
    cipher = session.scalar(select(Call.caller_cipher).where(Call.id == call_id))
    number = privacy.decrypt(cipher) if cipher else None
    return E164(number) if number else None
