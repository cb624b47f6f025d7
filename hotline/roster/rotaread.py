"""The tables of a rota file read into checked entries, every problem kept with its line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from hotline.phone import PhoneError, parse_phone
from hotline.refusals import N_, Refusal
from hotline.roster.localtime import as_utc, to_instant
from hotline.roster.rotachecks import clashing_shifts, overlapping, repeated
from hotline.roster.rotafile import (
    HHMM,
    SLUG,
    ChapterEntry,
    Entry,
    Lines,
    OverrideEntry,
    Problem,
    RotaFile,
    RotationEntry,
    ShiftEntry,
    UnavailableEntry,
    VolunteerEntry,
    zone_named,
)
from hotline.roster.rotasettings import CHAPTER_SETTINGS, SettingValue, setting_problems
from hotline.roster.rules import OverrideKind, RotationUnit, Tier, Weekday


class Reader:
    """Turns the raw TOML tables into entries; problems are appended, never raised."""

    def __init__(self, raw: Mapping[str, Any], lines: Lines, problems: list[Problem]) -> None:
        self.raw, self.lines, self.problems = raw, lines, problems
        self.zones: dict[str, ZoneInfo] = {}
        self.phones: set[str] = set()
        self.coordinators: list[tuple[str, Entry, list[Any]]] = []    # checked once phones are

    def entries(self, table: str, allowed: set[str]) -> list[Entry]:
        items = self.raw.get(table, [])
        if not isinstance(items, list):
            self.problems.append(Problem(0, f"{table} must be an array of tables ([[{table}]])"))
            return []
        found = []
        for index, item in enumerate(items):
            line = self._line_func(table, index)
            if not isinstance(item, dict):
                self.problems.append(Problem(line(None), f"each {table} must be a table"))
                continue
            found.append(Entry(item, line, self.problems, allowed))
        return found

    def _line_func(self, table: str, index: int) -> Callable[[str | None], int]:
        return lambda key: self.lines.of(table, index, key)

    def read(self) -> RotaFile:
        chapters = [c for e in self.entries("chapter", _CHAPTER_KEYS) if (c := self.chapter(e))]
        volunteers = [
            v for e in self.entries("volunteer", _VOLUNTEER_KEYS) if (v := self.volunteer(e))
        ]
        self.problems += repeated([(c.slug, c.line) for c in chapters], "chapter slug")
        self.problems += repeated([(n, c.line) for c in chapters for n in c.numbers], "number")
        self.problems += repeated([(v.phone, v.line) for v in volunteers], "volunteer phone")
        self.phones = {v.phone for v in volunteers}
        for _slug, entry, phones in self.coordinators:
            for phone in phones:
                self._volunteer_ref(entry, "coordinators", phone)
        shifts = [s for e in self.entries("shift", _SHIFT_KEYS) if (s := self.shift(e))]
        rotations = [r for e in self.entries("rotation", _ROTATION_KEYS) if (r := self.rotation(e))]
        overrides = [o for e in self.entries("override", _OVERRIDE_KEYS) if (o := self.override(e))]
        unavailable = [
            u for e in self.entries("unavailable", _UNAVAILABLE_KEYS) if (u := self.unavailable(e))
        ]
        self.problems += clashing_shifts(shifts)
        self.problems += overlapping(
            [(o.chapter, o.volunteer, o.start, o.end, o.line) for o in overrides], "override"
        )
        self.problems += overlapping(
            [("", u.volunteer, u.start, u.end, u.line) for u in unavailable], "unavailable period"
        )
        return RotaFile(
            tuple(chapters),
            tuple(volunteers),
            tuple(shifts),
            tuple(rotations),
            tuple(overrides),
            tuple(unavailable),
        )

    def chapter(self, e: Entry) -> ChapterEntry | None:
        slug = e.get("slug", str)
        name = e.get("name", str)
        zone_name = e.get("timezone", str, what="an IANA zone name")
        numbers = e.get("numbers", list, default=[])
        ok = True
        # Too-long texts are problems (the file is refused) but do not hide the entry, so
        # rows referring to it are not also reported as unknown.
        self._fits(e, "name", name, 200)
        if slug is not None and not SLUG.fullmatch(slug):
            e.fail("slug", f"slug {slug!r} must be lower-case letters, digits and dashes")
            ok = False
        if zone_name is not None:
            zone = zone_named(zone_name)
            if zone is None:
                e.fail("timezone", f"unknown time zone {zone_name!r}")
                ok = False
            elif slug is not None:
                self.zones[slug] = zone
        for number in numbers or []:
            problem = _phone_problem(number)
            if problem:
                e.fail("numbers", Refusal(N_("number %(number)r %(problem)s"), number=number,
                                          problem=problem))
                ok = False
        settings: dict[str, SettingValue] = {}
        for key, (kind, column) in CHAPTER_SETTINGS.items():
            value = e.get(key, kind, default=None)
            if value is not None:
                settings[column] = value
        for key, reason in setting_problems(settings):
            e.fail(key, reason)
            ok = False
        ok = self._languages(e, settings) and ok
        coordinators = e.get("coordinators", list, default=[])
        overflow = self._overflow(e, slug)
        if (not ok or slug is None or name is None or zone_name is None or coordinators is None
                or overflow is None):
            return None
        if coordinators:
            self.coordinators.append((slug, e, coordinators))
        return ChapterEntry(e.line(None), slug, name, zone_name, tuple(numbers or ()), settings,
                            tuple(str(phone) for phone in coordinators), overflow,
                            e.line("overflow"))

    def _overflow(self, e: Entry, slug: str | None) -> tuple[str, ...] | None:
        """The chapters this one overflows to (slugs). Whether each exists, in this file or
        already in the database, is checked at import (hotline.roster.rotasync)."""
        wanted = e.get("overflow", list, default=[])
        if wanted is None:
            return None
        if len(wanted) > MAX_OVERFLOW:
            e.fail("overflow", f"overflow lists {len(wanted)} chapters; at most {MAX_OVERFLOW}")
            return None
        ok = True
        for target in wanted:
            if not isinstance(target, str) or not SLUG.fullmatch(target):
                e.fail("overflow", f"overflow must list chapters' slugs, got {target!r}")
                ok = False
            elif target == slug:
                e.fail("overflow", f"chapter {slug!r} cannot overflow to itself")
                ok = False
        if len(set(map(str, wanted))) != len(wanted):
            e.fail("overflow", "overflow names a chapter twice")
            ok = False
        return tuple(wanted) if ok else None

    def volunteer(self, e: Entry) -> VolunteerEntry | None:
        name = e.get("name", str)
        phone = e.get("phone", str)
        languages = e.get("languages", list, default=[])
        experiences = e.get("experiences", list, default=[])
        active = e.get("active", bool, default=True)
        trainee = e.get("trainee", bool, default=False)
        if name is not None and not name.strip():
            e.fail("name", Refusal(N_("name must not be empty")))
            name = None
        self._fits(e, "name", name, 200)
        problem = _phone_problem(phone) if phone is not None else None
        if problem:
            e.fail("phone", Refusal(N_("phone %(phone)r %(problem)s"), phone=phone,
                                    problem=problem))
            phone = None
        for key, values in (("languages", languages), ("experiences", experiences)):
            if values is not None and not all(isinstance(v, str) for v in values):
                e.fail(key, Refusal(N_("%(key)s must be a list of strings"), key=key))
                return None
        if name is None or phone is None or languages is None or experiences is None:
            return None
        return VolunteerEntry(
            e.line(None), name, phone, tuple(languages), tuple(experiences), bool(active),
            bool(trainee),
        )

    def _languages(self, e: Entry, settings: dict[str, SettingValue]) -> bool:
        """The first of `languages` is the chapter's `language` (set from it when not given)."""
        languages = settings.get("languages")
        if not isinstance(languages, list) or not languages:
            return True
        first = languages[0]
        if "language" not in settings and isinstance(first, str):
            settings["language"] = first
        elif settings.get("language") != first:
            e.fail("languages", f"the first of languages ({first}) must be the chapter's "
                   f"language ({settings.get('language')})")
            return False
        return True

    def _fits(self, e: Entry, key: str, value: object, limit: int) -> bool:
        """False (with a problem) when a text is longer than its database column holds."""
        if isinstance(value, str) and len(value) > limit:
            e.fail(key, Refusal(N_("%(key)s is %(length)s characters long; at most %(limit)s "
                                   "are kept"), key=key, length=len(value), limit=limit))
            return False
        return True

    def _chapter_ref(self, e: Entry) -> tuple[str, ZoneInfo] | None:
        slug = e.get("chapter", str)
        if slug is None:
            return None
        zone = self.zones.get(slug)
        if zone is None:
            e.fail("chapter", f"unknown chapter {slug!r} (not a [[chapter]] in this file)")
            return None
        return slug, zone

    def _volunteer_ref(self, e: Entry, key: str, value: Any = ...) -> str | None:
        phone = e.get(key, str) if value is ... else value
        if phone is None:
            return None
        if not isinstance(phone, str) or phone not in self.phones:
            e.fail(key, f"unknown volunteer {phone!r} (not a [[volunteer]] phone in this file)")
            return None
        return phone

    def _tier(self, e: Entry, default: Any = 1) -> Tier | None:
        value = e.get("tier", int, default=default)
        if value is None:
            return None
        if value not in (1, 2, 3):
            e.fail("tier", f"tier must be 1, 2 or 3, got {value}")
            return None
        return Tier(value)

    def _days(self, e: Entry, key: str, value: Any) -> frozenset[Weekday] | None:
        if not isinstance(value, list) or not value:
            e.fail(key, f'{key} must be a non-empty list like ["mon", "wed"]')
            return None
        try:
            return frozenset(Weekday(day) for day in value)
        except ValueError:
            e.fail(key, f"{key} must name days as mon, tue, wed, thu, fri, sat, sun; got {value!r}")
            return None

    def _time(self, e: Entry, key: str, value: Any) -> time | None:
        if not isinstance(value, str) or not HHMM.fullmatch(value):
            e.fail(key, f'{key} must be a 24-hour time like "18:00", got {value!r}')
            return None
        return time.fromisoformat(value)

    def _instant(
        self, e: Entry, key: str, zone: ZoneInfo | None, default: Any = ...
    ) -> datetime | None:
        value = e.get(key, (datetime, date), default=default, what="a date or date-time")
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return as_utc(value)
            if zone is None:
                e.fail(key, f"{key} needs a UTC offset (like 2026-12-24T18:00:00-05:00)")
                return None
            return to_instant(value, zone)
        if zone is None:
            e.fail(key, f"{key} needs a date-time with a UTC offset")
            return None
        return to_instant(datetime.combine(value, time(0)), zone)

    def _validity(self, e: Entry, zone: ZoneInfo) -> tuple[bool, datetime | None, datetime | None]:
        valid_from = self._instant(e, "from", zone, default=None)
        valid_until = self._instant(e, "until", zone, default=None)
        if valid_from and valid_until and valid_until <= valid_from:
            e.fail("until", "until must be after from")
            return False, None, None
        ok = ("from" not in e.raw or valid_from is not None) and (
            "until" not in e.raw or valid_until is not None
        )
        return ok, valid_from, valid_until

    def shift(self, e: Entry) -> ShiftEntry | None:
        chapter = self._chapter_ref(e)
        volunteer = self._volunteer_ref(e, "volunteer")
        days_raw = e.get("days", list)
        days = self._days(e, "days", days_raw) if days_raw is not None else None
        start = self._time(e, "start", e.raw.get("start"))
        end = self._time(e, "end", e.raw.get("end"))
        tier = self._tier(e)
        if chapter is None:
            return None
        ok, valid_from, valid_until = self._validity(e, chapter[1])
        if not ok or None in (volunteer, days, start, end, tier):
            return None
        assert volunteer and days and start and end and tier  # narrowed by the check above
        return ShiftEntry(
            e.line(None), chapter[0], volunteer, days, start, end, tier, valid_from, valid_until
        )

    def rotation(self, e: Entry) -> RotationEntry | None:
        chapter = self._chapter_ref(e)
        name = e.get("name", str, default="")
        self._fits(e, "name", name, 100)
        members_raw = e.get("members", list, default=[]) or []
        members = [self._volunteer_ref(e, "members", m) for m in members_raw]
        anchor = e.get("anchor", date, what="a date like 2026-01-05")
        if isinstance(anchor, datetime):
            e.fail("anchor", "anchor is a date (the local day the first turn starts), not a time")
            anchor = None
        handoff = self._time(e, "handoff", e.raw.get("handoff", "09:00"))
        length = e.get("every", int, default=1)
        if length is not None and length < 1:
            e.fail("every", "every must be at least 1")
            length = None
        unit_name = e.get("unit", str, default="weeks")
        unit = None
        if unit_name is not None:
            try:
                unit = RotationUnit(unit_name)
            except ValueError:
                e.fail("unit", f"unit must be days or weeks, got {unit_name!r}")
        tier = self._tier(e)
        window = None
        if "window" in e.raw:
            raw = e.get("window", dict, what="a table {days, start, end}")
            if raw is not None:
                days = self._days(e, "window", raw.get("days", list(Weekday)))
                w_start = self._time(e, "window", raw.get("start"))
                w_end = self._time(e, "window", raw.get("end"))
                if days and w_start and w_end:
                    window = (days, w_start, w_end)
                else:
                    return None
        if chapter is None:
            return None
        ok, valid_from, valid_until = self._validity(e, chapter[1])
        if not ok or None in members or None in (name, anchor, handoff, length, unit, tier):
            return None
        assert anchor and handoff and length and unit and tier
        return RotationEntry(
            e.line(None),
            chapter[0],
            name,
            tuple(m for m in members if m),
            anchor,
            handoff,
            length,
            unit,
            tier,
            window,
            valid_from,
            valid_until,
        )

    def override(self, e: Entry) -> OverrideEntry | None:
        chapter = self._chapter_ref(e)
        kind_name = e.get("kind", str)
        kind = None
        if kind_name is not None:
            try:
                kind = OverrideKind(kind_name)
            except ValueError:
                e.fail("kind", f"kind must be add, remove or replace, got {kind_name!r}")
        volunteer = self._volunteer_ref(e, "volunteer")
        replacement = None
        tier: Tier | None = None
        if kind is OverrideKind.REPLACE:
            replacement = self._volunteer_ref(e, "replacement")
            if replacement is not None and replacement == volunteer:
                e.fail("replacement", "a volunteer cannot replace themselves")
                replacement = None
        elif "replacement" in e.raw:
            e.fail("replacement", 'replacement is only for kind = "replace"')
        if kind is OverrideKind.ADD:
            tier = self._tier(e)
        elif "tier" in e.raw:
            e.fail("tier", 'tier is only for kind = "add"')
        reason = e.get("reason", str, default="")
        zone = chapter[1] if chapter else None
        start = self._instant(e, "start", zone)
        end = self._instant(e, "end", zone)
        if start and end and end <= start:
            e.fail("end", "end must be after start")
            return None
        if chapter is None or None in (kind, volunteer, start, end, reason):
            return None
        if (kind is OverrideKind.REPLACE and replacement is None) or (
            kind is OverrideKind.ADD and tier is None
        ):
            return None
        assert kind and volunteer and start and end
        return OverrideEntry(
            e.line(None), chapter[0], kind, volunteer, start, end, tier, replacement, reason
        )

    def unavailable(self, e: Entry) -> UnavailableEntry | None:
        volunteer = self._volunteer_ref(e, "volunteer")
        start = self._instant(e, "start", None)
        end = self._instant(e, "end", None)
        reason = e.get("reason", str, default="")
        if start and end and end <= start:
            e.fail("end", "end must be after start")
            return None
        if None in (volunteer, start, end, reason):
            return None
        assert volunteer and start and end
        return UnavailableEntry(e.line(None), volunteer, start, end, reason)


