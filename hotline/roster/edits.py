"""Editing the rota one rule at a time (the web app's way), versioned like the rota file import.

A change never rewrites the past: a rule that has started is closed at `now` and its new
version opens there; one that has not started yet is replaced outright. History up to `now`
is frozen first (hotline.roster.history). Times are checked as the file's are, and a weekly
shift that would overlap another of the same volunteer's in the chapter is refused with what
to change (hotline.roster.weekly, the rule the rota file import applies too). The caller
commits; the rota file import closes rules through `close_version` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.refusals import N_
from hotline.roster import models
from hotline.roster.changes import RotaChangeError, add_override
from hotline.roster.history import freeze_until
from hotline.roster.localtime import as_utc
from hotline.roster.rules import OverrideKind, RotationUnit, Tier, Weekday
from hotline.roster.store import format_days, parse_days
from hotline.roster.weekly import WeeklyHours, weekly_clash


def close_version(session: Session, row: models.Shift | models.Rotation, now: datetime) -> None:
    """End a rule at `now`: cut a started one short, delete one that has not started."""
    if row.valid_from is not None and as_utc(row.valid_from) >= now:
        session.delete(row)
    else:
        row.valid_until = now


def _next_version(
    session: Session,
    chapter: models.Chapter,
    replacing: models.Shift | models.Rotation | None,
    now: datetime,
) -> tuple[datetime | None, datetime | None]:
    """Freeze history, close the version being replaced, and give the new one's validity."""
    if replacing is not None and replacing.valid_until is not None:
        if as_utc(replacing.valid_until) <= now:
            raise RotaChangeError(N_("that rule has already ended: add a new one instead"))
    freeze_until(session, chapter.id, now)
    if replacing is None:
        return now, None
    valid_from: datetime | None = now
    if replacing.valid_from is not None and as_utc(replacing.valid_from) > now:
        valid_from = replacing.valid_from
    valid_until = replacing.valid_until
    close_version(session, replacing, now)
    return valid_from, valid_until


def withdraw_override(session: Session, row: models.Override, now: datetime) -> None:
    """End an override at `now`: cut a started one short, delete one that has not started."""
    if as_utc(row.start) >= now:
        session.delete(row)
    else:
        row.end = now


def live_shifts(session: Session, chapter_id: int, now: datetime) -> Sequence[models.Shift]:
    """The chapter's shift versions in force at `now` or later, by start day and time."""
    return session.scalars(
        select(models.Shift)
        .where(models.Shift.chapter_id == chapter_id,
               or_(models.Shift.valid_until.is_(None), models.Shift.valid_until > now))
        .order_by(models.Shift.tier, models.Shift.start, models.Shift.id)
    ).all()


def live_rotations(session: Session, chapter_id: int, now: datetime) -> Sequence[models.Rotation]:
    return session.scalars(
        select(models.Rotation)
        .where(models.Rotation.chapter_id == chapter_id,
               or_(models.Rotation.valid_until.is_(None), models.Rotation.valid_until > now))
        .order_by(models.Rotation.tier, models.Rotation.id)
    ).all()


def shift_summary(row: models.Shift) -> dict[str, Any]:
    """What the audit log keeps of a shift version."""
    return {"id": row.id, "volunteer_id": row.volunteer_id, "days": row.days, "start": row.start,
            "end": row.end, "tier": row.tier, "valid_from": row.valid_from,
            "valid_until": row.valid_until}


