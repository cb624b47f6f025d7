"""Dated changes to a rota outside the file: overrides, unavailability, swap requests.

Each change freezes the chapter's history up to `now` first (see hotline.roster.history), and
checks the same rules as the rota file, so a clash is refused with a reason. The caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.refusals import N_, Refusal
from hotline.roster import models
from hotline.roster.history import freeze_until
from hotline.roster.localtime import as_utc
from hotline.roster.rules import Override, OverrideKind, Tier, VolunteerRef
from hotline.roster.store import override_value


class RotaChangeError(Refusal):
    """A change refused, with a reason a coordinator can act on."""


def volunteer_by_phone(session: Session, phone: str) -> models.Volunteer:
    row = session.scalar(select(models.Volunteer).where(models.Volunteer.phone == phone))
    if row is None:
        raise RotaChangeError(N_("no volunteer with phone %(phone)s"), phone=phone)
    return row


def add_override(
    session: Session,
    chapter: models.Chapter,
    kind: OverrideKind,
    volunteer: models.Volunteer,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    tier: Tier | None = None,
    replacement: models.Volunteer | None = None,
    reason: str = "",
    source: str = "coordinator",
    replacing: models.Override | None = None,
) -> models.Override:
    """A new override; refused if it overlaps another of this chapter's for the same person
    (but `replacing`, the one it is a new version of, which the caller withdraws)."""
    start, end, now = as_utc(start, "start"), as_utc(end, "end"), as_utc(now, "now")
    try:  # the pure value checks kind, tier and replacement together
        Override(
            0, kind, volunteer.id, start, end, now, tier, replacement.id if replacement else None
        )
    except ValueError as exc:
        raise RotaChangeError(str(exc)) from None
    if end <= now:
        raise RotaChangeError(
            N_("it ends %(end)s, which has passed: an override changes who is on call from now "
               "on (the past stays as it was), so give an end after now"), end=_utc(end))
    clash = session.scalars(
        select(models.Override).where(
            models.Override.chapter_id == chapter.id,
            models.Override.volunteer_id == volunteer.id,
            models.Override.end > start,
            models.Override.start < end,
            models.Override.id != (replacing.id if replacing is not None else -1),
        )
    ).first()
    if clash is not None:
        raise RotaChangeError(
            N_("overlaps override %(id)s for %(name)s (%(start)s to %(end)s): change the times, "
               "or change or withdraw that one first"), id=clash.id,
            name=volunteer.name, start=_utc(clash.start), end=_utc(clash.end))
    freeze_until(session, chapter.id, now)
    row = models.Override(
        chapter_id=chapter.id,
        kind=kind.value,
        volunteer_id=volunteer.id,
        replacement_id=replacement.id if replacement else None,
        tier=int(tier) if tier is not None else None,
        start=start,
        end=end,
        reason=reason,
        source=source,
        created_at=now,
    )
    session.add(row)
    session.flush()
    override_value(row)  # the stored row must read back as a valid override
    return row


def add_unavailability(
    session: Session,
    volunteer: models.Volunteer,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    reason: str = "",
) -> models.Unavailability:
    """The volunteer is off call in every chapter over [start, end)."""
    start, end, now = as_utc(start, "start"), as_utc(end, "end"), as_utc(now, "now")
    if end <= start:
        raise RotaChangeError(N_("end must be after start"))
    clash = session.scalars(
        select(models.Unavailability).where(
            models.Unavailability.volunteer_id == volunteer.id,
            models.Unavailability.end > start,
            models.Unavailability.start < end,
        )
    ).first()
    if clash is not None:
        raise RotaChangeError(
            N_("overlaps unavailability %(id)s (%(start)s to %(end)s)"), id=clash.id,
            start=_utc(clash.start), end=_utc(clash.end))
    for chapter_id in chapters_of(session, volunteer.id):
        freeze_until(session, chapter_id, now)
    row = models.Unavailability(
        volunteer_id=volunteer.id, start=start, end=end, reason=reason, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def chapters_of(session: Session, volunteer_id: int) -> list[int]:
    """Chapters whose shifts, rotations or overrides name the volunteer."""
    return chapters_serving(session, [volunteer_id])


def chapters_serving(session: Session, volunteer_ids: Collection[int]) -> list[int]:
    """Chapters whose shifts, rotations or overrides name any of the volunteers (3 queries)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return []
    found = set(
        session.scalars(select(models.Shift.chapter_id).where(models.Shift.volunteer_id.in_(ids)))
    )
    found |= set(
        session.scalars(
            select(models.Rotation.chapter_id)
            .join(models.RotationMember)
            .where(models.RotationMember.volunteer_id.in_(ids))
        )
    )
    found |= set(
        session.scalars(
            select(models.Override.chapter_id).where(
                models.Override.volunteer_id.in_(ids) | models.Override.replacement_id.in_(ids)
            )
        )
    )
    return sorted(found)


