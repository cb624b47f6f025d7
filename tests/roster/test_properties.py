"""Hypothesis properties of the rota maths over random zones, dates and shift shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.roster.oncall import on_call
from hotline.roster.rules import (
    ChapterRota,
    Override,
    OverrideKind,
    Rotation,
    RotationUnit,
    Tier,
    Weekday,
    WeeklyShift,
    Window,
)
from hotline.roster.timeline import find_gaps, timeline

from .builders import crew, rota

MINUTE = timedelta(minutes=1)
ZONES = sorted(
    zone
    for zone in available_timezones()
    if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posixrules"))
)
FAVOURITES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "America/St_Johns",
    "Europe/Dublin",
    "America/Santiago",
]
zones = st.one_of(st.sampled_from(FAVOURITES), st.sampled_from(ZONES))


@cache
def transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """Instants in `year` where the zone's UTC offset changes, found by bisection (test aid)."""
    tz = ZoneInfo(zone)
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        nxt = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            low, high = day, nxt
            while high - low > MINUTE:
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        day = nxt
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Instants between 1995 and 2035, half of them within 40 hours of a DST change."""
    year = draw(st.integers(1995, 2035))
    changes = transitions(zone, year)
    near_change = draw(st.booleans())
    if changes and near_change:
        base = draw(st.sampled_from(changes))
        return base + MINUTE * draw(st.integers(-40 * 60, 40 * 60))
    start = datetime(year, 1, 1, tzinfo=UTC)
    return start + MINUTE * draw(st.integers(0, 364 * 24 * 60))


wall_times = st.one_of(
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
weekdays = st.frozensets(st.sampled_from(list(Weekday)), min_size=1)


@st.composite
def shifts(draw: st.DrawFn, volunteer_id: int) -> WeeklyShift:
    return WeeklyShift(
        volunteer_id,
        draw(weekdays),
        draw(wall_times),
        draw(wall_times),
        Tier(draw(st.integers(1, 3))),
    )


# ---- an independent oracle: walk local days, step skipped wall times minute by minute ----


def oracle_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant a wall time stands for, found by stepping forward until the wall time exists."""
    while True:
        candidate = wall.replace(tzinfo=tz, fold=0)
        if candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
            return candidate.astimezone(UTC)
        wall += MINUTE


def oracle_on_call(zone: str, rules: list[WeeklyShift], at: datetime) -> set[tuple[int, int]]:
    """(volunteer, tier) for every shift whose local interval contains `at`."""
    tz = ZoneInfo(zone)
    today = at.astimezone(tz).date()
    found = set()
    for offset in range(-3, 2):
        day = today + timedelta(days=offset)
        for rule in rules:
            if day.weekday() not in {weekday.number for weekday in rule.days}:
                continue
            ends_next_day = (rule.end.hour, rule.end.minute) <= (rule.start.hour, rule.start.minute)
            begin = oracle_instant(datetime.combine(day, rule.start), tz)
            end_day = day + timedelta(days=1) if ends_next_day else day
            finish = oracle_instant(datetime.combine(end_day, rule.end), tz)
            if begin <= at < finish:
                found.add((rule.volunteer_id, int(rule.tier)))
    return found


