"""The rota as stored, written out as a rota file that imports back to no change.

Only what is live at `now` is written: rules not yet ended (with `from` when they start later,
`until` when they end), coordinator overrides and unavailability not yet over. Times are
written in the chapter's zone with their UTC offset, so they read naturally and mean one instant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.localtime import as_utc
from hotline.roster.matching import chapter_languages
from hotline.roster.rotasettings import CHAPTER_SETTINGS
from hotline.roster.store import parse_days

Value = (str | int | bool | date | datetime | list[str] | list[int] | dict[str, object]
         | list[dict[str, str]])

HEADER = (
    "# hotline rota file: import with `hotline rota import FILE`.\n"
    "# Times are wall-clock in the chapter's timezone; date-times carry their UTC offset.\n"
)


def export_rota(session: Session, *, now: datetime) -> str:
    """Every chapter and volunteer, and the rules and overrides live at `now`, as TOML text."""
    now = as_utc(now, "now")
    chapters = list(session.scalars(select(models.Chapter).order_by(models.Chapter.slug)))
    volunteers = list(
        session.scalars(
            select(models.Volunteer).order_by(models.Volunteer.name, models.Volunteer.phone)
        )
    )
    phone = {v.id: v.phone for v in volunteers}
    zones = {c.id: ZoneInfo(c.timezone) for c in chapters}
    out = [HEADER]
    for chapter in chapters:
        table: dict[str, Value] = {
            "slug": chapter.slug,
            "name": chapter.name,
            "numbers": [n.number for n in chapter.numbers],
            "timezone": chapter.timezone,
        }
        for key, (_kind, column) in CHAPTER_SETTINGS.items():
            table[key] = getattr(chapter, column)
        _matching(table, chapter)
        coordinators = sorted(phone[m.volunteer_id] for m in session.scalars(
            select(models.ChapterMember).where(models.ChapterMember.chapter_id == chapter.id,
                                               models.ChapterMember.coordinator)))
        if coordinators:
            table["coordinators"] = coordinators
        if chapter.overflow:
            table["overflow"] = list(chapter.overflow)
        out.append(_table("chapter", table))
    for volunteer in volunteers:
        table = {"name": volunteer.name, "phone": volunteer.phone}
        if volunteer.languages:
            table["languages"] = list(volunteer.languages)
        if volunteer.experiences:
            table["experiences"] = list(volunteer.experiences)
        if not volunteer.active:
            table["active"] = False
        if volunteer.trainee:
            table["trainee"] = True
        out.append(_table("volunteer", table))
    slugs = {c.id: c.slug for c in chapters}
    shifts = session.scalars(
        select(models.Shift)
        .where(or_(models.Shift.valid_until.is_(None), models.Shift.valid_until > now))
        .order_by(models.Shift.chapter_id, models.Shift.tier, models.Shift.start, models.Shift.id)
    )
    for shift in shifts:
        table = {
            "chapter": slugs[shift.chapter_id],
            "volunteer": phone[shift.volunteer_id],
            "days": [day.value for day in sorted(parse_days(shift.days), key=lambda d: d.number)],
            "start": shift.start,
            "end": shift.end,
            "tier": shift.tier,
        }
        out.append(_table("shift", _validity(table, shift, zones[shift.chapter_id], now)))
    rotations = session.scalars(
        select(models.Rotation)
        .where(or_(models.Rotation.valid_until.is_(None), models.Rotation.valid_until > now))
        .order_by(models.Rotation.chapter_id, models.Rotation.tier, models.Rotation.id)
    )
    for rotation in rotations:
        table = {
            "chapter": slugs[rotation.chapter_id],
            "name": rotation.name,
            "members": [phone[m.volunteer_id] for m in rotation.members],
            "anchor": rotation.anchor.date()
            if isinstance(rotation.anchor, datetime)
            else rotation.anchor,
            "handoff": rotation.handoff,
            "every": rotation.length,
            "unit": rotation.unit,
            "tier": rotation.tier,
        }
        if rotation.window_days and rotation.window_start and rotation.window_end:
            days = sorted(parse_days(rotation.window_days), key=lambda d: d.number)
            table["window"] = {
                "days": [day.value for day in days],
                "start": rotation.window_start,
                "end": rotation.window_end,
            }
        out.append(_table("rotation", _validity(table, rotation, zones[rotation.chapter_id], now)))
    overrides = session.scalars(
        select(models.Override)
        .where(models.Override.end > now, models.Override.source == "coordinator")
        .order_by(models.Override.chapter_id, models.Override.start, models.Override.id)
    )
    for override in overrides:
        zone = zones[override.chapter_id]
        table = {
            "chapter": slugs[override.chapter_id],
            "kind": override.kind,
            "volunteer": phone[override.volunteer_id],
        }
        if override.replacement_id is not None:
            table["replacement"] = phone[override.replacement_id]
        if override.tier is not None:
            table["tier"] = override.tier
        table["start"] = override.start.astimezone(zone)
        table["end"] = override.end.astimezone(zone)
        if override.reason:
            table["reason"] = override.reason
        out.append(_table("override", table))
    unavailable = session.scalars(
        select(models.Unavailability)
        .where(models.Unavailability.end > now)
        .order_by(models.Unavailability.start, models.Unavailability.id)
    )
    for period in unavailable:
        table = {
            "volunteer": phone[period.volunteer_id],
            "start": as_utc(period.start),
            "end": as_utc(period.end),
        }
        if period.reason:
            table["reason"] = period.reason
        out.append(_table("unavailable", table))
    return "\n".join(out)


def _matching(table: dict[str, Value], chapter: models.Chapter) -> None:
    """Menus only where a chapter has them; its languages always led by its language."""
    if chapter.languages:
        table["languages"] = list(chapter_languages(chapter.language, chapter.languages))
    else:
        del table["languages"]
    if not chapter.experiences:
        del table["experiences"]


def _validity(
    table: dict[str, Value], row: models.Shift | models.Rotation, zone: ZoneInfo, now: datetime
) -> dict[str, Value]:
    if row.valid_from is not None and row.valid_from > now:
        table["from"] = row.valid_from.astimezone(zone)
    if row.valid_until is not None:
        table["until"] = row.valid_until.astimezone(zone)
    return table


def _table(name: str, values: Mapping[str, object]) -> str:
    lines = [f"[[{name}]]"]
    lines += [f"{key} = {_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} to a rota file")
