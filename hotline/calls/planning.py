"""Who may be offered a call: the plan frozen when it arrives, and the order phones ring in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.logs.queries import last_offered
from hotline.roster.fairness import order_least_recently_offered
from hotline.roster.history import waves_from_json, waves_to_json
from hotline.roster.matching import match_rank
from hotline.roster.models import Volunteer
from hotline.roster.oncall import Wave, on_call
from hotline.roster.overflow import overflow_waves
from hotline.roster.store import load_rota
from hotline.roster.trainees import offered_waves


def plan_for(session: Session, chapter_id: int, at: datetime) -> tuple[Wave, ...]:
    """Who is on call in the chapter at the instant `at`, by tier: a call's plan."""
    return on_call(load_rota(session, chapter_id, at), at).waves


def plan_with_overflow(session: Session, chapter_id: int, at: datetime) -> tuple[Wave, ...]:
    """A caller's plan: the chapter's own waves, then its overflow chapters' waves
    (hotline.roster.overflow), all as the rota stands at `at`; a listen_in chapter's
    trainees left out of its waves (hotline.roster.trainees)."""
    return overflow_waves(session, chapter_id, at,
                          lambda other, when: offered_waves(session, other, when))


def plan_to_json(
    waves: Sequence[Wave], traits: Mapping[int, tuple[list[str], list[str]]] | None = None
) -> list[dict[str, Any]]:
    """The plan as stored with the call: ids and names, never phone numbers; with `traits`
    (a chapter with menus) each volunteer's languages and experiences too, so matching
    reads the plan as it stood when the call came in."""
    data = waves_to_json(tuple(waves), phones=False)
    for wave in data if traits else ():
        for volunteer in wave["volunteers"]:
            languages, experiences = traits.get(volunteer["id"], ([], [])) if traits else ([], [])
            volunteer.update(languages=list(languages), experiences=list(experiences))
    return data


def traits_of(session: Session, waves: Sequence[Wave]) -> dict[int, tuple[list[str], list[str]]]:
    """Each planned volunteer's (languages, experiences)."""
    ids = [v.id for wave in waves for v in wave.volunteers]
    rows = session.execute(select(Volunteer.id, Volunteer.languages, Volunteer.experiences)
                           .where(Volunteer.id.in_(ids))).all() if ids else []
    return {vid: (list(languages or []), list(experiences or []))
            for vid, languages, experiences in rows}


def match_ranks(plan: Sequence[Mapping[str, Any]], language: str | None,
                experience: str | None, chapter_language: str) -> dict[int, int]:
    """How well each planned volunteer fits what the caller asked (0: not at all). A
    volunteer who lists no languages speaks the chapter's own."""
    return {int(v["id"]): rank for wave in plan for v in wave["volunteers"]
            if (rank := match_rank(language, experience,
                                   v.get("languages") or [chapter_language],
                                   v.get("experiences") or []))}


def plan_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Wave, ...]:
    return waves_from_json(data)


def ring_order(session: Session, waves: Sequence[Wave]) -> tuple[Wave, ...]:
    """Each tier's volunteers in the order their phones are rung, least recently offered
    first; the same order whether a chapter rings a tier all at once or one at a time
    (hotline.calls.dispatch hands free phones out in it). `hotline oncall` prints it."""
    offered = last_offered(session, [v.id for wave in waves for v in wave.volunteers])
    return tuple(Wave(wave.tier, order_least_recently_offered(wave.volunteers, offered),
                      wave.chapter)
                 for wave in waves)
