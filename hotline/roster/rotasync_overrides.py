"""A rota file's overrides and unavailability written to the database (hotline.roster.rotasync).

Matched by content: one the file still has is kept, a new one added, and a live override
the file drops is cut short at the import's instant; unavailability, being the volunteer's
own, is only ever added.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.edits import withdraw_override
from hotline.roster.localtime import as_utc
from hotline.roster.rotafile import OverrideEntry, UnavailableEntry


def _override_key(
    kind: str,
    volunteer: int,
    replacement: int | None,
    tier: int | None,
    start: datetime,
    end: datetime,
    reason: str,
) -> tuple[object, ...]:
    return (kind, volunteer, replacement, tier, as_utc(start), as_utc(end), reason)


def sync_overrides(
    session: Session,
    chapter: models.Chapter,
    entries: Sequence[OverrideEntry],
    ids: dict[str, int],
    now: datetime,
) -> tuple[int, int]:
    horizon = min([now, *(e.end for e in entries)])
    rows = list(
        session.scalars(
            select(models.Override).where(
                models.Override.chapter_id == chapter.id,
                models.Override.source == "coordinator",
                models.Override.end >= horizon,
            )
        )
    )
    keys = [
        _override_key(r.kind, r.volunteer_id, r.replacement_id, r.tier, r.start, r.end, r.reason)
        for r in rows
    ]
    matched: set[int] = set()
    added = 0
    for entry in entries:
        replacement = ids[entry.replacement] if entry.replacement else None
        tier = int(entry.tier) if entry.tier is not None else None
        key = _override_key(
            entry.kind.value,
            ids[entry.volunteer],
            replacement,
            tier,
            entry.start,
            entry.end,
            entry.reason,
        )
        found = next((i for i, k in enumerate(keys) if i not in matched and k == key), None)
        if found is not None:
            matched.add(found)
            continue
        session.add(
            models.Override(
                chapter_id=chapter.id,
                kind=entry.kind.value,
                volunteer_id=ids[entry.volunteer],
                replacement_id=replacement,
                tier=tier,
                start=entry.start,
                end=entry.end,
                reason=entry.reason,
                source="coordinator",
                created_at=now,
            )
        )
        added += 1
    return added, _end_unmatched(session, rows, matched, now)


def sync_unavailable(
    session: Session, entries: Sequence[UnavailableEntry], ids: dict[str, int], now: datetime
) -> tuple[int, int]:
    horizon = min([now, *(e.end for e in entries)])
    rows = list(
        session.scalars(
            select(models.Unavailability).where(
                models.Unavailability.volunteer_id.in_(sorted(ids.values())),
                models.Unavailability.end >= horizon,
            )
        )
    )
    keys = [(r.volunteer_id, as_utc(r.start), as_utc(r.end), r.reason) for r in rows]
    matched: set[int] = set()
    added = 0
    for entry in entries:
        key = (ids[entry.volunteer], entry.start, entry.end, entry.reason)
        found = next((i for i, k in enumerate(keys) if i not in matched and k == key), None)
        if found is not None:
            matched.add(found)
            continue
        session.add(
            models.Unavailability(
                volunteer_id=key[0],
                start=entry.start,
                end=entry.end,
                reason=entry.reason,
                created_at=now,
            )
        )
        added += 1
    # Unavailability is the volunteer's own: a file that leaves it out does not cancel it.
    return added, 0


def _end_unmatched(
    session: Session,
    rows: Sequence[models.Override],
    matched: set[int],
    now: datetime,
) -> int:
    ended = 0
    for index, row in enumerate(rows):
        if index in matched or row.end <= now:
            continue
        withdraw_override(session, row, now)
        ended += 1
    return ended
