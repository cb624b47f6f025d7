"""Small constructors that keep the rota tests readable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from hotline.roster.oncall import on_call
from hotline.roster.rules import (
    ChapterRota,
    Override,
    OverrideKind,
    Rotation,
    Tier,
    VolunteerRef,
    Weekday,
    WeeklyShift,
)

CREATED = datetime(2020, 1, 1, tzinfo=UTC)


def volunteer(
    vid: int, name: str | None = None, *, active: bool = True, phone: str | None = ""
) -> VolunteerRef:
    """A volunteer with a made-up Boston number unless `phone` says otherwise."""
    number = f"+1617555{vid:04d}" if phone == "" else phone
    return VolunteerRef(vid, name or f"V{vid}", number, active)


def crew(*ids: int) -> tuple[VolunteerRef, ...]:
    return tuple(volunteer(vid) for vid in ids)


def days(*names: str) -> frozenset[Weekday]:
    return frozenset(Weekday(name) for name in names)


def hm(text: str) -> time:
    return time.fromisoformat(text)


def shift(
    vid: int,
    on: str | Iterable[str],
    start: str,
    end: str,
    tier: int = 1,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> WeeklyShift:
    names = (on,) if isinstance(on, str) else tuple(on)
    return WeeklyShift(vid, days(*names), hm(start), hm(end), Tier(tier), valid_from, valid_until)


def local(zone: str, text: str, fold: int = 0) -> datetime:
    """A wall time in `zone` as an aware datetime (fold picks the occurrence of a repeated hour)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def override(
    oid: int,
    kind: str,
    vid: int,
    start: datetime,
    end: datetime,
    *,
    tier: int | None = None,
    replacement: int | None = None,
    created: datetime = CREATED,
) -> Override:
    return Override(
        id=oid,
        kind=OverrideKind(kind),
        volunteer_id=vid,
        start=start,
        end=end,
        created_at=created,
        tier=None if tier is None else Tier(tier),
        replacement_id=replacement,
    )


def rota(
    zone: str,
    *,
    volunteers: Iterable[VolunteerRef] = (),
    shifts: Iterable[WeeklyShift] = (),
    rotations: Iterable[Rotation] = (),
    overrides: Iterable[Override] = (),
) -> ChapterRota:
    return ChapterRota(
        slug="boston-grief",
        name="Boston Bereavement Line",
        zone=zone,
        volunteers=tuple(volunteers),
        shifts=tuple(shifts),
        rotations=tuple(rotations),
        overrides=tuple(overrides),
    )


def ids_on_call(chapter: ChapterRota, at: datetime) -> dict[int, list[int]]:
    """{tier: [volunteer ids in ring order]} as `on_call` answers it."""
    return {
        int(wave.tier): [person.id for person in wave.volunteers]
        for wave in on_call(chapter, at).waves
    }
