"""Texts in the tests: what the stand-in delivered to a number, rows the app wrote."""

from __future__ import annotations

from sqlalchemy import select

from hotline.roster.models import Chapter, Shift, Volunteer
from hotline.runtime import Runtime
from hotline.standin.calls import Message
from hotline.texts.models import OutboundText
from tests.flows.harness import Hotline


def texts_to(line: Hotline, number: str) -> list[str]:
    """Bodies of every text the stand-in carried to `number` (replies and outbox texts)."""
    return [m.body for m in line.board.messages if m.to == number]


def messages_to(line: Hotline, number: str) -> list[Message]:
    return [m for m in line.board.messages if m.to == number]


def outbox(line: Hotline, kind: str | None = None) -> list[OutboundText]:
    with line.runtime.sessions() as session:
        query = select(OutboundText).order_by(OutboundText.id)
        if kind is not None:
            query = query.where(OutboundText.kind == kind)
        return list(session.scalars(query))


def add_shift(runtime: Runtime, chapter_id: int, volunteer_id: int, days: str, start: str,
              end: str, tier: int = 1) -> None:
    with runtime.transaction() as session:
        session.add(Shift(chapter_id=chapter_id, volunteer_id=volunteer_id, days=days,
                          start=start, end=end, tier=tier))


def chapter_id(line: Hotline) -> int:
    """The first chapter's id."""
    with line.runtime.sessions() as session:
        found = session.scalar(select(Chapter.id).order_by(Chapter.id))
        assert found is not None
        return found


def add_volunteer(line: Hotline, phone: str, days: str, start: str, end: str, tier: int = 1
                  ) -> dict[str, int]:
    """A volunteer on the first chapter's rota for one weekly shift; phone -> id."""
    with line.runtime.transaction() as session:
        volunteer = Volunteer(name=f"Volunteer {phone[-4:]}", phone=phone)
        session.add(volunteer)
        session.flush()
        volunteer_id = volunteer.id
    add_shift(line.runtime, chapter_id(line), volunteer_id, days, start, end, tier)
    return {phone: volunteer_id}
