"""The rota's domain model: volunteers, weekly shifts, rotations, overrides, one chapter's rota."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from hotline.phone import is_phone


class Weekday(enum.StrEnum):
    """A day of the week, spelled as in the rota file; `number` matches `date.weekday()`."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        return _WEEKDAY_ORDER.index(self)

    @classmethod
    def of(cls, day: date) -> Weekday:
        return _WEEKDAY_ORDER[day.weekday()]


_WEEKDAY_ORDER: tuple[Weekday, ...] = tuple(Weekday)
EVERY_DAY: frozenset[Weekday] = frozenset(Weekday)


class Tier(enum.IntEnum):
    """A wave of the ring plan; lower tiers are rung first."""

    PRIMARY = 1
    BACKUP = 2
    FALLBACK = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class RotationUnit(enum.StrEnum):
    DAYS = "days"
    WEEKS = "weeks"


class OverrideKind(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _require_wall_time(name: str, value: time) -> None:
    if value.tzinfo is not None:
        raise ValueError(f"{name} is a wall-clock time in the chapter zone; give it no tzinfo")


def _require_validity(valid_from: datetime | None, valid_until: datetime | None) -> None:
    _require_aware("valid_from", valid_from)
    _require_aware("valid_until", valid_until)
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise ValueError("valid_until must be after valid_from")


def _weekdays(days: frozenset[Weekday]) -> frozenset[Weekday]:
    """`days` as Weekday members (plain 'mon'..'sun' strings are accepted), never empty."""
    if not days:
        raise ValueError("days must name at least one weekday")
    return frozenset(Weekday(day) for day in days)


@dataclass(frozen=True)
class VolunteerRef:
    """A volunteer as the rota sees them; only active ones with an E.164 phone are rung."""

    id: int
    name: str
    phone: str | None
    active: bool = True

    @property
    def ringable(self) -> bool:
        return self.active and is_phone(self.phone)


@dataclass(frozen=True)
class WeeklyShift:
    """Wall-clock hours in the chapter zone on the weekdays the shift starts.

    `end` before `start` runs past midnight into the next day; `end == start` is 24 hours.
    The rule applies to instants in [valid_from, valid_until) (None: unbounded); an edit
    closes this version and opens a new one (see `supersede`), so the past is kept.
    """

    volunteer_id: int
    days: frozenset[Weekday]
    start: time
    end: time
    tier: Tier = Tier.PRIMARY
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", _weekdays(self.days))
        _require_wall_time("start", self.start)
        _require_wall_time("end", self.end)
        _require_validity(self.valid_from, self.valid_until)
        object.__setattr__(self, "tier", Tier(self.tier))


@dataclass(frozen=True)
class Window:
    """Daily wall-clock hours on the given start weekdays; `end <= start` as for shifts."""

    start: time
    end: time
    days: frozenset[Weekday] = EVERY_DAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", _weekdays(self.days))
        _require_wall_time("start", self.start)
        _require_wall_time("end", self.end)


@dataclass(frozen=True)
class Rotation:
    """Members take turns of `length` days or weeks, handing off at `handoff` local time.

    Member 0 holds the turn that starts on local date `anchor` at `handoff`; turns before the
    anchor continue the cycle backwards. With a `window`, the holder is on call only inside it.
    """

    members: tuple[int, ...]
    anchor: date
    handoff: time
    length: int = 1
    unit: RotationUnit = RotationUnit.WEEKS
    tier: Tier = Tier.PRIMARY
    window: Window | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.length < 1:
            raise ValueError("a rotation turn lasts at least one day or week")
        _require_wall_time("handoff", self.handoff)
        _require_validity(self.valid_from, self.valid_until)
        object.__setattr__(self, "tier", Tier(self.tier))
        object.__setattr__(self, "unit", RotationUnit(self.unit))
        object.__setattr__(self, "members", tuple(self.members))

    @property
    def period(self) -> timedelta:
        """The turn length in calendar days (wall clock), not in real time."""
        days = self.length * (7 if self.unit is RotationUnit.WEEKS else 1)
        return timedelta(days=days)


@dataclass(frozen=True)
class Override:
    """A change to who is on call over the UTC interval [start, end).

    add: `volunteer_id` joins at `tier`. remove: `volunteer_id` leaves every tier (this is also
    how a volunteer marks themselves unavailable). replace: `replacement_id` takes every tier
    `volunteer_id` holds at that instant; nothing happens while `volunteer_id` is off call.
    Overrides apply after shifts and rotations, oldest first by (created_at, id), so the
    newest instruction wins where two overlap.
    """

    id: int
    kind: OverrideKind
    volunteer_id: int
    start: datetime
    end: datetime
    created_at: datetime
    tier: Tier | None = None
    replacement_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", OverrideKind(self.kind))
        for name in ("start", "end", "created_at"):
            value: datetime = getattr(self, name)
            _require_aware(name, value)
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")
        if self.kind is OverrideKind.ADD:
            if self.tier is None:
                raise ValueError("an add override needs a tier")
            object.__setattr__(self, "tier", Tier(self.tier))
        elif self.tier is not None:
            raise ValueError(f"a {self.kind} override takes no tier")
        if (self.kind is OverrideKind.REPLACE) != (self.replacement_id is not None):
            raise ValueError("replacement_id is given for replace overrides and only for them")
        if self.replacement_id == self.volunteer_id:
            raise ValueError("a volunteer cannot replace themselves")

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)

    def active_at(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class ChapterRota:
    """Everything needed to say who is on call for one chapter; `zone` is an IANA name.

    Rules carry their own validity, so a rota holding every version answers for any instant;
    the store may pass only the versions valid in the range it asks about.
    """

    slug: str
    name: str
    zone: str
    volunteers: tuple[VolunteerRef, ...] = ()
    shifts: tuple[WeeklyShift, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.zone))
        for name in ("volunteers", "shifts", "rotations", "overrides"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @cached_property
    def volunteer_index(self) -> Mapping[int, VolunteerRef]:
        return {volunteer.id: volunteer for volunteer in self.volunteers}


Rule = TypeVar("Rule", WeeklyShift, Rotation)


def valid_at(rule: WeeklyShift | Rotation, at: datetime) -> bool:
    """True when `at` lies in the rule's [valid_from, valid_until)."""
    return (rule.valid_from is None or rule.valid_from <= at) and (
        rule.valid_until is None or at < rule.valid_until
    )


def supersede(old: Rule, effective: datetime, new: Rule) -> tuple[Rule, Rule]:
    """Close `old` at `effective` and open `new` from then; earlier instants keep their answer."""
    _require_aware("effective", effective)
    if not valid_at(old, effective) or old.valid_from == effective:
        raise ValueError("an edit must take effect strictly inside the old version's validity")
    closed = dataclasses.replace(old, valid_until=effective)
    opened = dataclasses.replace(new, valid_from=effective, valid_until=old.valid_until)
    return closed, opened
