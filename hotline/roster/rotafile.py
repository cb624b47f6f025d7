"""The rota file (TOML): parsed and checked whole, every problem reported with its line.

Parsing needs no database; `hotline.roster.rotasync` writes a parsed file to the database and
reads one back. Times in the file are wall-clock times in the chapter's zone unless they carry
an offset; see `hotline/sample/rota.toml` for every table and key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.refusals import Refusal
from hotline.roster.rotasettings import SettingValue
from hotline.roster.rules import OverrideKind, RotationUnit, Tier, Weekday

HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_]+)\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")



@dataclass(frozen=True)
class Problem:
    """One reason the file is refused; line 0 when no line can be named."""

    line: int
    reason: str
    refusal: Refusal | None = None   # the reason marked for translation, where it is

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class RotaFileError(ValueError):
    """The file is refused whole; `problems` lists every reason found, in line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line)
        super().__init__("; ".join(map(str, self.problems)))


@dataclass(frozen=True)
class ChapterEntry:
    line: int
    slug: str
    name: str
    timezone: str
    numbers: tuple[str, ...]
    settings: Mapping[str, SettingValue] = field(default_factory=dict)  # Chapter column: value
    coordinators: tuple[str, ...] = ()          # volunteers' phones (in this file)
    overflow: tuple[str, ...] = ()              # chapters' slugs, in the order they are tried
    overflow_line: int = 0                      # where `overflow` is (unknown slugs: at import)


@dataclass(frozen=True)
class VolunteerEntry:
    line: int
    name: str
    phone: str
    languages: tuple[str, ...] = ()
    experiences: tuple[str, ...] = ()
    active: bool = True
    trainee: bool = False


@dataclass(frozen=True)
class ShiftEntry:
    """Validity bounds are UTC instants or None (unbounded / "from whenever it applied")."""

    line: int
    chapter: str
    volunteer: str
    days: frozenset[Weekday]
    start: time
    end: time
    tier: Tier
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class RotationEntry:
    line: int
    chapter: str
    name: str
    members: tuple[str, ...]
    anchor: date
    handoff: time
    length: int
    unit: RotationUnit
    tier: Tier
    window: tuple[frozenset[Weekday], time, time] | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class OverrideEntry:
    line: int
    chapter: str
    kind: OverrideKind
    volunteer: str
    start: datetime
    end: datetime
    tier: Tier | None = None
    replacement: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class UnavailableEntry:
    line: int
    volunteer: str
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class RotaFile:
    chapters: tuple[ChapterEntry, ...] = ()
    volunteers: tuple[VolunteerEntry, ...] = ()
    shifts: tuple[ShiftEntry, ...] = ()
    rotations: tuple[RotationEntry, ...] = ()
    overrides: tuple[OverrideEntry, ...] = ()
    unavailable: tuple[UnavailableEntry, ...] = ()


class Lines:
    """Where each [[table]] entry and each key inside it starts in the source text."""

    def __init__(self, text: str) -> None:
        self.tables: dict[str, list[tuple[int, dict[str, int]]]] = {}
        keys: dict[str, int] | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                keys = {}
                self.tables.setdefault(header.group(1), []).append((number, keys))
            elif line.lstrip().startswith("["):
                keys = None
            elif keys is not None and (key := _KEY.match(line)):
                keys.setdefault(key.group(1), number)

    def of(self, table: str, index: int, key: str | None = None) -> int:
        entries = self.tables.get(table, [])
        if index >= len(entries):
            return 0
        start, keys = entries[index]
        return keys.get(key, start) if key else start


class Entry:
    """One table of the file being read; `get` records a problem instead of raising."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        line: Callable[[str | None], int],
        problems: list[Problem],
        allowed: set[str],
    ) -> None:
        self.raw, self.line, self.problems = raw, line, problems
        for key in raw:
            if key not in allowed:
                self.fail(
                    key, f"unknown key {key!r} (expected one of {', '.join(sorted(allowed))})"
                )

    def fail(self, key: str | None, reason: str | Refusal) -> None:
        refusal = reason if isinstance(reason, Refusal) else None
        self.problems.append(Problem(self.line(key), str(reason), refusal))

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any = ..., what: str = ""
    ) -> Any:
        if key not in self.raw:
            if default is ...:
                self.fail(None, f"missing {key!r}")
            return None if default is ... else default
        value = self.raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"{key} must be {what or _kind_name(kind)}, got {value!r}")
            return None
        return value


def parse_rota(text: str) -> RotaFile:
    """The file's contents, checked; RotaFileError with every problem if anything is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise RotaFileError(
            [Problem(int(match.group(1)) if match else 0, f"not valid TOML: {exc}")]
        ) from None
    lines = Lines(text)
    problems: list[Problem] = []
    for key in raw:
        if key not in _TABLES:
            problems.append(Problem(0, f"unknown table {key!r} (expected {', '.join(_TABLES)})"))
    from hotline.roster.rotaread import Reader  # the reader imports this module's types

    parsed = Reader(raw, lines, problems).read()
    if problems:
        raise RotaFileError(problems)
    return parsed


_TABLES = ("chapter", "volunteer", "shift", "rotation", "override", "unavailable")


def zone_named(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        date: "a date",
        datetime: "a date-time",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
