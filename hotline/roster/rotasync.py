"""A parsed rota file written to the database (idempotent, versioned), and the database read
back out as a rota file.

Import makes the file the rota from the instant `effective` on, without rewriting the past:
rules are matched by content; a live rule the file no longer has is closed at `effective`
(deleted if it had not started), a new one opens at `effective` (or unbounded for a chapter
that had no rules yet, or at its own `from`). Overrides and unavailability are matched the
same way; a live override the file drops is cut short at `effective` (unavailability, being
the volunteer's own, is only ever added). Importing the same file again
finds everything matched and changes nothing. The caller owns the transaction, so a problem
found while writing (a number owned by a chapter outside the file) leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.changes import chapters_serving
from hotline.roster.edits import close_version
from hotline.roster.history import freeze_until
from hotline.roster.localtime import as_utc
from hotline.roster.rotafile import (
    ChapterEntry,
    Problem,
    RotaFile,
    RotaFileError,
    RotationEntry,
    ShiftEntry,
)
from hotline.roster.rotasettings import CHAPTER_SETTINGS, SettingValue
from hotline.roster.rotasync_overrides import sync_overrides, sync_unavailable
from hotline.roster.store import format_days


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed; all zero when the database already matched the file."""

    chapters: int = 0
    volunteers: int = 0
    rules_opened: int = 0
    rules_closed: int = 0
    overrides_added: int = 0
    overrides_ended: int = 0

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


def import_rota(session: Session, rota: RotaFile, *, now: datetime) -> ImportSummary:
    """Make `rota` the rota from `now` on; RotaFileError (nothing written) on a conflict with
    the database. History up to `now` is frozen first when anything is about to change."""
    now = as_utc(now, "now")
    trial = session.begin_nested()
    try:
        summary = _apply(session, rota, now)
    finally:
        trial.rollback()
    if not summary.changed:
        return summary
    slugs = [chapter.slug for chapter in rota.chapters]
    chapter_ids = set(
        session.scalars(select(models.Chapter.id).where(models.Chapter.slug.in_(slugs)))
    )
    # A volunteer edited here (deactivated, renamed, new phone) also changes what chapters
    # outside the file would recompute for their past: freeze those too.
    phones = [volunteer.phone for volunteer in rota.volunteers]
    known = session.scalars(select(models.Volunteer.id).where(models.Volunteer.phone.in_(phones)))
    chapter_ids.update(chapters_serving(session, list(known)))
    for chapter_id in sorted(chapter_ids):
        freeze_until(session, chapter_id, now)
    return _apply(session, rota, now)


def _apply(session: Session, rota: RotaFile, now: datetime) -> ImportSummary:
    chapters, changed = _chapters(session, rota.chapters, now)
    volunteers, volunteer_changes = _volunteers(session, rota)
    ids = {phone: row.id for phone, row in volunteers.items()}
    changed |= _coordinators(session, rota.chapters, chapters, ids)
    counts = [0, 0, 0, 0]
    for entry in rota.chapters:
        chapter = chapters[entry.slug]
        shifts = [s for s in rota.shifts if s.chapter == entry.slug]
        rotations = [r for r in rota.rotations if r.chapter == entry.slug]
        fresh = not _has_rules(session, chapter.id)
        opened, closed = _sync_rules(session, chapter, shifts, rotations, ids, now, fresh)
        added, ended = sync_overrides(
            session, chapter, [o for o in rota.overrides if o.chapter == entry.slug], ids, now
        )
        counts = [counts[0] + opened, counts[1] + closed, counts[2] + added, counts[3] + ended]
    added, ended = sync_unavailable(session, rota.unavailable, ids, now)
    session.flush()
    return ImportSummary(
        len(changed), volunteer_changes, counts[0], counts[1], counts[2] + added, counts[3] + ended
    )