@st.composite
def shifts_near_a_change(draw: st.DrawFn, zone: str) -> tuple[list[WeeklyShift], datetime]:
    """Shifts whose start or end wall times sit in or next to a DST change, and an instant
    close to that change: the shapes where wall-clock maths goes wrong."""
    tz = ZoneInfo(zone)
    changes = [c for year in range(2000, 2031, 6) for c in transitions(zone, year)]
    if not changes:
        return [draw(shifts(1))], draw(instants(zone))
    change = draw(st.sampled_from(changes))
    walls = [(change - MINUTE).astimezone(tz), change.astimezone(tz)]
    day = Weekday.of(walls[0].date())

    def near_time() -> time:
        wall = draw(st.sampled_from(walls)) + MINUTE * draw(st.integers(-90, 90))
        return wall.time().replace(second=0, microsecond=0, tzinfo=None, fold=0)

    rules = []
    for volunteer_id in range(1, draw(st.integers(1, 4)) + 1):
        start = near_time() if draw(st.booleans()) else draw(wall_times)
        end = near_time() if draw(st.booleans()) else draw(wall_times)
        on = draw(weekdays) | {draw(st.sampled_from([day, list(Weekday)[day.number - 1]]))}
        rules.append(WeeklyShift(volunteer_id, on, start, end, Tier(draw(st.integers(1, 3)))))
    at = change + MINUTE * draw(st.integers(-26 * 60, 26 * 60))
    return rules, at


@settings(max_examples=400, deadline=None)
@given(data=st.data(), zone=zones)
def test_property_a_on_call_is_exactly_the_shifts_containing_the_instant(
    data: st.DataObject, zone: str
) -> None:
    """(a) At every instant exactly the shifts whose local interval contains it are on call."""
    if data.draw(st.booleans()):
        rules, at = data.draw(shifts_near_a_change(zone))
    else:
        rules = [data.draw(shifts(volunteer_id)) for volunteer_id in range(1, 7)]
        at = data.draw(instants(zone))
    chapter = rota(zone, volunteers=crew(*range(1, len(rules) + 1)), shifts=rules)
    answer = on_call(chapter, at)
    got = {(person.id, int(wave.tier)) for wave in answer.waves for person in wave.volunteers}
    assert got == oracle_on_call(zone, rules, at)


@st.composite
def weekly_covers(draw: st.DrawFn) -> list[WeeklyShift]:
    """Shifts that touch end to start all round the week, none longer than 24 hours."""
    week = 7 * 24 * 60
    cuts = sorted(draw(st.sets(st.integers(0, week - 1), min_size=1, max_size=20)))
    # Fill in cut points so that no shift runs past 24 hours.
    filled = []
    for here, there in zip(cuts, [*cuts[1:], cuts[0] + week], strict=True):
        filled.append(here)
        while there - filled[-1] > 24 * 60:
            filled.append(filled[-1] + 24 * 60)
    points = sorted({point % week for point in filled})
    rules = []
    for number, (here, there) in enumerate(zip(points, [*points[1:], points[0]], strict=True)):
        day = list(Weekday)[here // (24 * 60)]
        start = time((here % (24 * 60)) // 60, here % 60)
        end = time((there % (24 * 60)) // 60, there % 60)
        rules.append(WeeklyShift(number + 1, frozenset({day}), start, end))
    return rules


@settings(max_examples=200, deadline=None)
@given(data=st.data(), zone=zones, rules=weekly_covers())
def test_property_b_continuous_weekly_cover_has_no_gap(
    data: st.DataObject, zone: str, rules: list[WeeklyShift]
) -> None:
    """(b) Shifts that touch all week round leave no gap, across DST, in any zone."""
    chapter = rota(zone, volunteers=crew(*range(1, len(rules) + 1)), shifts=rules)
    start = data.draw(instants(zone))
    end = start + timedelta(hours=data.draw(st.integers(1, 21 * 24)))
    assert find_gaps(chapter, start, end) == ()
    assert on_call(chapter, start).waves != ()


@st.composite
def rotas(draw: st.DrawFn, zone: str) -> ChapterRota:
    """A rota with shifts, rotations (some windowed), overrides and unringable people."""
    people = list(range(1, 7))
    rules = [draw(shifts(draw(st.sampled_from(people)))) for _ in range(draw(st.integers(0, 4)))]
    rotations = []
    for _ in range(draw(st.integers(0, 2))):
        window = None
        if draw(st.booleans()):
            window = Window(draw(wall_times), draw(wall_times), draw(weekdays))
        rotations.append(
            Rotation(
                members=tuple(draw(st.lists(st.sampled_from(people), max_size=4))),
                anchor=date(draw(st.integers(1990, 2040)), 1, 1)
                + timedelta(days=draw(st.integers(0, 365))),
                handoff=draw(wall_times),
                length=draw(st.integers(1, 3)),
                unit=draw(st.sampled_from(list(RotationUnit))),
                tier=Tier(draw(st.integers(1, 3))),
                window=window,
            )
        )
    around = draw(instants(zone))
    overrides = []
    for number in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(list(OverrideKind)))
        start = around + timedelta(minutes=draw(st.integers(-3000, 3000)))
        person, other = draw(st.lists(st.sampled_from(people), min_size=2, max_size=2, unique=True))
        overrides.append(
            Override(
                id=number,
                kind=kind,
                volunteer_id=person,
                start=start,
                end=start + timedelta(minutes=draw(st.integers(1, 3000))),
                created_at=datetime(2020, 1, 1, tzinfo=UTC)
                + timedelta(hours=draw(st.integers(0, 3))),
                tier=Tier(draw(st.integers(1, 3))) if kind is OverrideKind.ADD else None,
                replacement_id=other if kind is OverrideKind.REPLACE else None,
            )
        )
    volunteers = list(crew(*people))
    volunteers[5] = type(volunteers[5])(6, "Off", "+16175550006", active=False)
    volunteers[4] = type(volunteers[4])(5, "No phone", None)
    return rota(zone, volunteers=volunteers, shifts=rules, rotations=rotations, overrides=overrides)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), zone=zones)
