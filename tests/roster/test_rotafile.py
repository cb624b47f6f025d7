"""Parsing the rota file: every bad row is refused with its line and reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rules import OverrideKind, RotationUnit, Tier, Weekday

SAMPLE = Path(__file__).resolve().parents[2] / "hotline" / "sample" / "rota.toml"

GOOD = """\
[[chapter]]
slug = "boston"
name = "Boston"
numbers = ["+16175550100"]
timezone = "America/New_York"
ring_strategy = "sequential"

[[volunteer]]
name = "Ann"
phone = "+16175550111"

[[volunteer]]
name = "Bob"
phone = "+16175550112"

[[shift]]
chapter = "boston"
volunteer = "+16175550111"
days = ["sun"]
start = "22:00"
end = "02:00"
tier = 2

[[rotation]]
chapter = "boston"
members = ["+16175550111", "+16175550112"]
anchor = 2026-01-05
handoff = "09:00"
every = 2
unit = "days"
window = { days = ["mon"], start = "09:00", end = "17:00" }

[[override]]
chapter = "boston"
kind = "replace"
volunteer = "+16175550111"
replacement = "+16175550112"
start = 2026-03-08T01:30:00
end = 2026-03-08T04:00:00-04:00
"""


def test_a_good_file_reads_into_entries() -> None:
    rota = parse_rota(GOOD)
    (chapter,) = rota.chapters
    assert chapter.settings == {"ring_strategy": "sequential"}
    (shift,) = rota.shifts
    assert (shift.days, shift.start, shift.end, shift.tier) == (
        frozenset({Weekday.SUN}),
        time(22),
        time(2),
        Tier.BACKUP,
    )
    (rotation,) = rota.rotations
    assert rotation.anchor == date(2026, 1, 5) and rotation.unit is RotationUnit.DAYS
    assert rotation.window == (frozenset({Weekday.MON}), time(9), time(17))
    (override,) = rota.overrides
    assert override.kind is OverrideKind.REPLACE
    # A local time is the chapter's wall clock (EST before the change), an offset is kept.
    assert override.start == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    assert override.end == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)


def test_the_sample_file_parses() -> None:
    rota = parse_rota(SAMPLE.read_text())
    assert {c.slug for c in rota.chapters} == {"boston-grief", "chicago-recovery"}
    assert len(rota.volunteers) == 8
    assert {int(s.tier) for s in rota.shifts} == {1, 2, 3}
    assert any(s.end < s.start for s in rota.shifts)
    assert rota.rotations


def problems_of(text: str) -> list[str]:
    with pytest.raises(RotaFileError) as caught:
        parse_rota(text)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'volunteer = "+16175550111"\ndays',
            'volunteer = "+16175550199"\ndays',
            "line 18: unknown volunteer '+16175550199'",
        ),
        ('start = "22:00"', 'start = "25:00"', "line 20: start must be a 24-hour time"),
        ('"America/New_York"', '"America/Boston"', "line 5: unknown time zone 'America/Boston'"),
        (
            'phone = "+16175550112"',
            'phone = "617-555-0112"',
            "line 14: phone '617-555-0112' is not E.164",
        ),
        ("tier = 2", "tier = 4", "line 22: tier must be 1, 2 or 3"),
        ('days = ["sun"]', 'days = ["sunday"]', "line 19: days must name days as"),
        ('ring_strategy = "sequential"', 'ring_strategy = "loud"', "line 6: ring_strategy must be"),
        ('handoff = "09:00"', 'handof = "09:00"', "line 28: unknown key 'handof'"),
        ('kind = "replace"', 'kind = "swap"', "line 35: kind must be add, remove or replace"),
        (
            'chapter = "boston"\nvolunteer',
            'chapter = "bostn"\nvolunteer',
            "line 17: unknown chapter 'bostn'",
        ),
        ('numbers = ["+16175550100"]', 'numbers = ["6175550100"]', "line 4: number '6175550100'"),
    ],
)
def test_each_bad_row_is_named_by_line_and_reason(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1))
    assert any(problem.startswith(expected) for problem in found), found


def test_overlapping_overrides_for_one_person_are_refused() -> None:
    text = (
        GOOD
        + """
[[override]]
chapter = "boston"
kind = "remove"
volunteer = "+16175550111"
start = 2026-03-08T03:00:00-04:00
end = 2026-03-08T05:00:00-04:00
"""
    )
    assert problems_of(text) == ["line 41: override for +16175550111 overlaps the one on line 33"]


def test_touching_overrides_are_fine() -> None:
    text = (
        GOOD
        + """
[[override]]
chapter = "boston"
kind = "remove"
volunteer = "+16175550111"
start = 2026-03-08T04:00:00-04:00
end = 2026-03-08T05:00:00-04:00
"""
    )
    assert len(parse_rota(text).overrides) == 2


def test_duplicates_and_every_problem_are_reported_together() -> None:
    text = (
        GOOD
        + """
[[volunteer]]
name = "Ann again"
phone = "+16175550111"

[[chapter]]
slug = "boston"
name = "Boston 2"
numbers = ["+16175550100"]
timezone = "Mars/Olympus"
"""
    )
    found = problems_of(text)
    assert "line 41: volunteer phone +16175550111 also on line 8" in found
    assert any(p.startswith("line 49: unknown time zone 'Mars/Olympus'") for p in found)


def test_not_toml_names_the_line() -> None:
    assert problems_of('[[chapter]]\nslug = "a"\nname = \n')[0].startswith("line 3: not valid TOML")


def _with_shift(days: str, start: str, end: str, tier: int = 1, extra: str = "",
                volunteer: str = "+16175550111") -> str:
    return GOOD + (f'\n[[shift]]\nchapter = "boston"\nvolunteer = "{volunteer}"\n'
                   f'days = {days}\nstart = "{start}"\nend = "{end}"\ntier = {tier}\n{extra}')


def test_weekly_shifts_overlapping_for_one_volunteer_are_refused_as_the_web_refuses_them() -> None:
    # Ann's Sunday 22:00-02:00 (tier 2, line 31) runs into Monday: a Monday 01:00 shift at
    # another tier still has her on call twice at once.
    found = problems_of(_with_shift('["mon"]', "01:00", "03:00", tier=1))
    assert found == ["line 41: shift for +16175550111 overlaps their shift on line 16 "
                     "(sun 22:00 to 02:00, tier 2): change the days or hours, or give one an "
                     "until = before the other's from"]


@pytest.mark.parametrize(("days", "start", "end", "extra", "volunteer"), [
    ('["mon"]', "02:00", "04:00", "", "+16175550111"),            # touches at 02:00: no overlap
    ('["sun"]', "22:00", "02:00", "", "+16175550112"),            # someone else
    ('["sun"]', "20:00", "23:00", "from = 2026-06-01", "+16175550111"),  # but Ann's is until
])
def test_weekly_shifts_that_never_ring_one_person_twice_are_fine(
    days: str, start: str, end: str, extra: str, volunteer: str
) -> None:
    text = _with_shift(days, start, end, extra=extra, volunteer=volunteer)
    if extra:
        text = text.replace('end = "02:00"\ntier = 2',
                            'end = "02:00"\ntier = 2\nuntil = 2026-06-01')
    assert len(parse_rota(text).shifts) == 2


def test_the_sample_rota_has_no_overlapping_shifts() -> None:
    assert len(parse_rota(SAMPLE.read_text()).shifts) == 7
