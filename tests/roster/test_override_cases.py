"""rota.md cases 7-12 and 14: overrides, removals, unringable volunteers, gaps, history."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hotline.roster.oncall import on_call
from hotline.roster.overrides import overlapping_overrides
from hotline.roster.rules import ChapterRota, Rotation, Tier, VolunteerRef, supersede
from hotline.roster.timeline import Gap, find_gaps, timeline

from .builders import crew, hm, ids_on_call, local, override, rota, shift, volunteer

NY = "America/New_York"


def at(text: str) -> datetime:
    """A wall time in New York; the tests below all sit on Monday 2026-06-08."""
    return local(NY, f"2026-06-08T{text}")


def plan(
    chapter: ChapterRota, since: str = "00:00", until: str = "23:59"
) -> list[tuple[str, str, dict[int, list[int]]]]:
    """The day's timeline as (start, end, {tier: ids}) in New York wall time."""
    rows = []
    for segment in timeline(chapter, at(since), at(until)):
        waves = {int(w.tier): [v.id for v in w.volunteers] for w in segment.waves}
        rows.append(
            (
                segment.start.astimezone(chapter.tz).strftime("%H:%M"),
                segment.end.astimezone(chapter.tz).strftime("%H:%M"),
                waves,
            )
        )
    return rows


DAY_SHIFT = shift(1, "mon", "09:00", "17:00")


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (  # starting before the shift, ending inside it
            ("08:00", "12:00"),
            [("00:00", "09:00", {}), ("09:00", "12:00", {1: [2]}), ("12:00", "17:00", {1: [1]})],
        ),
        (  # wholly inside
            ("10:00", "11:00"),
            [
                ("00:00", "09:00", {}),
                ("09:00", "10:00", {1: [1]}),
                ("10:00", "11:00", {1: [2]}),
                ("11:00", "17:00", {1: [1]}),
            ],
        ),
        (  # starting inside, ending after
            ("15:00", "19:00"),
            [("00:00", "09:00", {}), ("09:00", "15:00", {1: [1]}), ("15:00", "17:00", {1: [2]})],
        ),
    ],
)
def test_case_7_replace_override_across_shift_boundary(
    window: tuple[str, str], expected: list[tuple[str, str, dict[int, list[int]]]]
) -> None:
    """Case 7: a replace override only bites where it overlaps the shift."""
    swap = override(1, "replace", 1, at(window[0]), at(window[1]), replacement=2)
    chapter = rota(NY, volunteers=crew(1, 2), shifts=[DAY_SHIFT], overrides=[swap])
    assert plan(chapter, "00:00", "17:00") == expected


def test_case_7_add_and_remove_across_shift_boundary() -> None:
    """Case 7: an add straddling the shift's start; a remove straddling its end."""
    extra = override(1, "add", 2, at("08:00"), at("10:00"), tier=1)
    away = override(2, "remove", 1, at("16:00"), at("18:00"))
    chapter = rota(NY, volunteers=crew(1, 2), shifts=[DAY_SHIFT], overrides=[extra, away])
    assert plan(chapter, "07:00", "19:00") == [
        ("07:00", "08:00", {}),
        ("08:00", "09:00", {1: [2]}),
        ("09:00", "10:00", {1: [1, 2]}),
        ("10:00", "16:00", {1: [1]}),
        ("16:00", "19:00", {}),
    ]


def test_case_8_overlapping_overrides_newest_instruction_wins() -> None:
    """Case 8: a remove, then a later-created add at tier 2 that overlaps it."""
    created = local(NY, "2026-06-01T12:00")
    away = override(1, "remove", 1, at("10:00"), at("14:00"), created=created)
    backup = override(
        2, "add", 1, at("12:00"), at("16:00"), tier=2, created=created + timedelta(hours=1)
    )
    chapter = rota(NY, volunteers=crew(1), shifts=[DAY_SHIFT], overrides=[backup, away])
    assert ids_on_call(chapter, at("11:00")) == {}
    assert ids_on_call(chapter, at("13:00")) == {2: [1]}
    assert ids_on_call(chapter, at("15:00")) == {1: [1]}  # shift and add: lowest tier only


