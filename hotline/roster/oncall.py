"""Who is on call for a chapter at one instant, as waves to ring."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.roster.localtime import EPSILON, as_utc
from hotline.roster.overrides import Assignment, apply_overrides
from hotline.roster.rules import ChapterRota, Override, Tier, VolunteerRef
from hotline.roster.spans import rota_spans


@dataclass(frozen=True)
class Wave:
    """The volunteers of one tier, ordered by volunteer id.

    Id order is only a stable default: phones are rung in the order of
    hotline.calls.planning.ring_order. `chapter` is None for the chapter's own waves, and
    the slug of the chapter it overflows to for an overflow wave (hotline.roster.overflow).
    """

    tier: Tier
    volunteers: tuple[VolunteerRef, ...]
    chapter: str | None = None


@dataclass(frozen=True)
class OnCall:
    """The ring plan at `at` (UTC): non-empty waves, lowest tier first."""

    at: datetime
    waves: tuple[Wave, ...]

    @property
    def volunteers(self) -> tuple[VolunteerRef, ...]:
        return tuple(volunteer for wave in self.waves for volunteer in wave.volunteers)

    def tier_of(self, volunteer_id: int) -> Tier | None:
        for wave in self.waves:
            if any(volunteer.id == volunteer_id for volunteer in wave.volunteers):
                return wave.tier
        return None


def build_waves(
    assignments: Iterable[Assignment], volunteers: Mapping[int, VolunteerRef]
) -> tuple[Wave, ...]:
    """Waves from assignments: unknown, inactive and phoneless volunteers dropped, each kept
    only in their lowest tier."""
    lowest: dict[int, Tier] = {}
    for tier, volunteer_id in assignments:
        volunteer = volunteers.get(volunteer_id)
        if volunteer is None or not volunteer.ringable:
            continue
        if volunteer_id not in lowest or tier < lowest[volunteer_id]:
            lowest[volunteer_id] = tier
    by_tier: dict[Tier, list[VolunteerRef]] = {}
    for volunteer_id in sorted(lowest):
        by_tier.setdefault(lowest[volunteer_id], []).append(volunteers[volunteer_id])
    return tuple(Wave(tier, tuple(by_tier[tier])) for tier in sorted(by_tier))


def active_overrides(overrides: Iterable[Override], at: datetime) -> list[Override]:
    return [override for override in overrides if override.active_at(at)]


def on_call(rota: ChapterRota, at: datetime) -> OnCall:
    """Who would be rung at the instant `at`: shifts and rotations, then overrides, then waves.

    Work is proportional to the rules in `rota` (a couple of local days per shift, one or two
    turns per rotation), never to the time since a rotation's anchor or to history.
    """
    at = as_utc(at, "at")
    regular = [
        (span.tier, span.volunteer_id)
        for span in rota_spans(rota, at, at + EPSILON)
        if span.contains(at)
    ]
    assignments = apply_overrides(regular, active_overrides(rota.overrides, at))
    return OnCall(at, build_waves(assignments, rota.volunteer_index))
