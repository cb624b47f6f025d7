"""Reading the contact log: typed rows with the contact export's fields, caller masked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.logs.models import (
    AttemptResult,
    Call,
    CallKind,
    CallLeg,
    LegOutcome,
    LegStatus,
    Outcome,
)
from hotline.roster.matching import match_rank
from hotline.roster.models import Chapter


@dataclass(frozen=True)
class LegRow:
    """One volunteer phone rung; `outcome` is None while it still rings or talks."""

    volunteer: str
    volunteer_id: int | None
    outcome: LegOutcome | None
    trainee: bool = False          # rung to listen in (muted) on the call, not offered it


@dataclass(frozen=True)
class AttemptRow:
    """One call-back or check-in attempt: when, which volunteer took it, how it ended."""

    at: datetime
    volunteer: str | None
    outcome: AttemptResult | None      # None while it is being made
    checkin: bool = False


@dataclass(frozen=True)
class ContactRow:
    """One call as the contact export shows it; `outcome` is None while the call is live."""

    call_sid: str
    chapter: str | None              # slug; None for a number no chapter owns
    started_at: datetime             # UTC
    outcome: Outcome | None
    answered_by: str | None
    seconds_to_answer: int | None
    talk_seconds: int | None
    caller: str                      # masked: '***1234' or 'anonymous'
    legs: tuple[LegRow, ...]
    queue_seconds: int | None = None         # from arrival until claimed, moved on or gone
    position_at_arrival: int | None = None   # 1: nobody was waiting ahead of them
    callbacks: tuple[AttemptRow, ...] = ()
    # Answered by a volunteer rung from an overflow chapter's wave of the plan (hotline.roster.
    # overflow): the chapter dialled (the record's own `chapter`) and the overflow chapter.
    overflow_from: str | None = None
    overflow_to: str | None = None
    # Matching (hotline.roster.matching): what the caller asked at the menus, and whether
    # the volunteer who answered shares it.
    language: str | None = None
    experience: str | None = None
    matched: bool = False

    def as_json(self) -> dict[str, object]:
        """The product.md contact-export object (ISO-8601 UTC, plain strings)."""
        return {
            "call_sid": self.call_sid,
            "chapter": self.chapter,
            "started_at": _iso(self.started_at),
            "outcome": self.outcome.value if self.outcome else None,
            "answered_by": self.answered_by,
            "seconds_to_answer": self.seconds_to_answer,
            "talk_seconds": self.talk_seconds,
            "caller": self.caller,
            "legs": [
                {"volunteer": leg.volunteer, "outcome": leg.outcome.value if leg.outcome else None,
                 # A trainee's leg (listen-in) says so; a volunteer's keeps its two keys.
                 **({"kind": "trainee"} if leg.trainee else {})}
                for leg in self.legs
            ],
            "queue_seconds": self.queue_seconds,
            "times_offered": sum(1 for leg in self.legs if not leg.trainee),
            "position_at_arrival": self.position_at_arrival,
            "callbacks": [
                {"at": _iso(a.at), "volunteer": a.volunteer,
                 "outcome": a.outcome.value if a.outcome else None,
                 "kind": "checkin" if a.checkin else "callback"}
                for a in self.callbacks
            ],
            "overflow_from": self.overflow_from,
            "overflow_to": self.overflow_to,
            "language": self.language,
            "experience": self.experience,
            "matched": self.matched,
        }


def list_contacts(
    session: Session,
    *,
    chapter_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[ContactRow]:
    """Calls oldest first, optionally one chapter's, started in [since, until)."""
    query = (
        select(Call, Chapter.slug, Chapter.language)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(Call.kind == CallKind.INBOUND)        # attempts of ours are under `callbacks`
        .order_by(Call.started_at, Call.id)
    )
    if chapter_id is not None:
        query = query.where(Call.chapter_id == chapter_id)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    if limit is not None:
        query = query.limit(limit)
    calls = session.execute(query).all()
    ids = [call.id for call, _, _ in calls]
    legs_by_call = _legs(session, ids)
    attempts = _attempts(session, ids)
    return [_row(call, slug, legs_by_call[call.id], attempts[call.id], language)
            for call, slug, language in calls]


