"""Checks across the entries of a rota file (not one entry alone): repeated keys, overlapping
overrides or unavailability, and weekly shifts that would put one volunteer on call twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hotline.roster.rotafile import Problem, ShiftEntry
from hotline.roster.weekly import WeeklyHours, weekly_clashes


def repeated(items: list[tuple[str, int]], what: str) -> list[Problem]:
    """A problem on each line whose value an earlier line already has."""
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for value, line in items:
        if value in seen:
            problems.append(Problem(line, f"{what} {value} also on line {seen[value]}"))
        else:
            seen[value] = line
    return problems


def overlapping(items: list[tuple[str, str, datetime, datetime, int]], what: str) -> list[Problem]:
    """A problem on each (chapter, volunteer, start, end, line) overlapping an earlier one."""
    problems: list[Problem] = []
    ordered = sorted(items, key=lambda item: (item[0], item[1], item[2], item[4]))
    # Compare each entry with the one reaching furthest so far, not only its neighbour:
    # a long entry can overlap several later ones that do not overlap each other.
    reach: tuple[str, str, datetime, datetime, int] | None = None
    for item in ordered:
        if reach is not None and reach[:2] == item[:2] and item[2] < reach[3]:
            problems.append(
                Problem(item[4], f"{what} for {item[1]} overlaps the one on line {reach[4]}")
            )
        if reach is None or reach[:2] != item[:2] or item[3] > reach[3]:
            reach = item
    return problems


def clashing_shifts(shifts: Sequence[ShiftEntry]) -> list[Problem]:
    """A problem on each weekly shift that overlaps an earlier one of the same volunteer in the
    same chapter while both are valid: the web app's shift form refuses the same (any tiers)."""
    hours = [WeeklyHours((s.chapter, s.volunteer), s.days, s.start, s.end, s.valid_from,
                         s.valid_until) for s in shifts]
    return [
        Problem(shifts[later].line,
                f"shift for {shifts[later].volunteer} overlaps their shift on line "
                f"{shifts[earlier].line} ({_hours(shifts[earlier])}): change the days or hours, "
                "or give one an until = before the other's from")
        for earlier, later in weekly_clashes(hours)
    ]


def _hours(shift: ShiftEntry) -> str:
    days = ", ".join(day.value for day in sorted(shift.days, key=lambda d: d.number))
    return f"{days} {shift.start:%H:%M} to {shift.end:%H:%M}, tier {int(shift.tier)}"
