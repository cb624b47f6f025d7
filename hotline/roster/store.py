"""Reading a chapter's rota out of the database as the pure `ChapterRota` value.

Every incoming call runs `load_rota`, so each query is a range on an index that starts with
the chapter (or the volunteer): (chapter_id, valid_until) for rules, (chapter_id, end) for
overrides, (volunteer_id, end) for unavailability, primary keys for members and volunteers.
Rules that ended before the instant, other chapters' rules, past overrides and volunteers the
rota does not name are never read, so the cost does not grow with history, with other chapters
or with the number of volunteers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import and_, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from hotline.roster import models
from hotline.roster.localtime import EPSILON, as_utc
from hotline.roster.rules import (
    ChapterRota,
    Override,
    OverrideKind,
    Rotation,
    RotationUnit,
    Tier,
    VolunteerRef,
    Weekday,
    WeeklyShift,
    Window,
)

Versioned = TypeVar("Versioned", models.Shift, models.Rotation)


class UnknownChapter(LookupError):
    """No chapter has that id or slug."""


def load_rota(session: Session, chapter_id: int, at: datetime) -> ChapterRota:
    """The chapter's rota holding only what can matter at the instant `at` (the call path)."""
    at = as_utc(at, "at")
    return load_rota_between(session, chapter_id, at, at + EPSILON)


def load_rota_between(
    session: Session, chapter_id: int, start: datetime, end: datetime
) -> ChapterRota:
    """The chapter's rota with every rule and override that applies somewhere in [start, end)."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    chapter = session.get(models.Chapter, chapter_id)
    if chapter is None:
        raise UnknownChapter(f"no chapter with id {chapter_id}")
    shift_rows = _live(session, models.Shift, chapter_id, start, end)
    rotation_rows = _live(session, models.Rotation, chapter_id, start, end)
    members = _rotation_members(session, [row.id for row in rotation_rows])
    override_rows = session.scalars(
        select(models.Override)
        .where(
            models.Override.chapter_id == chapter_id,
            models.Override.end > start,
            models.Override.start < end,
        )
        .order_by(models.Override.id)
    ).all()
    involved = {row.volunteer_id for row in shift_rows}
    involved |= {vid for ids in members.values() for vid in ids}
    involved |= {row.volunteer_id for row in override_rows}
    involved |= {row.replacement_id for row in override_rows if row.replacement_id is not None}
    volunteers = _volunteers(session, involved)
    overrides = [override_value(row) for row in override_rows]
    overrides += _unavailability(session, involved, start, end)
    return ChapterRota(
        slug=chapter.slug,
        name=chapter.name,
        zone=chapter.timezone,
        volunteers=volunteers,
        shifts=tuple(shift_value(row) for row in shift_rows),
        rotations=tuple(rotation_value(row, members.get(row.id, ())) for row in rotation_rows),
        overrides=tuple(overrides),
    )


def chapter_by_slug(session: Session, slug: str) -> models.Chapter:
    """The chapter with this slug, or UnknownChapter naming the slugs that exist."""
    chapter = session.scalar(select(models.Chapter).where(models.Chapter.slug == slug))
    if chapter is None:
        known = ", ".join(session.scalars(select(models.Chapter.slug).order_by("slug")))
        raise UnknownChapter(f"no chapter {slug!r} (known: {known or 'none'})")
    return chapter


def chapter_for_number(session: Session, number: str) -> models.Chapter | None:
    """The chapter that owns the hotline number `number` (E.164), if any."""
    row = session.get(models.ChapterNumber, number)
    return row.chapter if row is not None else None


def _live(
    session: Session, table: type[Versioned], chapter_id: int, start: datetime, end: datetime
) -> Sequence[Versioned]:
    """The chapter's versions valid somewhere in [start, end), by id, read by index ranges."""
    # "valid_until IS NULL OR valid_until > start" is one condition to us but not to SQLite's
    # planner, which then uses only the chapter_id prefix of the index and reads every past
    # version of the chapter's rules (a year of weekly edits: hundreds of rows per call).
    # Open versions and versions closing after `start` are two ranges of the same index,
    # disjoint, so their UNION ALL reads only versions that can be live, on both databases.
    born = or_(table.valid_from.is_(None), table.valid_from < end)
    ranges = union_all(
        select(table).where(table.chapter_id == chapter_id, table.valid_until.is_(None), born),
        select(table).where(table.chapter_id == chapter_id, table.valid_until > start, born),
    ).subquery()
    row = aliased(table, ranges)
    return session.scalars(select(row).order_by(row.id)).all()


