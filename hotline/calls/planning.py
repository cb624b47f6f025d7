"""The ring plan: who is rung, wave by wave, frozen when the call comes in."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.logs.records import last_offered
from hotline.roster.fairness import order_least_recently_offered
from hotline.roster.oncall import OnCall, on_call
from hotline.roster.store import load_rota


class Strategy(enum.StrEnum):
    """A chapter rings each tier's volunteers together, or one at a time."""

    ALL = "all"
    SEQUENTIAL = "sequential"


@dataclass(frozen=True)
class Planned:
    """A volunteer in the plan; the phone is read when the leg is placed, never stored here."""

    id: int
    name: str


@dataclass(frozen=True)
class PlannedWave:
    tier: int
    volunteers: tuple[Planned, ...]


def plan_waves(
    oncall: OnCall, strategy: Strategy, offered: Mapping[int, datetime | None]
) -> tuple[PlannedWave, ...]:
    """Waves in ring order; sequential splits each tier into one-volunteer waves, least
    recently offered first (ring-all uses the same order to place its calls)."""
    waves: list[PlannedWave] = []
    for wave in oncall.waves:
        ordered = order_least_recently_offered(wave.volunteers, offered)
        people = tuple(Planned(v.id, v.name) for v in ordered)
        if strategy is Strategy.SEQUENTIAL:
            waves.extend(PlannedWave(int(wave.tier), (person,)) for person in people)
        else:
            waves.append(PlannedWave(int(wave.tier), people))
    return tuple(waves)


def plan_ring(
    session: Session, chapter_id: int, strategy: Strategy, at: datetime
) -> tuple[PlannedWave, ...]:
    """The chapter's ring plan at the instant `at`, from its rota and the offer history."""
    oncall = on_call(load_rota(session, chapter_id, at), at)
    offered = last_offered(session, [v.id for v in oncall.volunteers])
    return plan_waves(oncall, strategy, dict(offered))


def plan_to_json(waves: Sequence[PlannedWave]) -> list[dict[str, Any]]:
    return [
        {"tier": w.tier, "volunteers": [{"id": p.id, "name": p.name} for p in w.volunteers]}
        for w in waves
    ]


def plan_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[PlannedWave, ...]:
    return tuple(
        PlannedWave(
            int(w["tier"]),
            tuple(Planned(int(p["id"]), str(p["name"])) for p in w["volunteers"]),
        )
        for w in data
    )
