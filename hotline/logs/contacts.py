"""Reading the contact log: typed rows with the contact export's fields, caller masked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.logs.models import Call, CallLeg, LegOutcome, Outcome
from hotline.roster.models import Chapter


@dataclass(frozen=True)
class LegRow:
    """One volunteer phone rung; `outcome` is None while it still rings or talks."""

    volunteer: str
    volunteer_id: int | None
    outcome: LegOutcome | None


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

    def as_json(self) -> dict[str, object]:
        """The product.md contact-export object (ISO-8601 UTC, plain strings)."""
        return {
            "call_sid": self.call_sid,
            "chapter": self.chapter,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "outcome": self.outcome.value if self.outcome else None,
            "answered_by": self.answered_by,
            "seconds_to_answer": self.seconds_to_answer,
            "talk_seconds": self.talk_seconds,
            "caller": self.caller,
            "legs": [
                {"volunteer": leg.volunteer, "outcome": leg.outcome.value if leg.outcome else None}
                for leg in self.legs
            ],
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
        select(Call, Chapter.slug)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
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
    legs_by_call: dict[int, list[CallLeg]] = defaultdict(list)
    ids = [call.id for call, _ in calls]
    # Chunked so a long export never builds one giant IN list.
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for leg in session.scalars(
            select(CallLeg).where(CallLeg.call_id.in_(chunk)).order_by(CallLeg.id)
        ):
            legs_by_call[leg.call_id].append(leg)
    return [_row(call, slug, legs_by_call[call.id]) for call, slug in calls]


def contact_for(session: Session, call_sid: str) -> ContactRow | None:
    """One call's row by its CallSid."""
    found = session.execute(
        select(Call, Chapter.slug)
        .outerjoin(Chapter, Chapter.id == Call.chapter_id)
        .where(Call.call_sid == call_sid)
    ).first()
    if found is None:
        return None
    call, slug = found
    legs = list(session.scalars(select(CallLeg).where(CallLeg.call_id == call.id)
                                .order_by(CallLeg.id)))
    return _row(call, slug, legs)


def _row(call: Call, slug: str | None, legs: list[CallLeg]) -> ContactRow:
    answered = next((leg for leg in legs if leg.id == call.answered_leg_id), None)
    to_answer = None
    if call.answered_at is not None:
        to_answer = max(0, round((call.answered_at - call.started_at).total_seconds()))
    return ContactRow(
        call_sid=call.call_sid,
        chapter=slug,
        started_at=call.started_at,
        outcome=Outcome(call.outcome) if call.outcome else None,
        answered_by=answered.volunteer_name if answered else None,
        seconds_to_answer=to_answer,
        talk_seconds=call.talk_seconds,
        caller=call.caller_hint,
        legs=tuple(
            LegRow(leg.volunteer_name, leg.volunteer_id,
                   LegOutcome(leg.outcome) if leg.outcome else None)
            for leg in legs
        ),
    )
