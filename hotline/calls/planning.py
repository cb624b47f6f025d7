"""Who may be offered a call: the plan frozen when it arrives, and the order phones ring in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.logs.queries import last_offered
from hotline.roster.fairness import order_least_recently_offered
from hotline.roster.history import waves_from_json, waves_to_json
from hotline.roster.oncall import Wave, on_call
from hotline.roster.overflow import overflow_waves
from hotline.roster.store import load_rota
from hotline.roster.trainees import without_trainees


def plan_for(session: Session, chapter_id: int, at: datetime) -> tuple[Wave, ...]:
    """Who is on call in the chapter at the instant `at`, by tier: a call's plan."""
    return on_call(load_rota(session, chapter_id, at), at).waves


def plan_with_overflow(session: Session, chapter_id: int, at: datetime) -> tuple[Wave, ...]:
    """A caller's plan: the chapter's own waves, then its overflow chapters' waves
    (hotline.roster.overflow), all as the rota stands at `at`; a listen_in chapter's
    trainees left out of its waves (hotline.roster.trainees)."""
    return overflow_waves(session, chapter_id, at, lambda other, when: without_trainees(
        session, other, plan_for(session, other, when)))


def plan_to_json(waves: Sequence[Wave]) -> list[dict[str, Any]]:
    """The plan as stored with the call: ids and names, never phone numbers."""
    return waves_to_json(tuple(waves), phones=False)


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