@pytest.mark.parametrize(("add_id", "remove_id", "expected"), [(4, 5, {}), (5, 4, {1: [1]})])
def test_case_8_created_at_same_moment_ordered_by_id(
    add_id: int, remove_id: int, expected: dict[int, list[int]]
) -> None:
    """Case 8: same created_at: the higher id counts as newer, whatever the input order."""
    add = override(add_id, "add", 1, at("10:00"), at("12:00"), tier=1)
    remove = override(remove_id, "remove", 1, at("10:00"), at("12:00"))
    for order in ([add, remove], [remove, add]):
        chapter = rota(NY, volunteers=crew(1), overrides=order)
        assert ids_on_call(chapter, at("11:00")) == expected


def test_case_8_overlapping_overrides_of_same_kind_are_reported() -> None:
    """Case 8: import can refuse the same kind of override twice over one person's time."""
    first = override(1, "remove", 1, at("10:00"), at("14:00"))
    second = override(2, "remove", 1, at("13:00"), at("15:00"))
    touching = override(3, "remove", 1, at("15:00"), at("16:00"))
    other_person = override(4, "remove", 2, at("10:00"), at("14:00"))
    other_kind = override(5, "add", 1, at("10:00"), at("14:00"), tier=1)
    found = overlapping_overrides([touching, second, other_person, other_kind, first])
    assert [(a.id, b.id) for a, b in found] == [(1, 2)]


def test_case_9_replace_when_replaced_person_is_off_call_does_nothing() -> None:
    """Case 9: replacing someone who is not on call adds nobody; at tier 2 the tier is kept."""
    swap = override(1, "replace", 1, at("06:00"), at("20:00"), replacement=2)
    chapter = rota(NY, volunteers=crew(1, 2, 3), shifts=[DAY_SHIFT], overrides=[swap])
    assert ids_on_call(chapter, at("07:00")) == {}
    assert ids_on_call(chapter, at("10:00")) == {1: [2]}
    backup = rota(
        NY,
        volunteers=crew(1, 2, 3),
        shifts=[shift(3, "mon", "09:00", "17:00"), shift(1, "mon", "09:00", "17:00", tier=2)],
        overrides=[swap],
    )
    assert ids_on_call(backup, at("10:00")) == {1: [3], 2: [2]}


def test_case_10_removing_who_is_on_call_now_leaves_a_gap() -> None:
    """Case 10: the person on call right now marks themselves unavailable."""
    now = at("13:00")
    sick = override(1, "remove", 1, now, now + timedelta(hours=2))
    chapter = rota(
        NY,
        volunteers=crew(1, 2),
        shifts=[DAY_SHIFT, shift(2, "mon", "09:00", "17:00", 2)],
        overrides=[sick],
    )
    assert ids_on_call(chapter, now) == {2: [2]}
    assert find_gaps(chapter, at("09:00"), at("17:00")) == (Gap(now, now + timedelta(hours=2)),)


def test_case_10_change_dated_in_future_does_not_change_now() -> None:
    """Case 10: an edit effective next Monday leaves today's answer alone."""
    effective = local(NY, "2026-06-15T00:00")
    closed, opened = supersede(DAY_SHIFT, effective, shift(2, "mon", "09:00", "17:00"))
    holiday = override(1, "remove", 1, local(NY, "2026-06-22T00:00"), local(NY, "2026-06-23T00:00"))
    chapter = rota(NY, volunteers=crew(1, 2), shifts=[closed, opened], overrides=[holiday])
    assert ids_on_call(chapter, at("10:00")) == {1: [1]}
    assert ids_on_call(chapter, local(NY, "2026-06-15T10:00")) == {1: [2]}
    assert ids_on_call(chapter, local(NY, "2026-06-22T10:00")) == {1: [2]}


def test_case_11_empty_rotation_means_nobody() -> None:
    """Case 11: a rotation with no members puts nobody on call; the whole window is a gap."""
    empty = Rotation(members=(), anchor=date(2026, 1, 5), handoff=hm("09:00"))
    chapter = rota(NY, volunteers=crew(1), rotations=[empty])
    assert on_call(chapter, at("10:00")).waves == ()
    assert find_gaps(chapter, at("00:00"), at("12:00")) == (Gap(at("00:00"), at("12:00")),)


@pytest.mark.parametrize(
    "unringable",
    [
        volunteer(1, active=False),
        volunteer(1, phone=None),
        volunteer(1, phone="617-555-0111"),
        volunteer(1, phone="+0123"),
    ],
)
def test_case_11_inactive_or_phoneless_volunteer_is_not_rung(unringable: VolunteerRef) -> None:
    """Case 11: an inactive volunteer or one without a valid E.164 phone is left out."""
    chapter = rota(
        NY,
        volunteers=[unringable, volunteer(2)],
        shifts=[DAY_SHIFT, shift(2, "mon", "09:00", "17:00", tier=2)],
    )
    assert ids_on_call(chapter, at("10:00")) == {2: [2]}
    assert find_gaps(chapter, at("09:00"), at("17:00")) == (Gap(at("09:00"), at("17:00")),)