def _chapters(
    session: Session, entries: Sequence[ChapterEntry], now: datetime
) -> tuple[dict[str, models.Chapter], set[str]]:
    """The file's chapters as rows (made or updated), and the slugs of those changed."""
    slugs = [entry.slug for entry in entries]
    existing = {
        row.slug: row
        for row in session.scalars(select(models.Chapter).where(models.Chapter.slug.in_(slugs)))
    }
    numbers = [number for entry in entries for number in entry.numbers]
    owners = session.execute(
        select(models.ChapterNumber.number, models.Chapter.slug)
        .join(models.Chapter)
        .where(models.ChapterNumber.number.in_(numbers))
    ).all()
    problems = [
        Problem(
            entry.line, f"number {number} belongs to chapter {owner!r}, which is not in this file"
        )
        for entry in entries
        for number, owner in owners
        if number in entry.numbers and owner not in slugs
    ]
    problems += _unknown_overflow(session, entries)
    if problems:
        raise RotaFileError(problems)
    changed: set[str] = set()
    result: dict[str, models.Chapter] = {}
    for entry in entries:
        row = existing.get(entry.slug)
        if row is None:
            row = models.Chapter(
                slug=entry.slug, name=entry.name, timezone=entry.timezone, created_at=now
            )
            session.add(row)
        wanted = {"name": entry.name, "timezone": entry.timezone, **_settings(entry),
                  "overflow": list(entry.overflow)}
        differs = row.id is None or any(getattr(row, k) != v for k, v in wanted.items())
        differs |= sorted(n.number for n in row.numbers) != sorted(entry.numbers)
        if differs:
            changed.add(entry.slug)
            for key, value in wanted.items():
                setattr(row, key, value)
        result[entry.slug] = row
    # Numbers move between chapters of the file: drop them all before adding, in two flushes.
    for entry in entries:
        row = result[entry.slug]
        if sorted(n.number for n in row.numbers) != sorted(entry.numbers):
            row.numbers.clear()
    session.flush()
    for entry in entries:
        row = result[entry.slug]
        if not row.numbers and entry.numbers:
            row.numbers.extend(models.ChapterNumber(number=n) for n in entry.numbers)
    session.flush()
    return result, changed


def _unknown_overflow(session: Session, entries: Sequence[ChapterEntry]) -> list[Problem]:
    """An `overflow` slug must be a chapter of this file or one already in the database."""
    targets = {slug for entry in entries for slug in entry.overflow}
    known = {entry.slug for entry in entries} | set(session.scalars(
        select(models.Chapter.slug).where(models.Chapter.slug.in_(targets))))
    return [Problem(entry.overflow_line or entry.line,
                    f"overflow: unknown chapter {slug!r} (not a [[chapter]] in this file, "
                    "nor in the database)")
            for entry in entries for slug in entry.overflow if slug not in known]


def _settings(entry: ChapterEntry) -> dict[str, SettingValue]:
    defaults = {column: _column_default(column) for _kind, column in CHAPTER_SETTINGS.values()}
    return {**defaults, **entry.settings}


def _column_default(column: str) -> SettingValue:
    default = models.Chapter.__table__.c[column].default
    value = getattr(default, "arg", "")
    if callable(value):                     # a fresh list each time (JSON columns)
        value = value(None)
    assert isinstance(value, str | int | list)
    return value


def _coordinators(session: Session, entries: Sequence[ChapterEntry],
                  chapters: Mapping[str, models.Chapter], ids: Mapping[str, int]) -> set[str]:
    """Each chapter's coordinators as the file names them (members, flagged; every other
    member unflagged); the chapters whose coordinators changed."""
    changed: set[str] = set()
    for entry in entries:
        chapter = chapters[entry.slug]
        wanted = {ids[phone] for phone in entry.coordinators}
        members = {m.volunteer_id: m for m in session.scalars(
            select(models.ChapterMember).where(models.ChapterMember.chapter_id == chapter.id))}
        for volunteer_id in sorted(wanted - members.keys()):
            session.add(models.ChapterMember(chapter_id=chapter.id, volunteer_id=volunteer_id,
                                             coordinator=True))
            changed.add(entry.slug)
        for volunteer_id, member in members.items():
            if member.coordinator != (volunteer_id in wanted):
                member.coordinator = volunteer_id in wanted
                changed.add(entry.slug)
    session.flush()
    return changed


