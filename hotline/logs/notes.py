"""After-call notes: what the volunteer who took a call wrote about it, encrypted at rest.

A note is read by the volunteer who wrote it and by the coordinators of the call's chapter
(the web app checks who asks); it is encrypted with the privacy key, never kept in clear, and
dropped by the retention run with the caller's number. Numbers written in a note are kept as
their last four digits only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, UTCDateTime, utcnow
from hotline.logs.models import Call, CallLeg
from hotline.privacy import Privacy, mask_numbers

NOTE_LIMIT = 4000          # characters: a few paragraphs, typed on a phone


class CallNote(Base):
    """The note on one call, by the volunteer who took it."""

    __tablename__ = "call_notes"
    __table_args__ = (UniqueConstraint("call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True)
    body_cipher: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def taken_by(session: Session, call_id: int) -> int | None:
    """The volunteer who took (answered) the call, or None."""
    return session.scalar(
        select(CallLeg.volunteer_id).join(Call, Call.answered_leg_id == CallLeg.id)
        .where(Call.id == call_id))


def find_note(session: Session, call_id: int) -> CallNote | None:
    return session.scalar(select(CallNote).where(CallNote.call_id == call_id))


def read_note(session: Session, privacy: Privacy, call_id: int) -> str | None:
    """The note's words, or None when there is none (or it cannot be decrypted)."""
    cipher = session.scalar(select(CallNote.body_cipher).where(CallNote.call_id == call_id))
    return None if cipher is None else privacy.decrypt(cipher)


def write_note(session: Session, privacy: Privacy, call_id: int, volunteer_id: int, text: str,
               now: datetime) -> CallNote:
    """Write or replace the note on a call the volunteer took (the caller checks that).

    Phone numbers in the words are masked before they are kept."""
    body = privacy.encrypt(mask_numbers(text.strip())[:NOTE_LIMIT])
    note = find_note(session, call_id)
    if note is None:
        note = CallNote(call_id=call_id, volunteer_id=volunteer_id, body_cipher=body,
                        created_at=now, updated_at=now)
        session.add(note)
    else:
        note.body_cipher, note.volunteer_id, note.updated_at = body, volunteer_id, now
    session.flush()
    return note


def note_summary(note: CallNote) -> dict[str, object]:
    """What the audit log keeps of a note: whose, on which call, when; never its words."""
    return {"id": note.id, "call_id": note.call_id, "volunteer_id": note.volunteer_id,
            "updated_at": note.updated_at}


def notes_by_sid(session: Session, privacy: Privacy, call_sids: Collection[str]
                 ) -> dict[str, str]:
    """The notes of these calls by CallSid, decrypted (the contact export with --notes)."""
    found: dict[str, str] = {}
    sids = sorted(call_sids)
    for start in range(0, len(sids), 500):
        for sid, cipher in session.execute(
                select(Call.call_sid, CallNote.body_cipher)
                .join(Call, Call.id == CallNote.call_id)
                .where(Call.call_sid.in_(sids[start:start + 500]))):
            words = privacy.decrypt(cipher)
            if words is not None:
                found[sid] = words
    return found


def calls_with_notes(session: Session, call_ids: Collection[int]) -> set[int]:
    """Which of these calls have a note (without decrypting any)."""
    return set(session.scalars(select(CallNote.call_id)
                               .where(CallNote.call_id.in_(sorted(call_ids)))))


def stale_notes(before: datetime) -> ColumnElement[bool]:
    """Notes on calls started before `before`: dropped by retention with the number."""
    return CallNote.call_id.in_(select(Call.id).where(Call.started_at < before))


def drop_notes_before(session: Session, before: datetime) -> int:
    """Delete the notes of calls started before `before` (retention); how many."""
    result = session.execute(delete(CallNote).where(stale_notes(before))
                             .execution_options(synchronize_session=False))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