def test_property_c_timeline_agrees_with_on_call(data: st.DataObject, zone: str) -> None:
    """(c) The timeline partitions the range and each segment is what on_call says inside it."""
    chapter = data.draw(rotas(zone))
    start = data.draw(instants(zone))
    end = start + timedelta(minutes=data.draw(st.integers(1, 6 * 24 * 60)))
    segments = timeline(chapter, start, end)
    assert segments[0].start == start and segments[-1].end == end
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end == after.start and before.waves != after.waves
    for segment in segments:
        assert on_call(chapter, segment.start).waves == segment.waves
        assert on_call(chapter, segment.end - timedelta(microseconds=1)).waves == segment.waves
    for _ in range(5):
        span = (end - start) // timedelta(microseconds=1)
        probe = start + timedelta(microseconds=data.draw(st.integers(0, span - 1)))
        [segment] = [s for s in segments if s.start <= probe < s.end]
        assert on_call(chapter, probe).waves == segment.waves


@settings(max_examples=200, deadline=None)
@given(data=st.data(), zone=zones)
def test_property_rotation_holder_matches_walking_turns_from_anchor(
    data: st.DataObject, zone: str
) -> None:
    """The arithmetic turn lookup equals walking every handoff from the anchor (brute force)."""
    tz = ZoneInfo(zone)
    members = tuple(range(1, data.draw(st.integers(1, 5)) + 1))
    anchor = date(2000, 1, 1) + timedelta(days=data.draw(st.integers(0, 3650)))
    rotation = Rotation(
        members=members,
        anchor=anchor,
        handoff=data.draw(wall_times),
        length=data.draw(st.integers(1, 3)),
        unit=data.draw(st.sampled_from(list(RotationUnit))),
    )
    chapter = rota(zone, volunteers=crew(*members), rotations=[rotation])
    at = data.draw(instants(zone))
    turn, step = (
        0,
        1 if at >= oracle_instant(datetime.combine(anchor, rotation.handoff), tz) else -1,
    )
    while True:
        begins = oracle_instant(
            datetime.combine(anchor + rotation.period * turn, rotation.handoff), tz
        )
        ends = oracle_instant(
            datetime.combine(anchor + rotation.period * (turn + 1), rotation.handoff), tz
        )
        if begins <= at < ends:
            break
        turn += step
    assert [v.id for v in on_call(chapter, at).volunteers] == [members[turn % len(members)]]