def add_shift(
    session: Session,
    chapter: models.Chapter,
    volunteer: models.Volunteer,
    days: frozenset[Weekday],
    start: time,
    end: time,
    tier: Tier,
    *,
    now: datetime,
    replacing: models.Shift | None = None,
) -> models.Shift:
    """A new weekly shift from `now` (or the version after `replacing`, which is closed)."""
    now = as_utc(now, "now")
    _check_shift(session, chapter, volunteer, days, start, end, now, replacing)
    valid_from, valid_until = _next_version(session, chapter, replacing, now)
    row = models.Shift(
        chapter_id=chapter.id, volunteer_id=volunteer.id, days=format_days(days),
        start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), tier=int(tier),
        valid_from=valid_from, valid_until=valid_until, created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def end_rule(
    session: Session, chapter: models.Chapter, row: models.Shift | models.Rotation, *,
    now: datetime,
) -> None:
    """Take a shift or rotation off the rota from `now`; the past keeps it."""
    now = as_utc(now, "now")
    if row.chapter_id != chapter.id:
        raise RotaChangeError(N_("that rule belongs to another chapter"))
    if row.valid_until is not None and as_utc(row.valid_until) <= now:
        raise RotaChangeError(N_("that rule has already ended"))
    freeze_until(session, chapter.id, now)
    close_version(session, row, now)
    session.flush()


def _check_shift(
    session: Session,
    chapter: models.Chapter,
    volunteer: models.Volunteer,
    days: frozenset[Weekday],
    start: time,
    end: time,
    now: datetime,
    replacing: models.Shift | None,
) -> None:
    if not days:
        raise RotaChangeError(N_("choose at least one day the shift starts on"))
    if start.second or end.second or start.microsecond or end.microsecond:
        raise RotaChangeError(N_("give start and end in whole minutes, like 18:00"))
    if not volunteer.active:
        raise RotaChangeError(N_("%(name)s is inactive: make them active first"),
                              name=volunteer.name)
    if replacing is not None and replacing.chapter_id != chapter.id:
        raise RotaChangeError(N_("that shift belongs to another chapter"))
    wanted = WeeklyHours(volunteer.id, days, start, end, now)
    for other in live_shifts(session, chapter.id, now):
        if replacing and other.id == replacing.id:
            continue
        theirs = WeeklyHours(other.volunteer_id, parse_days(other.days),
                             time.fromisoformat(other.start), time.fromisoformat(other.end),
                             other.valid_from, other.valid_until)
        if weekly_clash(wanted, theirs):
            raise RotaChangeError(
                N_("%(name)s already has a shift %(days)s %(start)s to %(end)s (tier %(tier)s) "
                   "that overlaps this one: change the days or hours, or end that shift first"),
                name=volunteer.name, days=other.days.replace(",", ", "), start=other.start,
                end=other.end, tier=other.tier)


def rotation_summary(row: models.Rotation) -> dict[str, Any]:
    """What the audit log keeps of a rotation version."""
    return {"id": row.id, "name": row.name, "members": [m.volunteer_id for m in row.members],
            "anchor": row.anchor.isoformat(), "handoff": row.handoff, "every": row.length,
            "unit": row.unit, "tier": row.tier, "valid_from": row.valid_from,
            "valid_until": row.valid_until}


def add_rotation(
    session: Session,
    chapter: models.Chapter,
    name: str,
    members: Sequence[models.Volunteer],
    anchor: date,
    handoff: time,
    length: int,
    unit: RotationUnit,
    tier: Tier,
    *,
    now: datetime,
    replacing: models.Rotation | None = None,
) -> models.Rotation:
    """A new rotation from `now` (or the version after `replacing`, which is closed)."""
    now = as_utc(now, "now")
    if not members:
        raise RotaChangeError(N_("a rotation needs at least one member"))
    if not 1 <= length <= 52:
        raise RotaChangeError(N_("a turn lasts 1 to 52 days or weeks"))
    if len(name) > 100:
        raise RotaChangeError(N_("a rotation's name has at most 100 characters"))
    if replacing is not None and replacing.chapter_id != chapter.id:
        raise RotaChangeError(N_("that rotation belongs to another chapter"))
    inactive = [m.name for m in members if not m.active]
    if inactive:
        raise RotaChangeError(N_("%(names)s: inactive, make them active first"),
                              names=", ".join(inactive))
    valid_from, valid_until = _next_version(session, chapter, replacing, now)
    row = models.Rotation(
        chapter_id=chapter.id, name=name, anchor=anchor, handoff=handoff.strftime("%H:%M"),
        length=length, unit=unit.value, tier=int(tier), valid_from=valid_from,
        valid_until=valid_until, created_at=now,
    )
    row.members = [models.RotationMember(position=index, volunteer_id=member.id)
                   for index, member in enumerate(members)]
    session.add(row)
    session.flush()
    return row


