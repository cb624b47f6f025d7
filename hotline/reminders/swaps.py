"""Texts about swap requests: an offered shift is texted to the volunteers who could take it;
the one who offered it hears when someone takes it; both hear what the coordinator decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.reminders.common import line_number, when
from hotline.roster.models import Chapter, SwapRequest, Unavailability, Volunteer
from hotline.roster.people import volunteers_of
from hotline.settings import Settings
from hotline.texts.outbox import queue_text


def pages_url(settings: Settings) -> str:
    """Where a volunteer takes a swap: their own page of the web app."""
    return f"{settings.app.public_url.rstrip('/')}/me"


def eligible(session: Session, swap: SwapRequest) -> list[Volunteer]:
    """The chapter's active volunteers, but the one offering, free over the swap's time."""
    away = set(session.scalars(select(Unavailability.volunteer_id).where(
        Unavailability.end > swap.start, Unavailability.start < swap.end)))
    return [v for v in volunteers_of(session, swap.chapter_id)
            if v.active and v.id != swap.offered_by_id and v.id not in away]


def swap_offered(session: Session, swap: SwapRequest, pages_url: str, now: datetime) -> int:
    """Text the volunteers who could take the offered swap (once each); how many."""
    chapter = session.get(Chapter, swap.chapter_id)
    offerer = session.get(Volunteer, swap.offered_by_id)
    number = line_number(session, swap.chapter_id)
    if chapter is None or offerer is None or number is None:
        return 0
    body = (f"{chapter.name}: {offerer.name} asks for cover {when(swap.start, chapter)} to "
            f"{when(swap.end, chapter)}. To take it: {pages_url}")
    told = eligible(session, swap)
    for volunteer in told:
        queue_text(session, key=f"swap-{swap.id}-offered-{volunteer.id}", kind="swap",
                   from_number=number, body=body, now=now, volunteer_id=volunteer.id,
                   chapter_id=chapter.id)
    return len(told)


def swap_taken(session: Session, swap: SwapRequest, now: datetime) -> None:
    """Tell the one who offered the swap that it was taken (once)."""
    chapter = session.get(Chapter, swap.chapter_id)
    taker = session.get(Volunteer, swap.taken_by_id) if swap.taken_by_id else None
    number = line_number(session, swap.chapter_id)
    if chapter is None or taker is None or number is None:
        return
    body = (f"{chapter.name}: {taker.name} has taken your swap {when(swap.start, chapter)} to "
            f"{when(swap.end, chapter)}. It is theirs once a coordinator approves it.")
    queue_text(session, key=f"swap-{swap.id}-taken", kind="swap", from_number=number,
               body=body, now=now, volunteer_id=swap.offered_by_id, chapter_id=chapter.id)


def swap_decided(session: Session, swap: SwapRequest, approved: bool, now: datetime) -> None:
    """Tell the one who offered the swap, and the one who took it, what the coordinator
    decided (once each): whose shift it is now."""
    chapter = session.get(Chapter, swap.chapter_id)
    number = line_number(session, swap.chapter_id)
    if chapter is None or number is None:
        return
    span = f"{when(swap.start, chapter)} to {when(swap.end, chapter)}"
    if approved:
        said = {swap.offered_by_id: f"{chapter.name}: your swap {span} is approved: you are "
                                    "off the rota for that time.",
                swap.taken_by_id: f"{chapter.name}: the swap you took is approved: you are on "
                                  f"call {span}."}
    else:
        said = {swap.offered_by_id: f"{chapter.name}: your swap {span} was not approved: you "
                                    "are still on call then. Ask your coordinator why.",
                swap.taken_by_id: f"{chapter.name}: the swap you took ({span}) was not "
                                  "approved: it stays with who had it."}
    decision = "approved" if approved else "refused"
    for volunteer_id, body in said.items():
        if volunteer_id is not None:
            queue_text(session, key=f"swap-{swap.id}-{decision}-{volunteer_id}", kind="swap",
                       from_number=number, body=body, now=now, volunteer_id=volunteer_id,
                       chapter_id=chapter.id)
