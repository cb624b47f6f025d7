"""Who is on call over a range: maximal segments, per-volunteer intervals, and gaps."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.roster.localtime import as_utc
from hotline.roster.oncall import Wave, build_waves
from hotline.roster.overrides import Assignment, apply_overrides
from hotline.roster.rules import ChapterRota, Override, Tier
from hotline.roster.spans import Span, rota_spans


@dataclass(frozen=True)
class Segment:
    """A maximal UTC interval [start, end) over which the ring plan stays the same."""

    start: datetime
    end: datetime
    waves: tuple[Wave, ...]

    def wave(self, tier: Tier) -> Wave | None:
        return next((wave for wave in self.waves if wave.tier == tier), None)


@dataclass(frozen=True)
class VolunteerInterval:
    """One volunteer on call at one tier over the maximal UTC interval [start, end)."""

    volunteer_id: int
    tier: Tier
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Gap:
    """A UTC interval [start, end) with nobody ringable at tier 1."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def timeline(rota: ChapterRota, start: datetime, end: datetime) -> tuple[Segment, ...]:
    """Segments that partition [start, end) exactly, empty ones (no waves) included.

    Each segment's waves are what `on_call` answers at every instant inside it.
    """
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if end <= start:
        return ()
    spans = [span for span in rota_spans(rota, start, end) if span.end > start and span.start < end]
    overrides = [item for item in rota.overrides if item.end > start and item.start < end]
    opening: dict[datetime, list[Span]] = defaultdict(list)
    closing: dict[datetime, list[Span]] = defaultdict(list)
    for span in spans:
        opening[max(span.start, start)].append(span)
        closing[span.end].append(span)
    override_opening: dict[datetime, list[Override]] = defaultdict(list)
    override_closing: dict[datetime, list[Override]] = defaultdict(list)
    for override in overrides:
        override_opening[max(override.start, start)].append(override)
        override_closing[override.end].append(override)
    edges = {start, end} | set(opening) | set(override_opening)
    edges |= {when for when in (*closing, *override_closing) if start < when < end}
    instants = sorted(edges)

    regular: Counter[Assignment] = Counter()
    active: set[Override] = set()
    segments: list[Segment] = []
    for here, following in zip(instants, instants[1:], strict=False):
        for span in closing.get(here, ()):
            regular[(span.tier, span.volunteer_id)] -= 1
        for span in opening.get(here, ()):
            regular[(span.tier, span.volunteer_id)] += 1
        active -= set(override_closing.get(here, ()))
        active |= set(override_opening.get(here, ()))
        held = [assignment for assignment, count in regular.items() if count > 0]
        waves = build_waves(apply_overrides(held, active), rota.volunteer_index)
        if segments and segments[-1].waves == waves:
            segments[-1] = Segment(segments[-1].start, following, waves)
        else:
            segments.append(Segment(here, following, waves))
    return tuple(segments)


def volunteer_intervals(segments: Iterable[Segment]) -> tuple[VolunteerInterval, ...]:
    """Each volunteer's maximal on-call intervals per tier, ordered by start, volunteer, tier."""
    open_: dict[tuple[int, Tier], VolunteerInterval] = {}
    done: list[VolunteerInterval] = []
    for segment in segments:
        present: set[tuple[int, Tier]] = set()
        for wave in segment.waves:
            for volunteer in wave.volunteers:
                key = (volunteer.id, wave.tier)
                present.add(key)
                running = open_.get(key)
                if running is not None and running.end == segment.start:
                    open_[key] = VolunteerInterval(
                        volunteer.id, wave.tier, running.start, segment.end
                    )
                else:
                    if running is not None:
                        done.append(running)
                    open_[key] = VolunteerInterval(
                        volunteer.id, wave.tier, segment.start, segment.end
                    )
        for key in [key for key in open_ if key not in present]:
            done.append(open_.pop(key))
    done.extend(open_.values())
    done.sort(key=lambda item: (item.start, item.volunteer_id, item.tier))
    return tuple(done)


def find_gaps(rota: ChapterRota, start: datetime, end: datetime) -> tuple[Gap, ...]:
    """Maximal intervals of [start, end) with no tier-1 cover, cut to the window's edges."""
    return gaps_in(timeline(rota, start, end))


def gaps_in(segments: Sequence[Segment]) -> tuple[Gap, ...]:
    """The tier-1 gaps of an already computed timeline."""
    gaps: list[Gap] = []
    for segment in segments:
        if segment.wave(Tier.PRIMARY) is not None:
            continue
        if gaps and gaps[-1].end == segment.start:
            gaps[-1] = Gap(gaps[-1].start, segment.end)
        else:
            gaps.append(Gap(segment.start, segment.end))
    return tuple(gaps)