def test_case_11_unringable_volunteer_can_be_replaced() -> None:
    """Case 11: overrides apply before the ringable filter, so a stand-in still covers."""
    swap = override(1, "replace", 1, at("09:00"), at("17:00"), replacement=2)
    chapter = rota(
        NY,
        volunteers=[volunteer(1, active=False), volunteer(2)],
        shifts=[DAY_SHIFT],
        overrides=[swap],
    )
    assert ids_on_call(chapter, at("10:00")) == {1: [2]}


def test_case_12_gaps_at_window_edges_are_clipped() -> None:
    """Case 12: a window starting and ending inside gaps reports them cut to the window."""
    chapter = rota(NY, volunteers=crew(1), shifts=[shift(1, "mon", "18:00", "06:00")])
    start, end = at("12:00"), local(NY, "2026-06-09T12:00")
    assert find_gaps(chapter, start, end) == (
        Gap(start, at("18:00")),
        Gap(local(NY, "2026-06-09T06:00"), end),
    )


def test_case_12_touching_shifts_are_no_gap_and_backup_only_is_a_gap() -> None:
    """Case 12: 09:00-18:00 then 18:00-09:00 every day is continuous; tier 2 alone is not cover."""
    every = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    chapter = rota(
        NY,
        volunteers=crew(1, 2, 3),
        shifts=[shift(1, every, "09:00", "18:00"), shift(2, every, "18:00", "09:00")],
    )
    week = (local(NY, "2026-10-26T00:00"), local(NY, "2026-11-09T00:00"))  # crosses fall back
    assert find_gaps(chapter, *week) == ()
    holiday = override(1, "remove", 2, at("20:00"), at("22:00"))
    backup = shift(3, "mon", "19:00", "23:00", tier=2)
    patched = rota(
        NY,
        volunteers=crew(1, 2, 3),
        shifts=[*chapter.shifts, backup],
        overrides=[holiday],
    )
    assert find_gaps(patched, at("00:00"), local(NY, "2026-06-09T00:00")) == (
        Gap(at("20:00"), at("22:00")),
    )


def test_case_14_past_answer_unchanged_after_edit() -> None:
    """Case 14: editing a shift and a rotation from a date keeps every earlier answer."""
    weekly = Rotation(
        members=(1, 2), anchor=date(2026, 1, 5), handoff=hm("09:00"), tier=Tier.BACKUP
    )
    before = rota(NY, volunteers=crew(1, 2, 3, 4), shifts=[DAY_SHIFT], rotations=[weekly])
    past = [local(NY, "2026-06-02T03:00"), at("10:00"), at("16:59")]
    answers_before = [on_call(before, instant) for instant in past]
    history_before = timeline(before, local(NY, "2026-05-01T00:00"), at("17:00"))

    effective = at("17:00")
    old_shift, new_shift = supersede(DAY_SHIFT, effective, shift(3, "mon", "08:00", "20:00"))
    old_rotation, new_rotation = supersede(
        weekly, effective, Rotation(members=(4,), anchor=date(2026, 1, 5), handoff=hm("09:00"))
    )
    after = rota(
        NY,
        volunteers=crew(1, 2, 3, 4),
        shifts=[old_shift, new_shift],
        rotations=[old_rotation, new_rotation],
    )
    assert [on_call(after, instant) for instant in past] == answers_before
    assert timeline(after, local(NY, "2026-05-01T00:00"), at("17:00")) == history_before
    assert ids_on_call(after, at("18:00")) == {1: [3, 4]}
    assert ids_on_call(after, local(NY, "2026-06-15T10:00")) == {1: [3, 4]}
    assert ids_on_call(before, local(NY, "2026-06-15T10:00")) == {1: [1], 2: [2]}


def test_case_14_supersede_refuses_edits_outside_the_version() -> None:
    """Case 14: an edit cannot take effect before the version it replaces began."""
    closed, _ = supersede(DAY_SHIFT, at("17:00"), shift(2, "mon", "09:00", "17:00"))
    with pytest.raises(ValueError, match="inside"):
        supersede(closed, at("18:00"), shift(3, "mon", "09:00", "17:00"))
