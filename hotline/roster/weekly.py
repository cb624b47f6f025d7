"""When two weekly shifts of one volunteer would put them on call twice at once: the one rule
the web app's shift form and the rota file import both apply (pure, no database)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from hotline.roster.localtime import as_utc
from hotline.roster.rules import Weekday

_WEEK = 7 * 24 * 60


def weekly_minutes(days: frozenset[Weekday], start: time, end: time) -> list[tuple[int, int]]:
    """Minutes of the week [from, to) the wall hours cover; `to` may pass the week's end."""
    begin = start.hour * 60 + start.minute
    length = (end.hour * 60 + end.minute - begin) % (24 * 60) or 24 * 60
    return [(day.number * 24 * 60 + begin, day.number * 24 * 60 + begin + length)
            for day in sorted(days, key=lambda d: d.number)]


def weekly_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    """True when two sets of week minutes share a minute (Sunday night wraps into Monday)."""
    for a_start, a_end in a:
        for b_start, b_end in b:
            for shift in (-_WEEK, 0, _WEEK):
                if a_start < b_end + shift and b_start + shift < a_end:
                    return True
    return False


@dataclass(frozen=True)
class WeeklyHours:
    """One weekly shift as the clash rule sees it: whose (a volunteer in one chapter: their id
    or, in a rota file, (chapter slug, phone)), its wall hours, and the versions' validity
    [valid_from, valid_until), None meaning unbounded. The tier does not matter: one person
    cannot answer two rings at once."""

    owner: Hashable
    days: frozenset[Weekday]
    start: time
    end: time
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def weekly_clash(a: WeeklyHours, b: WeeklyHours) -> bool:
    """True when `a` and `b` would have the same volunteer on call twice in some minute: their
    validity overlaps and their wall hours share a minute of the week."""
    if a.owner != b.owner:
        return False
    if a.valid_until is not None and b.valid_from is not None and (
            as_utc(a.valid_until) <= as_utc(b.valid_from)):
        return False
    if b.valid_until is not None and a.valid_from is not None and (
            as_utc(b.valid_until) <= as_utc(a.valid_from)):
        return False
    return weekly_overlap(weekly_minutes(a.days, a.start, a.end),
                          weekly_minutes(b.days, b.start, b.end))


def weekly_clashes(shifts: Sequence[WeeklyHours]) -> list[tuple[int, int]]:
    """Index pairs (earlier, later) of the shifts that clash, in order of the later one."""
    by_owner: dict[Hashable, list[int]] = {}
    for index, hours in enumerate(shifts):
        by_owner.setdefault(hours.owner, []).append(index)
    found = [(first, second) for indices in by_owner.values()
             for n, second in enumerate(indices) for first in indices[:n]
             if weekly_clash(shifts[first], shifts[second])]
    return sorted(found, key=lambda pair: (pair[1], pair[0]))