def offer_swap(
    session: Session,
    chapter: models.Chapter,
    volunteer: models.Volunteer,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    note: str = "",
) -> models.SwapRequest:
    """`volunteer` offers their on-call time in [start, end) to whoever takes it."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if end <= start:
        raise RotaChangeError(N_("end must be after start"))
    if end <= as_utc(now, "now"):
        raise RotaChangeError(N_("that time is already over"))
    row = models.SwapRequest(
        chapter_id=chapter.id,
        offered_by_id=volunteer.id,
        start=start,
        end=end,
        note=note,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def take_swap(
    session: Session, swap_id: int, volunteer: models.Volunteer, *, now: datetime
) -> models.SwapRequest:
    """`volunteer` takes an offered swap; it waits for a coordinator's approval."""
    row = _swap(session, swap_id, "offered")
    if row.offered_by_id == volunteer.id:
        raise RotaChangeError(N_("a volunteer cannot take their own swap"))
    _check_taker(session, volunteer, row.start, row.end)
    row.taken_by_id, row.status = volunteer.id, "taken"
    session.flush()
    return row


def approve_swap(session: Session, swap_id: int, *, now: datetime) -> models.SwapRequest:
    """Approve a taken swap: a replace override from offerer to taker over its interval."""
    row = _swap(session, swap_id, "taken")
    chapter = session.get(models.Chapter, row.chapter_id)
    offerer = session.get(models.Volunteer, row.offered_by_id)
    taker = session.get(models.Volunteer, row.taken_by_id) if row.taken_by_id else None
    assert chapter is not None and offerer is not None and taker is not None
    if as_utc(row.end) <= as_utc(now, "now"):
        raise RotaChangeError(N_("swap %(id)s was for a time that has passed: decline it"),
                              id=row.id)
    # Checked again here: the taker may have become unavailable or inactive since taking it.
    _check_taker(session, taker, row.start, row.end)
    override = add_override(
        session,
        chapter,
        OverrideKind.REPLACE,
        offerer,
        row.start,
        row.end,
        now=now,
        replacement=taker,
        reason=f"swap {row.id}",
        source="swap",
    )
    row.status, row.override_id, row.decided_at = "approved", override.id, as_utc(now)
    session.flush()
    return row


def decline_swap(session: Session, swap_id: int, *, now: datetime) -> models.SwapRequest:
    """Decline (coordinator) or withdraw an offered or taken swap; the rota is unchanged."""
    row = session.get(models.SwapRequest, swap_id)
    if row is None or row.status not in ("offered", "taken"):
        raise RotaChangeError(N_("no open swap %(id)s"), id=swap_id)
    row.status, row.decided_at = "declined", as_utc(now)
    session.flush()
    return row


def _check_taker(session: Session, taker: models.Volunteer, start: datetime, end: datetime) -> None:
    """Refuse a taker who could not be rung: the swap would remove the offerer and leave
    nobody in their place, or ring the taker during time they marked unavailable."""
    if not VolunteerRef(taker.id, taker.name, taker.phone, taker.active).ringable:
        raise RotaChangeError(N_("%(name)s is inactive or has no valid phone"), name=taker.name)
    clash = session.scalars(
        select(models.Unavailability).where(
            models.Unavailability.volunteer_id == taker.id,
            models.Unavailability.end > as_utc(start),
            models.Unavailability.start < as_utc(end),
        )
    ).first()
    if clash is not None:
        raise RotaChangeError(N_("%(name)s is unavailable %(start)s to %(end)s"),
                              name=taker.name, start=_utc(clash.start), end=_utc(clash.end))


def _swap(session: Session, swap_id: int, status: str) -> models.SwapRequest:
    row = session.get(models.SwapRequest, swap_id)
    if row is None:
        raise RotaChangeError(N_("no swap %(id)s"), id=swap_id)
    if row.status != status:
        raise RotaChangeError(N_("swap %(id)s is %(status)s, not %(wanted)s"), id=swap_id,
                              status=row.status, wanted=status)
    return row


def _utc(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")
