"""Trainees of a listen_in chapter are never offered a caller there: they listen in, muted,
on calls a volunteer takes (hotline.calls.listening). One filter for every plan that rings
phones or shows who would be rung: a call's plan (each chapter's waves, overflow included),
a call-back's, the alerts about messages and call-backs, `hotline oncall` and drills; and
one test (`mentored`) for what a volunteer may take alone (TAKE, the dial-in menu)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster.models import Chapter, Volunteer
from hotline.roster.oncall import Wave, on_call
from hotline.roster.store import load_rota


def without_trainees(session: Session, chapter_id: int, waves: Sequence[Wave]
                     ) -> tuple[Wave, ...]:
    """The chapter's waves without its trainees when it listens in (they are never offered
    the caller there); the waves as they are otherwise."""
    chapter = session.get(Chapter, chapter_id)
    if chapter is None or not chapter.listen_in:
        return tuple(waves)
    trainees = trainee_ids(session, [v.id for wave in waves for v in wave.volunteers])
    kept = (Wave(wave.tier, tuple(v for v in wave.volunteers if v.id not in trainees),
                 wave.chapter)
            for wave in waves)
    return tuple(wave for wave in kept if wave.volunteers)


def offered_waves(session: Session, chapter_id: int, at: datetime) -> tuple[Wave, ...]:
    """Who may be offered a caller of the chapter at `at`, by tier: who is on call then,
    without the trainees of a listen_in chapter (a call's plan per chapter, a call-back's,
    the alerts, drills)."""
    return without_trainees(session, chapter_id,
                            on_call(load_rota(session, chapter_id, at), at).waves)


def mentored(chapter: Chapter, volunteer: Volunteer) -> bool:
    """Whether this volunteer only listens in at this chapter: a trainee of a listen_in
    chapter, who takes no caller, message or call-back there alone."""
    return bool(chapter.listen_in and volunteer.trainee)


def trainee_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of these volunteers are trainees."""
    if not ids:
        return set()
    return set(session.scalars(select(Volunteer.id).where(Volunteer.id.in_(set(ids)),
                                                          Volunteer.trainee)))