_CHAPTER_KEYS = {"slug", "name", "timezone", "numbers", "coordinators", "overflow",
                 *CHAPTER_SETTINGS}
# Chapters one chapter may overflow to (each tried in turn, with its own overflow after).
MAX_OVERFLOW = 5
_VOLUNTEER_KEYS = {"name", "phone", "languages", "experiences", "active", "trainee"}
_SHIFT_KEYS = {"chapter", "volunteer", "days", "start", "end", "tier", "from", "until"}
_ROTATION_KEYS = {
    "chapter",
    "name",
    "members",
    "anchor",
    "handoff",
    "every",
    "unit",
    "tier",
    "window",
    "from",
    "until",
}
_OVERRIDE_KEYS = {"chapter", "kind", "volunteer", "replacement", "tier", "start", "end", "reason"}
_UNAVAILABLE_KEYS = {"volunteer", "start", "end", "reason"}


def _phone_problem(number: object) -> Refusal | None:
    """Why `number` cannot be rung (None if it can), for a line of the rota file."""
    if not isinstance(number, str):
        return Refusal(N_("must be text in quotes, like \"+16175550111\""))
    try:
        parse_phone(number)
    except PhoneError as exc:
        return Refusal(N_("%(problem)s (like +16175550111)"), problem=exc)
    return None