def _volunteers(session: Session, rota: RotaFile) -> tuple[dict[str, models.Volunteer], int]:
    phones = [entry.phone for entry in rota.volunteers]
    rows = {
        row.phone: row
        for row in session.scalars(
            select(models.Volunteer).where(models.Volunteer.phone.in_(phones))
        )
    }
    changed = 0
    for entry in rota.volunteers:
        wanted = {
            "name": entry.name,
            "languages": list(entry.languages),
            "experiences": list(entry.experiences),
            "active": entry.active,
            "trainee": entry.trainee,
        }
        row = rows.get(entry.phone)
        if row is None:
            row = models.Volunteer(phone=entry.phone, **wanted)
            session.add(row)
            rows[entry.phone] = row
            changed += 1
        elif any(getattr(row, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            changed += 1
    session.flush()
    return rows, changed


def _has_rules(session: Session, chapter_id: int) -> bool:
    return (
        session.scalar(
            select(models.Shift.id).where(models.Shift.chapter_id == chapter_id).limit(1)
        )
        is not None
        or session.scalar(
            select(models.Rotation.id).where(models.Rotation.chapter_id == chapter_id).limit(1)
        )
        is not None
    )


def _shift_key(row: models.Shift) -> tuple[object, ...]:
    return (row.volunteer_id, row.days, row.start, row.end, row.tier)


def _rotation_key(row: models.Rotation, members: Sequence[int]) -> tuple[object, ...]:
    return (
        row.name,
        tuple(members),
        row.anchor,
        row.handoff,
        row.length,
        row.unit,
        row.tier,
        row.window_days,
        row.window_start,
        row.window_end,
    )


def _new_shift(chapter: models.Chapter, entry: ShiftEntry, ids: dict[str, int]) -> models.Shift:
    return models.Shift(
        chapter_id=chapter.id,
        volunteer_id=ids[entry.volunteer],
        days=format_days(entry.days),
        start=entry.start.strftime("%H:%M"),
        end=entry.end.strftime("%H:%M"),
        tier=int(entry.tier),
    )


def _new_rotation(
    chapter: models.Chapter, entry: RotationEntry, ids: dict[str, int]
) -> models.Rotation:
    row = models.Rotation(
        chapter_id=chapter.id,
        name=entry.name,
        anchor=entry.anchor,
        handoff=entry.handoff.strftime("%H:%M"),
        length=entry.length,
        unit=entry.unit.value,
        tier=int(entry.tier),
    )
    if entry.window is not None:
        days, start, end = entry.window
        row.window_days = format_days(days)
        row.window_start, row.window_end = start.strftime("%H:%M"), end.strftime("%H:%M")
    row.members = [
        models.RotationMember(position=index, volunteer_id=ids[phone])
        for index, phone in enumerate(entry.members)
    ]
    return row


def _sync_rules(
    session: Session,
    chapter: models.Chapter,
    shifts: Sequence[ShiftEntry],
    rotations: Sequence[RotationEntry],
    ids: dict[str, int],
    now: datetime,
    fresh: bool,
) -> tuple[int, int]:
    """Match file rules to stored versions; open the unmatched, close or drop the stale."""
    entries: list[ShiftEntry | RotationEntry] = [*shifts, *rotations]
    horizon = min([now, *(e.valid_until for e in entries if e.valid_until)])
    stored: list[tuple[models.Shift | models.Rotation, tuple[object, ...]]] = []
    for shift in session.scalars(
        select(models.Shift).where(
            models.Shift.chapter_id == chapter.id,
            or_(models.Shift.valid_until.is_(None), models.Shift.valid_until >= horizon),
        )
    ):
        stored.append((shift, ("shift", *_shift_key(shift))))
    for rotation in session.scalars(
        select(models.Rotation).where(
            models.Rotation.chapter_id == chapter.id,
            or_(models.Rotation.valid_until.is_(None), models.Rotation.valid_until >= horizon),
        )
    ):
        members = [m.volunteer_id for m in rotation.members]
        stored.append((rotation, ("rotation", *_rotation_key(rotation, members))))
    wanted: list[tuple[models.Shift | models.Rotation, ShiftEntry | RotationEntry]] = []
    for s_entry in shifts:
        wanted.append((_new_shift(chapter, s_entry, ids), s_entry))
    for r_entry in rotations:
        wanted.append((_new_rotation(chapter, r_entry, ids), r_entry))
    matched: set[int] = set()
    opened = closed = 0
    for candidate, entry in wanted:
        key = (
            ("shift", *_shift_key(candidate))
            if isinstance(candidate, models.Shift)
            else (
                "rotation",
                *_rotation_key(candidate, [m.volunteer_id for m in candidate.members]),
            )
        )
        found = next(
            (
                index
                for index, (row, row_key) in enumerate(stored)
                if index not in matched and row_key == key and _same_validity(row, entry, now)
            ),
            None,
        )
        if found is not None:
            matched.add(found)
            continue
        valid_from = entry.valid_from or (None if fresh else now)
        if valid_from is not None and entry.valid_until is not None:
            if entry.valid_until <= valid_from:
                # Over before it could open: storing it would make a version that ends before
                # it starts, which no reader accepts; the past is not rewritten.
                continue
        candidate.valid_from, candidate.valid_until = valid_from, entry.valid_until
        session.add(candidate)
        opened += 1
    for index, (row, _key) in enumerate(stored):
        if index in matched or (row.valid_until is not None and row.valid_until <= now):
            continue
        close_version(session, row, now)
        closed += 1
    return opened, closed


def _same_validity(
    row: models.Shift | models.Rotation, entry: ShiftEntry | RotationEntry, now: datetime
) -> bool:
    if row.valid_until != entry.valid_until:
        return False
    if entry.valid_from is None:
        return row.valid_from is None or row.valid_from <= now
    return row.valid_from == entry.valid_from
