"""Rows for store and history tests, written through the ORM as an import would."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from hotline.roster import models

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def chapter(session: Session, slug: str, zone: str = "America/New_York") -> models.Chapter:
    row = models.Chapter(slug=slug, name=slug.title(), timezone=zone, created_at=EPOCH)
    session.add(row)
    session.flush()
    return row


def volunteer(session: Session, name: str, phone: str, *, active: bool = True) -> models.Volunteer:
    row = models.Volunteer(name=name, phone=phone, active=active)
    session.add(row)
    session.flush()
    return row


def shift(
    session: Session,
    chapter_: models.Chapter,
    volunteer_: models.Volunteer,
    days: str,
    start: str,
    end: str,
    tier: int = 1,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> models.Shift:
    row = models.Shift(
        chapter_id=chapter_.id,
        volunteer_id=volunteer_.id,
        days=days,
        start=start,
        end=end,
        tier=tier,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(row)
    session.flush()
    return row


def rotation(
    session: Session,
    chapter_: models.Chapter,
    members: list[models.Volunteer],
    anchor: date,
    handoff: str = "09:00",
    **fields: object,
) -> models.Rotation:
    row = models.Rotation(chapter_id=chapter_.id, anchor=anchor, handoff=handoff, **fields)
    row.members = [
        models.RotationMember(position=index, volunteer_id=member.id)
        for index, member in enumerate(members)
    ]
    session.add(row)
    session.flush()
    return row