def end_override(
    session: Session, chapter: models.Chapter, override_id: int, *, now: datetime
) -> models.Override:
    """Withdraw one of the chapter's overrides from `now` (deleted if it had not started)."""
    now = as_utc(now, "now")
    row = session.get(models.Override, override_id)
    if row is None or row.chapter_id != chapter.id:
        raise RotaChangeError(N_("no override %(id)s in %(chapter)s"), id=override_id,
                              chapter=chapter.name)
    if as_utc(row.end) <= now:
        raise RotaChangeError(N_("that override is already over"))
    freeze_until(session, chapter.id, now)
    withdraw_override(session, row, now)
    session.flush()
    return row


def change_override(
    session: Session,
    chapter: models.Chapter,
    override_id: int,
    volunteer: models.Volunteer,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    tier: Tier | None = None,
    replacement: models.Volunteer | None = None,
    reason: str = "",
) -> tuple[dict[str, Any], models.Override]:
    """A new version of one of the chapter's overrides (same kind); returns the old one's
    summary and the new row.

    Versioned like the rules: the old override is withdrawn at `now` (deleted if it had not
    started) and the new one is added from `start`, checked as any new override is (times,
    tier, replacement, overlaps). A start that has passed is kept only as the started
    override's own start (to the minute, as a form gives it back); the new version then opens
    at `now` and the past keeps what the old one said.
    """
    now, start, end = as_utc(now, "now"), as_utc(start, "start"), as_utc(end, "end")
    row = session.get(models.Override, override_id)
    if row is None or row.chapter_id != chapter.id:
        raise RotaChangeError(N_("no override %(id)s in %(chapter)s"), id=override_id,
                              chapter=chapter.name)
    if as_utc(row.end) <= now:
        raise RotaChangeError(N_("that override is already over: add a new one instead"))
    if row.source == "swap":
        raise RotaChangeError(N_("that override is an approved swap: withdraw it and add a "
                                 "new one, so the swap's record stays true"))
    if end <= now:
        raise RotaChangeError(N_("the end has passed: give an end after now"))
    old_start = as_utc(row.start)
    if start < now:
        if old_start >= now or _minute(start) != _minute(old_start):
            raise RotaChangeError(N_("the start has passed: a change takes effect from now on, "
                                     "so give a start from now (or leave the start as it was)"))
        start = now
    wanted = (volunteer.id, int(tier) if tier is not None else None,
              replacement.id if replacement else None, end, reason)
    if wanted == (row.volunteer_id, row.tier, row.replacement_id, as_utc(row.end),
                  row.reason) and start in (old_start, now):
        raise RotaChangeError(N_("nothing was changed"))
    before = override_summary(row)
    freeze_until(session, chapter.id, now)
    # Added before the old one is withdrawn, so a new row never takes a deleted one's id.
    new = add_override(session, chapter, OverrideKind(row.kind), volunteer, start, end,
                       now=now, tier=tier, replacement=replacement, reason=reason,
                       source=row.source, replacing=row)
    withdraw_override(session, row, now)
    session.flush()
    return before, new


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def override_summary(row: models.Override) -> dict[str, Any]:
    """What the audit log keeps of an override."""
    return {"id": row.id, "kind": row.kind, "volunteer_id": row.volunteer_id,
            "replacement_id": row.replacement_id, "tier": row.tier, "start": row.start,
            "end": row.end, "reason": row.reason, "source": row.source}


def swap_summary(row: models.SwapRequest) -> dict[str, Any]:
    """What the audit log keeps of a swap request."""
    return {"id": row.id, "offered_by_id": row.offered_by_id, "taken_by_id": row.taken_by_id,
            "start": row.start, "end": row.end, "status": row.status,
            "override_id": row.override_id}
