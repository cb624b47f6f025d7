"""Fairness: who is offered a call first within a wave, and hours on call per volunteer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.roster.rules import Tier, VolunteerRef
from hotline.roster.timeline import Segment


def offer_order(volunteer_id: int, last_offered: datetime | None) -> tuple[int, float, int]:
    """The sort key of the ring order: never-offered volunteers first, then the oldest last
    offer first; ties by volunteer id. The call path and `hotline oncall` both sort by it."""
    if last_offered is None:
        return (0, 0.0, volunteer_id)
    return (1, last_offered.timestamp(), volunteer_id)


def order_least_recently_offered(
    volunteers: Iterable[VolunteerRef], last_offered: Mapping[int, datetime | None]
) -> tuple[VolunteerRef, ...]:
    """`volunteers` in ring order (missing from the mapping counts as never offered)."""
    return tuple(sorted(volunteers, key=lambda v: offer_order(v.id, last_offered.get(v.id))))


@dataclass(frozen=True)
class HoursLine:
    """One volunteer's on-call time per tier over the report's range, and their call counts.

    The counts start at zero here; the store fills them from the contact log with
    `with_call_counts`.
    """

    volunteer: VolunteerRef
    primary: timedelta = timedelta(0)
    backup: timedelta = timedelta(0)
    fallback: timedelta = timedelta(0)
    calls_offered: int = 0
    calls_taken: int = 0

    @property
    def on_call(self) -> timedelta:
        return self.primary + self.backup + self.fallback

    def at_tier(self, tier: Tier) -> timedelta:
        value: timedelta = getattr(self, tier.label)
        return value


@dataclass(frozen=True)
class HoursReport:
    """Hours on call over the UTC range [start, end), one line per volunteer of the rota."""

    start: datetime
    end: datetime
    lines: tuple[HoursLine, ...]

    def line_for(self, volunteer_id: int) -> HoursLine | None:
        return next((line for line in self.lines if line.volunteer.id == volunteer_id), None)


def hours_report(
    volunteers: Sequence[VolunteerRef], segments: Sequence[Segment], start: datetime, end: datetime
) -> HoursReport:
    """Sum each volunteer's time in each wave of `segments`, cut to [start, end).

    Every volunteer given gets a line, with zero hours if never on call; lines are ordered by
    most time on call, then name, then id. Time counts only where the volunteer would have
    been rung (active, with a phone), at the lowest tier they held.
    """
    totals: dict[int, dict[Tier, timedelta]] = {v.id: {} for v in volunteers}
    for segment in segments:
        lasted = min(segment.end, end) - max(segment.start, start)
        if lasted <= timedelta(0):
            continue
        for wave in segment.waves:
            for volunteer in wave.volunteers:
                per_tier = totals.setdefault(volunteer.id, {})
                per_tier[wave.tier] = per_tier.get(wave.tier, timedelta(0)) + lasted
    known = {v.id: v for v in volunteers}
    lines = [
        HoursLine(
            volunteer=known[volunteer_id],
            primary=per_tier.get(Tier.PRIMARY, timedelta(0)),
            backup=per_tier.get(Tier.BACKUP, timedelta(0)),
            fallback=per_tier.get(Tier.FALLBACK, timedelta(0)),
        )
        for volunteer_id, per_tier in totals.items()
        if volunteer_id in known
    ]
    lines.sort(key=lambda line: (-line.on_call, line.volunteer.name, line.volunteer.id))
    return HoursReport(start, end, tuple(lines))


def with_call_counts(
    report: HoursReport, offered: Mapping[int, int], taken: Mapping[int, int]
) -> HoursReport:
    """The report with calls offered and taken per volunteer id joined in (absent: zero)."""
    lines = tuple(
        dataclasses.replace(
            line,
            calls_offered=offered.get(line.volunteer.id, 0),
            calls_taken=taken.get(line.volunteer.id, 0),
        )
        for line in report.lines
    )
    return dataclasses.replace(report, lines=lines)
