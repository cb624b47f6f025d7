"""Recorded on-call history: what the rota said, frozen, so later edits cannot rewrite the past.

Design. Rules are versioned by validity, so most edits leave the past alone by themselves; but
some changes do reach back (an override dated in the past, a volunteer deactivated or renamed,
a chapter's zone changed, a row deleted). So the resolved waves are frozen into
`oncall_history`, one row per maximal segment of constant waves, and the past is then read
from those rows:

- Every rota change made through this package (import, overrides, unavailability, swaps)
  first calls `freeze_until(session, chapter_id, now)`, which records from the chapter's
  history frontier (the end of its last recorded segment, or its creation) up to `now` using
  the rota as it stood before the change. `record_history` does the same for any range and
  never rewrites an instant already recorded; `hotline rota history --record` runs it for
  every chapter (a daily cron or job keeps the frontier close to now).
- `oncall_at` answers a past instant from the recorded row covering it, and anything else
  (the future, or a past instant never recorded) from the rota's rules.

Each call's own ring plan is stored with the call by the call path; this table is the rota's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.localtime import as_utc
from hotline.roster.oncall import OnCall, Wave, on_call
from hotline.roster.rules import Tier, VolunteerRef
from hotline.roster.store import load_rota, load_rota_between
from hotline.roster.timeline import timeline


def record_history(
    session: Session, chapter_id: int, start: datetime, end: datetime, *, now: datetime
) -> int:
    """Freeze the rota's segments over the parts of [start, end) not yet recorded; returns the
    number of rows written. Only the past is recorded: `end` is cut to `now`."""
    start, end = as_utc(start, "start"), min(as_utc(end, "end"), as_utc(now, "now"))
    if end <= start:
        return 0
    recorded = session.execute(
        select(models.OnCallHistory.start, models.OnCallHistory.end)
        .where(
            models.OnCallHistory.chapter_id == chapter_id,
            models.OnCallHistory.start < end,
            models.OnCallHistory.end > start,
        )
        .order_by(models.OnCallHistory.start)
    ).all()
    written = 0
    cursor = start
    for piece_start, piece_end in [*recorded, (end, end)]:
        if piece_start > cursor:
            written += _freeze(session, chapter_id, cursor, min(piece_start, end), now)
        cursor = max(cursor, piece_end)
        if cursor >= end:
            break
    return written


def freeze_until(session: Session, chapter_id: int, now: datetime) -> int:
    """Record the chapter's history from its frontier up to `now`; call before any rota change."""
    return record_history(session, chapter_id, history_frontier(session, chapter_id), now, now=now)


def history_frontier(session: Session, chapter_id: int) -> datetime:
    """Where the chapter's recorded history ends (its creation when nothing is recorded)."""
    last = session.scalar(
        select(func.max(models.OnCallHistory.start)).where(
            models.OnCallHistory.chapter_id == chapter_id
        )
    )
    if last is not None:
        end = session.scalar(
            select(models.OnCallHistory.end).where(
                models.OnCallHistory.chapter_id == chapter_id,
                models.OnCallHistory.start == last,
            )
        )
        if end is not None:
            return as_utc(end)
    chapter = session.get(models.Chapter, chapter_id)
    if chapter is None:
        raise LookupError(f"no chapter with id {chapter_id}")
    return as_utc(chapter.created_at)


def recorded_oncall(session: Session, chapter_id: int, at: datetime) -> OnCall | None:
    """The recorded waves at `at`, or None when that instant was never recorded."""
    at = as_utc(at, "at")
    row = session.scalars(
        select(models.OnCallHistory)
        .where(models.OnCallHistory.chapter_id == chapter_id, models.OnCallHistory.start <= at)
        .order_by(models.OnCallHistory.start.desc())
        .limit(1)
    ).first()
    if row is None or as_utc(row.end) <= at:
        return None
    return OnCall(at, waves_from_json(row.waves))


def oncall_at(session: Session, chapter_id: int, at: datetime) -> OnCall:
    """Who was (from history) or would be (from the rules) on call at `at`."""
    recorded = recorded_oncall(session, chapter_id, at)
    if recorded is not None:
        return recorded
    return on_call(load_rota(session, chapter_id, at), as_utc(at, "at"))


def waves_to_json(waves: tuple[Wave, ...], *, phones: bool = True) -> list[dict[str, Any]]:
    """Waves as JSON; without `phones` (a call's plan) numbers are read when a phone is rung."""
    return [
        {
            "tier": int(wave.tier),
            "volunteers": [{"id": v.id, "name": v.name} | ({"phone": v.phone} if phones else {})
                           for v in wave.volunteers],
        } | ({"chapter": wave.chapter} if wave.chapter else {})
        for wave in waves
    ]


def waves_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Wave, ...]:
    return tuple(
        Wave(
            Tier(item["tier"]),
            tuple(
                VolunteerRef(int(v["id"]), str(v["name"]), v.get("phone"), True)
                for v in item["volunteers"]
            ),
            item.get("chapter"),
        )
        for item in data
    )


def _freeze(
    session: Session, chapter_id: int, start: datetime, end: datetime, now: datetime
) -> int:
    rota = load_rota_between(session, chapter_id, start, end)
    segments = timeline(rota, start, end)
    session.add_all(
        models.OnCallHistory(
            chapter_id=chapter_id,
            start=segment.start,
            end=segment.end,
            waves=waves_to_json(segment.waves),
            recorded_at=now,
        )
        for segment in segments
    )
    session.flush()
    return len(segments)
