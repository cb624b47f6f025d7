"""What a rota import changed, item by item, for the audit log.

The rota of the file's chapters and volunteers is read before and after the import (what is
live at the import's instant: rules not ended, overrides and unavailability not over); the
difference is what a coordinator reads in the log: what was added, what ended, and for a
chapter or a volunteer the fields that changed, before and after. Volunteers are named, not
numbered; lists are cut at `LIMIT` items (the rest counted), so an entry stays small.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.localtime import as_utc
from hotline.roster.people import chapter_settings

LIMIT = 25
KINDS = ("shifts", "rotations", "overrides")
Summary = dict[str, Any]


@dataclass(frozen=True)
class RotaState:
    """The live rota of some chapters and volunteers at one instant, as plain values."""

    chapters: dict[str, Summary]                          # slug -> settings, numbers, ...
    items: dict[str, dict[str, dict[int, Summary]]]       # slug -> kind -> row id -> summary
    members: dict[str, set[int]]                          # slug -> volunteer ids it names
    volunteers: dict[int, Summary]                        # id -> name, tags, active
    unavailable: dict[int, Summary]                       # row id -> volunteer, times
    names: dict[int, str]                                 # volunteer id -> name


@dataclass
class ChapterChange:
    """One audit entry's worth: `slug` None for volunteers no chapter of the file names."""

    slug: str | None
    before: Summary = field(default_factory=dict)
    after: Summary = field(default_factory=dict)


def rota_state(
    session: Session, slugs: Collection[str], phones: Collection[str], now: datetime
) -> RotaState:
    """Read the chapters `slugs` and the volunteers `phones` as they are live at `now`."""
    now = as_utc(now, "now")
    names = {v.id: v.name for v in session.scalars(select(models.Volunteer))}
    chapters: dict[str, Summary] = {}
    items: dict[str, dict[str, dict[int, Summary]]] = {}
    members: dict[str, set[int]] = {}
    for row in session.scalars(select(models.Chapter).where(models.Chapter.slug.in_(slugs))):
        named = set(session.scalars(select(models.ChapterMember.volunteer_id)
                                    .where(models.ChapterMember.chapter_id == row.id)))
        coordinators = session.scalars(select(models.ChapterMember.volunteer_id).where(
            models.ChapterMember.chapter_id == row.id, models.ChapterMember.coordinator))
        chapters[row.slug] = {
            "name": row.name, "timezone": row.timezone,
            "numbers": sorted(n.number for n in row.numbers),
            "coordinators": sorted(names.get(v, "?") for v in coordinators),
            "overflow": list(row.overflow),
            **chapter_settings(row),
        }
        items[row.slug] = _items(session, row.id, now, named)
        members[row.slug] = named
    volunteers = {
        v.id: {"name": v.name, "languages": list(v.languages),
               "experiences": list(v.experiences), "active": v.active}
        for v in session.scalars(select(models.Volunteer)
                                 .where(models.Volunteer.phone.in_(phones))
                                 .order_by(models.Volunteer.name, models.Volunteer.id))
    }
    unavailable = {
        u.id: {"volunteer": u.volunteer_id, "start": as_utc(u.start), "end": as_utc(u.end),
               "reason": u.reason}
        for u in session.scalars(select(models.Unavailability).where(
            models.Unavailability.volunteer_id.in_(volunteers), models.Unavailability.end > now))
    }
    return RotaState(chapters, items, members, volunteers, unavailable, names)


def _items(session: Session, chapter_id: int, now: datetime, named: set[int]
           ) -> dict[str, dict[int, Summary]]:
    """The chapter's live shifts, rotations and overrides (volunteers by id, so a renamed
    volunteer's rules compare equal); adds the volunteers they name to `named`."""
    shifts: dict[int, Summary] = {}
    for s in session.scalars(select(models.Shift).where(
            models.Shift.chapter_id == chapter_id,
            or_(models.Shift.valid_until.is_(None), models.Shift.valid_until > now))):
        named.add(s.volunteer_id)
        shifts[s.id] = _validity({"volunteer": s.volunteer_id, "days": s.days,
                                  "start": s.start, "end": s.end, "tier": s.tier}, s)
    rotations: dict[int, Summary] = {}
    for r in session.scalars(select(models.Rotation).where(
            models.Rotation.chapter_id == chapter_id,
            or_(models.Rotation.valid_until.is_(None), models.Rotation.valid_until > now))):
        named.update(m.volunteer_id for m in r.members)
        rotations[r.id] = _validity({
            "name": r.name, "members": [m.volunteer_id for m in r.members],
            "handoff": r.handoff, "every": r.length, "unit": r.unit, "tier": r.tier}, r)
    overrides: dict[int, Summary] = {}
    for o in session.scalars(select(models.Override).where(
            models.Override.chapter_id == chapter_id, models.Override.end > now)):
        named.add(o.volunteer_id)
        summary: Summary = {"kind": o.kind, "volunteer": o.volunteer_id}
        if o.replacement_id is not None:
            named.add(o.replacement_id)
            summary["replacement"] = o.replacement_id
        overrides[o.id] = {**summary, "tier": o.tier, "start": as_utc(o.start),
                           "end": as_utc(o.end), "reason": o.reason}
    return {"shifts": shifts, "rotations": rotations, "overrides": overrides}