def _chunks(ids: list[int]) -> list[list[int]]:
    """Ids in chunks, so a long export never builds one giant IN list."""
    return [ids[start:start + 500] for start in range(0, len(ids), 500)]


def _legs(session: Session, ids: list[int]) -> dict[int, list[CallLeg]]:
    found: dict[int, list[CallLeg]] = defaultdict(list)
    for chunk in _chunks(ids):
        for leg in session.scalars(
            select(CallLeg).where(CallLeg.call_id.in_(chunk)).order_by(CallLeg.id)
        ):
            found[leg.call_id].append(leg)
    return found


def _attempts(session: Session, ids: list[int]) -> dict[int, list[AttemptRow]]:
    """Each call's call-back and check-in attempts, oldest first."""
    found: dict[int, list[AttemptRow]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Call.origin_call_id, Call.started_at, Call.result, Call.kind,
                   CallLeg.volunteer_name)
            .outerjoin(CallLeg, CallLeg.id == Call.answered_leg_id)
            .where(Call.origin_call_id.in_(chunk))
            .order_by(Call.started_at, Call.id))
        for origin, at, result, kind, volunteer in rows:
            if origin is not None:
                found[origin].append(AttemptRow(at, volunteer, result,
                                                kind is CallKind.CHECKIN))
    return found


def contact_for(session: Session, call_sid: str) -> ContactRow | None:
    """One contact's row by its CallSid (None for a call that is no contact: an attempt of
    ours, a volunteer calling in for their menu)."""
    found = session.execute(
        select(Call, Chapter.slug, Chapter.language)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(Call.call_sid == call_sid, Call.kind == CallKind.INBOUND)
    ).first()
    if found is None:
        return None
    call, slug, language = found
    return _row(call, slug, _legs(session, [call.id])[call.id],
                _attempts(session, [call.id])[call.id], language)


def _row(call: Call, slug: str | None, legs: list[CallLeg], attempts: list[AttemptRow],
         chapter_language: str | None = None) -> ContactRow:
    answered = next((leg for leg in legs if leg.id == call.answered_leg_id), None)
    to_answer = _seconds(call.started_at, call.answered_at)
    overflow_to = _overflow_chapter(call, answered.volunteer_id if answered else None)
    return ContactRow(
        call_sid=call.call_sid,
        chapter=slug,
        started_at=call.started_at,
        outcome=call.outcome,
        answered_by=answered.volunteer_name if answered else None,
        seconds_to_answer=to_answer,
        talk_seconds=call.talk_seconds,
        caller=call.caller_hint,
        legs=tuple(
            LegRow(leg.volunteer_name, leg.volunteer_id, leg.outcome, leg.trainee)
            for leg in legs if leg.status is not LegStatus.WITHDRAWN     # never rang
        ),
        queue_seconds=_seconds(call.started_at, call.dequeued_at),
        position_at_arrival=call.position_at_arrival,
        callbacks=tuple(attempts),
        overflow_from=slug if overflow_to else None,
        overflow_to=overflow_to,
        language=call.language,
        experience=call.experience,
        matched=_matched(call, answered, chapter_language or ""),
    )


def _matched(call: Call, answered: CallLeg | None, chapter_language: str) -> bool:
    """The volunteer who answered shares what the caller asked (their language, their
    experience), as the call's plan recorded them when it came in."""
    if answered is None or answered.volunteer_id is None or not (
            call.language or call.experience) or call.answered_at is None:
        return False
    found = next((v for wave in call.plan for v in wave["volunteers"]
                  if int(v["id"]) == answered.volunteer_id), None)
    if found is None:
        return False
    wanted = match_rank(call.language, call.experience, [call.language or ""],
                        [call.experience or ""])
    return match_rank(call.language, call.experience,
                      found.get("languages") or [chapter_language],
                      found.get("experiences") or []) == wanted


def _overflow_chapter(call: Call, volunteer_id: int | None) -> str | None:
    """The overflow chapter (slug) of the plan's first wave that has the volunteer who
    answered; None when that is one of the chapter's own waves, or nobody answered."""
    if volunteer_id is None:
        return None
    for wave in call.plan or ():
        if any(int(v["id"]) == volunteer_id for v in wave["volunteers"]):
            chapter = wave.get("chapter")
            return str(chapter) if chapter else None
    return None


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))
