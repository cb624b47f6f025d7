"""Overflow: a chapter's callers offered to other chapters' volunteers when its own are spent.

A chapter's `overflow` (rota file: `overflow = ["national-line"]`) names the chapters whose
on-call volunteers are rung, wave by wave (their own tiers), when the chapter's own waves are
spent or nobody is on call there. The plan is read breadth first:

- the chapter's own waves; then, for each chapter of its `overflow` in order, all of that
  chapter's waves; then the overflow chapters of those, and so on, at most MAX_DEPTH hops
  from the chapter dialled (A -> B -> C -> D: D's waves are the last);
- each chapter is visited once, so A -> B -> A stops at B (no loops);
- each volunteer is rung once, in the first wave that has them: one on call in two chapters
  of the plan is left out of the later chapter's wave (and a wave left empty is dropped);
- a slug naming no chapter (one since removed) is passed over.

An overflow wave carries the overflow chapter's slug (`Wave.chapter`); the call stays the
dialled chapter's (its record, its number, its maximum wait, what volunteers hear).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster.models import Chapter
from hotline.roster.oncall import Wave

# Hops from the chapter dialled: its overflow chapters are 1, theirs 2, and theirs 3.
MAX_DEPTH = 3


def overflow_chain(session: Session, chapter: Chapter) -> list[Chapter]:
    """The chapters `chapter` overflows to, breadth first, each once, none beyond MAX_DEPTH."""
    seen = {chapter.slug}
    chain: list[Chapter] = []
    frontier = [chapter]
    for _ in range(MAX_DEPTH):
        reached: list[Chapter] = []
        for row in frontier:
            for slug in row.overflow or ():
                if slug in seen:
                    continue
                seen.add(slug)
                found = session.scalar(select(Chapter).where(Chapter.slug == slug))
                if found is not None:
                    reached.append(found)
        chain += reached
        frontier = reached
    return chain


def with_overflow(own: Sequence[Wave], overflow: Sequence[tuple[str, Sequence[Wave]]]
                  ) -> tuple[Wave, ...]:
    """The chapter's own waves, then each overflow chapter's (slug, waves) in turn, each
    volunteer kept in the first wave that has them; empty waves dropped."""
    seen = {v.id for wave in own for v in wave.volunteers}
    waves = list(own)
    for slug, theirs in overflow:
        for wave in theirs:
            fresh = tuple(v for v in wave.volunteers if v.id not in seen)
            seen.update(v.id for v in fresh)
            if fresh:
                waves.append(Wave(wave.tier, fresh, slug))
    return tuple(waves)


def overflow_waves(
    session: Session, chapter_id: int, at: datetime,
    waves_of: Callable[[int, datetime], Sequence[Wave]],
) -> tuple[Wave, ...]:
    """Who would be rung for a caller of the chapter at `at`: its own waves, then its
    overflow chapters' (`waves_of(chapter_id, at)` reads one chapter's waves)."""
    chapter = session.get(Chapter, chapter_id)
    if chapter is None:
        raise LookupError(f"no chapter {chapter_id}")
    return with_overflow(waves_of(chapter_id, at),
                         [(row.slug, waves_of(row.id, at))
                          for row in overflow_chain(session, chapter)])
