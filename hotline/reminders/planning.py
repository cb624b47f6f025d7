"""Keeping the reminders' scheduled work ahead: each chapter's planning task for the current
hour slot and its next gap digest, written by key (once, whoever asks) from the sweep.

The sweep reads what is missing inside its own one transaction (`missing`); only when
something is (once an hour per chapter, and once a day for the digest) does it open a
second one to schedule it (`plan_ahead`). Slots missed while nothing ran (the app down, a
worker-less hour) are planned then too, up to CATCH_UP back and none before the chapter
existed: a reminder of a shift not yet started goes late rather than never.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from hotline.reminders.digests import digest_key, next_digest
from hotline.reminders.shifts import CATCH_UP, SLOT, plan_key, slot_of
from hotline.roster.models import Chapter
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from hotline.work.schedule import schedule

Wanted = dict[str, tuple[str, int, datetime]]      # key -> (kind, chapter id, due)


def wanted(chapters: list[tuple[int, str]], now: datetime) -> Wanted:
    """The planning and digest tasks that should exist now for (id, time zone) chapters."""
    slot = slot_of(now)
    found: Wanted = {}
    for chapter_id, zone in chapters:
        found[plan_key(chapter_id, slot)] = (kinds.PLAN_REMINDERS, chapter_id, slot)
        day, at = next_digest(zone, now)
        found[digest_key(chapter_id, day)] = (kinds.GAP_DIGEST, chapter_id, at)
    return found


def missing(conn: Connection, now: datetime) -> bool:
    """Whether any of them is not scheduled yet (two reads; the sweep's share)."""
    chapters = cast(Table, Chapter.__table__)
    tasks = cast(Table, ScheduledTask.__table__)
    keys = wanted([(row.id, row.timezone) for row in conn.execute(
        select(chapters.c.id, chapters.c.timezone))], now)
    there = set(conn.execute(select(tasks.c.key).where(tasks.c.key.in_(sorted(keys))))
                .scalars())
    return bool(set(keys) - there)


def missed(chapters: list[tuple[int, datetime]], now: datetime) -> Wanted:
    """The planning slots of the CATCH_UP before the current one, for (id, created at)
    chapters, from the first after each chapter was created."""
    found: Wanted = {}
    current = slot_of(now)
    for chapter_id, created in chapters:
        slot = current - SLOT
        while slot >= current - CATCH_UP and slot >= slot_of(created):
            found[plan_key(chapter_id, slot)] = (kinds.PLAN_REMINDERS, chapter_id, slot)
            slot -= SLOT
    return found


def plan_ahead(session: Session, now: datetime) -> int:
    """Schedule whatever of them is not yet, and the planning slots missed before now;
    how many."""
    rows = list(session.scalars(select(Chapter)))
    keys = wanted([(c.id, c.timezone) for c in rows], now)
    keys.update(missed([(c.id, c.created_at) for c in rows], now))
    there = set(session.scalars(select(ScheduledTask.key).where(
        ScheduledTask.key.in_(sorted(keys)))))
    for key in sorted(set(keys) - there):
        kind, chapter_id, due = keys[key]
        schedule(session, kind, chapter_id, due, key=key, now=now)
    return len(set(keys) - there)
