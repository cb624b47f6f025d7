"""Calls offered to volunteers, read from the call path's `call_legs` table for fairness.

The table belongs to hotline.logs; it is read here by name (volunteer_id, created_at, outcome)
so the rota does not depend on the call path's code, and a database without it (the rota used
on its own, or before that migration) reads as "never offered".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.orm import Session

from hotline.db import UTCDateTime

_legs = table(
    "call_legs",
    column("volunteer_id"),
    column("created_at", UTCDateTime()),
    column("outcome"),
)


def _has_legs(session: Session) -> bool:
    return inspect(session.connection()).has_table("call_legs")


def last_offered(session: Session, volunteer_ids: Iterable[int]) -> dict[int, datetime | None]:
    """When each volunteer was last offered a call (a leg created); None if never."""
    ids = sorted(set(volunteer_ids))
    found: dict[int, datetime | None] = dict.fromkeys(ids)
    if not ids or not _has_legs(session):
        return found
    rows = session.execute(
        select(_legs.c.volunteer_id, func.max(_legs.c.created_at))
        .where(_legs.c.volunteer_id.in_(ids))
        .group_by(_legs.c.volunteer_id)
    ).all()
    for volunteer_id, when in rows:
        # max() loses the column type on SQLite; read the naive UTC text back as aware.
        found[int(volunteer_id)] = UTCDateTime().process_result_value(
            datetime.fromisoformat(when) if isinstance(when, str) else when,
            session.bind.dialect,  # type: ignore[union-attr]
        )
    return found


def call_counts(
    session: Session, volunteer_ids: Iterable[int], start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """(offered, taken) per volunteer id over legs created in [start, end); taken = answered."""
    ids = sorted(set(volunteer_ids))
    if not ids or not _has_legs(session):
        return {}, {}
    rows = session.execute(
        select(_legs.c.volunteer_id, _legs.c.outcome, func.count())
        .where(
            _legs.c.volunteer_id.in_(ids),
            _legs.c.created_at >= start,
            _legs.c.created_at < end,
        )
        .group_by(_legs.c.volunteer_id, _legs.c.outcome)
    ).all()
    offered: dict[int, int] = {}
    taken: dict[int, int] = {}
    for volunteer_id, outcome, count in rows:
        offered[volunteer_id] = offered.get(volunteer_id, 0) + count
        if outcome == "answered":
            taken[volunteer_id] = taken.get(volunteer_id, 0) + count
    return offered, taken