def _validity(summary: Summary, row: models.Shift | models.Rotation) -> Summary:
    if row.valid_from is not None:
        summary["from"] = as_utc(row.valid_from)
    if row.valid_until is not None:
        summary["until"] = as_utc(row.valid_until)
    return summary


def rota_changes(before: RotaState, after: RotaState) -> list[ChapterChange]:
    """What changed, one ChapterChange per chapter of the file that changed (and one with
    slug None when a changed volunteer is named by none of them); empty when nothing did."""
    changes = {slug: ChapterChange(slug) for slug in after.chapters}
    for slug, change in changes.items():
        old, new = before.chapters.get(slug), after.chapters[slug]
        if old is None:
            change.after["chapter"] = new
        else:
            fields = [key for key in new if old.get(key) != new[key]]
            if fields:
                change.before["chapter"] = {key: old.get(key) for key in fields}
                change.after["chapter"] = {key: new[key] for key in fields}
        for kind in KINDS:
            ended, added = _compare(before.items.get(slug, {}).get(kind, {}),
                                    after.items[slug][kind])
            _put(change.before, kind, [_named(item, before.names) for item in ended])
            _put(change.after, kind, [_named(item, after.names) for item in added])
    unattached = ChapterChange(None)
    for volunteer_id, new in after.volunteers.items():
        old = before.volunteers.get(volunteer_id)
        fields = [key for key in new if old is None or old.get(key) != new[key]]
        if not fields:
            continue
        was = None if old is None else {"name": old["name"],
                                        **{key: old.get(key) for key in fields}}
        now = {"name": new["name"], **{key: new[key] for key in fields}}
        for change in _concerning(changes, after.members, volunteer_id, unattached):
            if was is not None:
                change.before.setdefault("volunteers", []).append(was)
            change.after.setdefault("volunteers", []).append(now)
    _, periods = _compare(before.unavailable, after.unavailable)
    for period in periods:
        for change in _concerning(changes, after.members, period["volunteer"], unattached):
            change.after.setdefault("unavailable", []).append(_named(period, after.names))
    found = [c for c in [*changes.values(), unattached] if c.before or c.after]
    for change in found:
        for side in (change.before, change.after):
            for key in ("volunteers", "unavailable"):
                if key in side:
                    _put(side, key, side.pop(key))
    return found


def _compare(old: Mapping[int, Summary], new: Mapping[int, Summary]
             ) -> tuple[list[Summary], list[Summary]]:
    """(ended, added): a row gone or changed ended; a row new or changed was added."""
    ended = [dict(value) for key, value in old.items() if new.get(key) != value]
    added = [dict(value) for key, value in new.items() if old.get(key) != value]
    return ended, added


def _named(item: Summary, names: Mapping[int, str]) -> Summary:
    """The item as a person reads it: volunteers by name."""
    named = dict(item)
    for key in ("volunteer", "replacement"):
        if key in named:
            named[key] = names.get(named[key], "?")
    if "members" in named:
        named["members"] = [names.get(member, "?") for member in named["members"]]
    return named


def _concerning(changes: Mapping[str, ChapterChange], members: Mapping[str, set[int]],
                volunteer_id: int, unattached: ChapterChange) -> list[ChapterChange]:
    found = [changes[slug] for slug, ids in members.items() if volunteer_id in ids]
    return found or [unattached]


def _put(side: Summary, key: str, values: list[Summary]) -> None:
    """`values` under `key` at most LIMIT of them, with how many more were left out."""
    if not values:
        return
    side[key] = values[:LIMIT]
    if len(values) > LIMIT:
        side[f"{key}_not_shown"] = len(values) - LIMIT