def _rotation_members(session: Session, rotation_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    if not rotation_ids:
        return {}
    rows = session.execute(
        select(models.RotationMember.rotation_id, models.RotationMember.volunteer_id)
        .where(models.RotationMember.rotation_id.in_(rotation_ids))
        .order_by(models.RotationMember.rotation_id, models.RotationMember.position)
    ).all()
    found: dict[int, list[int]] = {}
    for rotation_id, volunteer_id in rows:
        found.setdefault(rotation_id, []).append(volunteer_id)
    return {key: tuple(value) for key, value in found.items()}


def _volunteers(session: Session, ids: Iterable[int]) -> tuple[VolunteerRef, ...]:
    wanted = sorted(set(ids))
    if not wanted:
        return ()
    rows = session.execute(
        select(
            models.Volunteer.id,
            models.Volunteer.name,
            models.Volunteer.phone,
            models.Volunteer.active,
        ).where(models.Volunteer.id.in_(wanted))
    ).all()
    return tuple(VolunteerRef(vid, name, phone, active) for vid, name, phone, active in rows)


def _unavailability(
    session: Session, volunteer_ids: set[int], start: datetime, end: datetime
) -> list[Override]:
    if not volunteer_ids:
        return []
    rows = session.scalars(
        select(models.Unavailability).where(
            models.Unavailability.volunteer_id.in_(sorted(volunteer_ids)),
            and_(models.Unavailability.end > start, models.Unavailability.start < end),
        )
    ).all()
    # Negative ids keep them apart from chapter overrides of the same id in the pure model.
    return [
        Override(
            id=-row.id,
            kind=OverrideKind.REMOVE,
            volunteer_id=row.volunteer_id,
            start=row.start,
            end=row.end,
            created_at=row.created_at,
        )
        for row in rows
    ]


def parse_days(text: str) -> frozenset[Weekday]:
    """Days stored as "mon,wed" back into weekdays."""
    return frozenset(Weekday(day) for day in text.split(",") if day)


def format_days(days: Iterable[Weekday]) -> str:
    """Weekdays in week order as stored: "mon,wed"."""
    return ",".join(day.value for day in sorted(days, key=lambda day: day.number))


def shift_value(row: models.Shift) -> WeeklyShift:
    return WeeklyShift(
        volunteer_id=row.volunteer_id,
        days=parse_days(row.days),
        start=time.fromisoformat(row.start),
        end=time.fromisoformat(row.end),
        tier=Tier(row.tier),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        id=row.id,
    )


def rotation_value(row: models.Rotation, members: Sequence[int]) -> Rotation:
    window = None
    if row.window_days and row.window_start and row.window_end:
        window = Window(
            time.fromisoformat(row.window_start),
            time.fromisoformat(row.window_end),
            parse_days(row.window_days),
        )
    return Rotation(
        members=tuple(members),
        anchor=_as_date(row.anchor),
        handoff=time.fromisoformat(row.handoff),
        length=row.length,
        unit=RotationUnit(row.unit),
        tier=Tier(row.tier),
        window=window,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        id=row.id,
    )


def override_value(row: models.Override) -> Override:
    return Override(
        id=row.id,
        kind=OverrideKind(row.kind),
        volunteer_id=row.volunteer_id,
        start=row.start,
        end=row.end,
        created_at=row.created_at,
        tier=Tier(row.tier) if row.tier is not None else None,
        replacement_id=row.replacement_id,
    )


def _as_date(value: date | datetime) -> date:
    # Some drivers hand a DATE back as a datetime at midnight.
    return value.date() if isinstance(value, datetime) else value


__all__ = [
    "UnknownChapter",
    "chapter_by_slug",
    "chapter_for_number",
    "load_rota",
    "load_rota_between",
]
