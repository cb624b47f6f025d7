"""Volunteers and chapter settings edited one at a time (the web app's way), checked as the rota
file checks them. Changes that alter what the past would recompute (a name, deactivation)
freeze the history of the volunteer's chapters first. The caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.refusals import N_, Refusal
from hotline.roster import models
from hotline.roster.changes import RotaChangeError, chapters_of
from hotline.roster.history import freeze_until
from hotline.roster.localtime import as_utc
from hotline.roster.rotafile import SLUG, Entry, Lines, Problem
from hotline.roster.rotaread import Reader
from hotline.roster.rotasettings import SETTING_COLUMNS, SettingValue, setting_problems

TAG_LIMIT = 40


def volunteer_summary(row: models.Volunteer) -> dict[str, Any]:
    """What the audit log keeps of a volunteer (the phone too: the log is coordinators' only)."""
    return {"id": row.id, "name": row.name, "phone": row.phone, "languages": row.languages,
            "experiences": row.experiences, "active": row.active, "trainee": row.trainee}


def clean_tags(values: Sequence[str], what: str) -> list[str]:
    """Languages or experiences as stored: trimmed, lower-case, no blanks or repeats."""
    found: list[str] = []
    for value in values:
        tag = value.strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_LIMIT or not SLUG.fullmatch(tag):
            raise RotaChangeError(
                N_("%(what)s %(value)r: use letters, digits and dashes, like en or loss-of-child"),
                what=what, value=value)
        if tag not in found:
            found.append(tag)
    return found


class NotInCharge(RotaChangeError):
    """A change to a volunteer who also belongs to a chapter the person making it does not
    coordinate: deactivating or renaming them would reach into that chapter."""


def volunteer_chapters(session: Session, volunteer_ids: Collection[int]) -> dict[int, set[int]]:
    """Each volunteer's chapters: those they are a member of and those whose rules or
    overrides name them (the chapters whose volunteer lists show them)."""
    found: dict[int, set[int]] = {vid: set() for vid in volunteer_ids}
    if not found:
        return found
    ids = sorted(found)
    rows = [*session.execute(
        select(models.ChapterMember.volunteer_id, models.ChapterMember.chapter_id)
        .where(models.ChapterMember.volunteer_id.in_(ids))),
        *session.execute(select(models.Shift.volunteer_id, models.Shift.chapter_id)
                         .where(models.Shift.volunteer_id.in_(ids))),
        *session.execute(select(models.RotationMember.volunteer_id, models.Rotation.chapter_id)
                         .join(models.Rotation)
                         .where(models.RotationMember.volunteer_id.in_(ids))),
        *session.execute(select(models.Override.volunteer_id, models.Override.chapter_id)
                         .where(models.Override.volunteer_id.in_(ids))),
        *session.execute(select(models.Override.replacement_id, models.Override.chapter_id)
                         .where(models.Override.replacement_id.in_(ids)))]
    for volunteer_id, chapter_id in rows:
        found[volunteer_id].add(chapter_id)
    return found


def in_charge(
    session: Session, volunteer_ids: Collection[int], coordinated: Collection[int] | None
) -> set[int]:
    """The volunteers whose every chapter is among `coordinated` (None: every chapter, an
    admin or the command line): the ones that person may change."""
    if coordinated is None:
        return set(volunteer_ids)
    allowed = set(coordinated)
    return {vid for vid, chapters in volunteer_chapters(session, volunteer_ids).items()
            if chapters <= allowed}


def check_in_charge(
    session: Session, volunteer: models.Volunteer, coordinated: Collection[int] | None
) -> None:
    """Refuse (NotInCharge) a change to a volunteer with a chapter outside `coordinated`."""
    if volunteer.id not in in_charge(session, [volunteer.id], coordinated):
        raise NotInCharge(
            N_("%(name)s also volunteers for a chapter you do not coordinate, so only an admin, "
               "or someone who coordinates all of their chapters, can change them"),
            name=volunteer.name)


def add_volunteer(
    session: Session,
    chapter: models.Chapter,
    name: str,
    phone: str,
    *,
    coordinated: Collection[int] | None,
    languages: Sequence[str] = (),
    experiences: Sequence[str] = (),
) -> tuple[models.Volunteer, bool]:
    """A new active volunteer in the chapter; returns it and whether it is new.

    A phone (E.164) identifies a volunteer: when it is already registered, that volunteer
    joins this chapter as they are, and nothing else changes; but only for someone who
    coordinates every chapter the volunteer is in already (`coordinated`, None for an admin):
    joining them would otherwise hand this chapter's coordinators a volunteer of another
    chapter to change. The refusal names neither the volunteer nor their chapters.
    """
    name = name.strip()
    problems = file_problems("volunteer", {"name": name, "phone": phone})
    if problems:
        raise RotaChangeError.all_of(problems)
    row = session.scalar(select(models.Volunteer).where(models.Volunteer.phone == phone))
    created = row is None
    if row is None:
        row = models.Volunteer(
            name=name, phone=phone, languages=clean_tags(languages, "language"),
            experiences=clean_tags(experiences, "experience"), active=True,
        )
        session.add(row)
        session.flush()
    elif session.get(models.ChapterMember, (chapter.id, row.id)) is not None:
        raise RotaChangeError(N_("%(phone)s is already %(name)s's phone in %(chapter)s"),
                              phone=phone, name=row.name, chapter=chapter.name)
    elif row.id not in in_charge(session, [row.id], coordinated):
        raise NotInCharge(
            N_("%(phone)s is already the phone of a volunteer in another chapter that you do "
               "not coordinate: ask an admin, or that chapter's coordinator, to add them to "
               "%(chapter)s"), phone=phone, chapter=chapter.name)
    session.add(models.ChapterMember(chapter_id=chapter.id, volunteer_id=row.id))
    session.flush()
    return row, created


def update_volunteer(
    session: Session,
    volunteer: models.Volunteer,
    *,
    now: datetime,
    coordinated: Collection[int] | None,
    name: str | None = None,
    languages: Sequence[str] | None = None,
    experiences: Sequence[str] | None = None,
    active: bool | None = None,
    trainee: bool | None = None,
) -> models.Volunteer:
    """Change what is given; a new name or (de)activation freezes their chapters' past first.

    Refused (NotInCharge) unless `coordinated` (the chapters the person making the change
    coordinates; None for an admin or the command line) covers every chapter of the volunteer:
    a change to a volunteer reaches every chapter they serve.
    """
    check_in_charge(session, volunteer, coordinated)
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise RotaChangeError(N_("give a name of 1 to 200 characters"))
    reaches_back = (name is not None and name != volunteer.name) or (
        active is not None and active != volunteer.active
    )
    if reaches_back:
        for chapter_id in chapters_of(session, volunteer.id):
            freeze_until(session, chapter_id, as_utc(now, "now"))
    if name is not None:
        volunteer.name = name
    if languages is not None:
        volunteer.languages = clean_tags(languages, "language")
    if experiences is not None:
        volunteer.experiences = clean_tags(experiences, "experience")
    if active is not None:
        volunteer.active = active
    if trainee is not None:
        volunteer.trainee = trainee
    session.flush()
    return volunteer


def volunteers_of(session: Session, chapter_id: int) -> Sequence[models.Volunteer]:
    """The chapter's members and everyone its rules or overrides have ever named, by name."""
    ids = set(session.scalars(
        select(models.ChapterMember.volunteer_id)
        .where(models.ChapterMember.chapter_id == chapter_id)))
    ids |= set(session.scalars(
        select(models.Shift.volunteer_id).where(models.Shift.chapter_id == chapter_id)))
    ids |= set(session.scalars(
        select(models.RotationMember.volunteer_id).join(models.Rotation)
        .where(models.Rotation.chapter_id == chapter_id)))
    ids |= set(session.scalars(
        select(models.Override.volunteer_id).where(models.Override.chapter_id == chapter_id)))
    ids |= set(session.scalars(
        select(models.Override.replacement_id).where(models.Override.chapter_id == chapter_id,
                                                     models.Override.replacement_id.is_not(None))))
    if not ids:
        return []
    return session.scalars(
        select(models.Volunteer).where(models.Volunteer.id.in_(sorted(ids)))
        .order_by(models.Volunteer.name)
    ).all()


def settings_problems(settings: Mapping[str, SettingValue]) -> list[Refusal]:
    """Why the rota file import would refuse these chapter settings (by column name): the
    import's own check, so the two can never disagree."""
    return [reason for _key, reason in setting_problems(settings)]


def file_problems(table: str, raw: dict[str, Any]) -> list[Refusal]:
    """Why the rota file import would refuse `raw` as one [[table]] entry (e.g. a volunteer's
    name and phone), checked by the import's own reader."""
    problems: list[Problem] = []
    reader = Reader({}, Lines(""), problems)
    getattr(reader, table)(Entry(raw, lambda _key: 0, problems, set(raw)))
    return [problem.refusal or Refusal(problem.reason) for problem in problems]


def chapter_settings(chapter: models.Chapter) -> dict[str, SettingValue]:
    """The chapter's call-handling settings by column name."""
    return {column: getattr(chapter, column) for column in SETTING_COLUMNS}


def update_chapter_settings(
    session: Session, chapter: models.Chapter, values: Mapping[str, SettingValue]
) -> dict[str, SettingValue]:
    """Apply new settings (by column name) after the rota file's checks; returns the old ones.

    Refused whole with every reason when any value is out of range.
    """
    unknown = sorted(set(values) - set(SETTING_COLUMNS))
    if unknown:
        raise RotaChangeError(N_("unknown settings: %(names)s"), names=", ".join(unknown))
    before = chapter_settings(chapter)
    problems = settings_problems({**before, **values})
    if problems:
        raise RotaChangeError.all_of(problems)
    for column, value in values.items():
        setattr(chapter, column, value)
    session.flush()
    return before
