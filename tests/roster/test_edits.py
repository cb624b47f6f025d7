"""One-rule edits (the web app's way): versioned, history kept, clashes refused; and the week
view's cut into local days, which must agree with `oncall_at` at every instant, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.roster import models
from hotline.roster.changes import RotaChangeError, volunteer_by_phone
from hotline.roster.edits import add_rotation, add_shift, end_rule
from hotline.roster.history import oncall_at
from hotline.roster.people import add_volunteer, update_chapter_settings, update_volunteer
from hotline.roster.rules import RotationUnit, Tier, Weekday
from hotline.roster.store import chapter_by_slug
from hotline.roster.weekly import weekly_minutes, weekly_overlap
from hotline.roster.weekview import day_bounds, plan_between, split_days
from hotline.runtime import Runtime
from tests.conftest import FixedClock, RuntimeFactory
from tests.roster.test_feeds import setup

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 2, 22, 12, 0, tzinfo=UTC)      # setup()'s clock: two weeks before DST
MON, SUN = Weekday.MON, Weekday.SUN


def names(runtime: Runtime, at: datetime, tier: int = 1) -> list[str]:
    with runtime.sessions() as db:
        plan = oncall_at(db, chapter_by_slug(db, "boston-grief").id, at)
    return [v.name for w in plan.waves if int(w.tier) == tier for v in w.volunteers]


def test_weekly_overlap_wraps_from_sunday_night_into_monday() -> None:
    sunday_night = weekly_minutes(frozenset({SUN}), time(22), time(2))
    assert weekly_overlap(sunday_night, weekly_minutes(frozenset({MON}), time(1), time(3)))
    assert not weekly_overlap(sunday_night, weekly_minutes(frozenset({MON}), time(2), time(4)))
    whole_day = weekly_minutes(frozenset({Weekday.WED}), time(9), time(9))
    assert whole_day == [(2 * 1440 + 540, 3 * 1440 + 540)]


def test_a_shift_spanning_the_dst_change_keeps_its_wall_hours(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        ben = volunteer_by_phone(db, "+16175550112")
        add_shift(db, boston, ben, frozenset({SUN}), time(1), time(4), Tier.BACKUP, now=NOW)
    # Sunday 8 March 2026: 02:00 EST jumps to 03:00 EDT, so 01:00-04:00 is two real hours.
    assert "Ben Okafor" in names(runtime, datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 2)  # 01:30 EST
    assert names(runtime, datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 2) == ["Ben Okafor"]  # 03:30 EDT
    assert "Ben Okafor" not in names(runtime, datetime(2026, 3, 8, 8, 0, tzinfo=UTC), 2)
    assert "Ben Okafor" in names(runtime, datetime(2026, 3, 15, 7, 30, tzinfo=UTC), 2)  # 03:30 EDT


def test_change_and_end_keep_the_past_and_refuse_what_cannot_be(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    monday_7pm = datetime(2026, 2, 23, 23, 0, tzinfo=UTC)
    later = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        ann = volunteer_by_phone(db, "+16175550111")
        old = db.query(models.Shift).filter_by(volunteer_id=ann.id).one()
        new = add_shift(db, boston, ann, frozenset({Weekday.TUE}), time(18), time(22),
                        Tier.PRIMARY, now=monday_7pm + timedelta(minutes=30), replacing=old)
        assert old.valid_until == new.valid_from == monday_7pm + timedelta(minutes=30)
        with pytest.raises(RotaChangeError, match="already ended"):
            add_shift(db, boston, ann, frozenset({MON}), time(9), time(10), Tier.PRIMARY,
                      now=later, replacing=old)
        end_rule(db, boston, new, now=later)
        with pytest.raises(RotaChangeError, match="already ended"):
            end_rule(db, boston, new, now=later + timedelta(days=1))
    assert names(runtime, monday_7pm) == ["Ann Example"]      # the past keeps its answer
    assert "Ann Example" not in names(runtime, later + timedelta(days=1))


def test_rotations_volunteers_and_settings_are_checked(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        dev = volunteer_by_phone(db, "+16175550114")
        with pytest.raises(RotaChangeError, match="at least one member"):
            add_rotation(db, boston, "r", [], date(2026, 3, 2), time(9), 1, RotationUnit.WEEKS,
                         Tier.FALLBACK, now=NOW)
        update_volunteer(db, dev, now=NOW, coordinated=None, active=False)
        with pytest.raises(RotaChangeError, match="inactive"):
            add_rotation(db, boston, "r", [dev], date(2026, 3, 2), time(9), 1,
                         RotationUnit.WEEKS, Tier.FALLBACK, now=NOW)
        with pytest.raises(RotaChangeError, match="not E.164"):
            add_volunteer(db, boston, "X", "5551234", coordinated=None)
        with pytest.raises(RotaChangeError, match="ring_timeout must be 5 to 120"):
            update_chapter_settings(db, boston, {"ring_timeout_seconds": 500})
        with pytest.raises(RotaChangeError, match="experience 'two words'"):
            update_volunteer(db, dev, now=NOW, coordinated=None, experiences=["two words"])


@pytest.mark.parametrize("monday", [date(2026, 3, 2), date(2026, 3, 9), date(2026, 10, 26),
                                    date(2026, 11, 2)])
def test_the_week_view_agrees_with_oncall_at_every_quarter_hour(
    make_runtime: RuntimeFactory, monday: date
) -> None:
    """Weeks before, across and after both US changes (8 March and 1 November 2026)."""
    runtime = make_runtime(clock=FixedClock(NOW))
    runtime = setup(lambda **_: runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        start, end = day_bounds(monday, NEW_YORK)[0], day_bounds(monday + timedelta(6), NEW_YORK)[1]
        days = split_days(plan_between(db, boston.id, start, end), NEW_YORK, monday, 7)
        hours = sum(((p.end - p.start) for d in days for p in d.pieces), timedelta())
        assert hours == end - start                       # 167 or 169 hours on DST weeks
        for day in days:
            for piece in day.pieces:
                at = piece.start
                while at < piece.end:
                    assert oncall_at(db, boston.id, at).waves == piece.waves, at
                    at += timedelta(minutes=15)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Weekday)), st.integers(0, 95),
                          st.integers(1, 96)), min_size=2, max_size=2))
def test_weekly_overlap_is_sharing_a_minute(pair: list[tuple[Weekday, int, int]]) -> None:
    """Against brute force over a fortnight of minutes (quarter-hour grid)."""
    sets = []
    for day, start_q, length_q in pair:
        start = time(start_q // 4, start_q % 4 * 15)
        end_q = (start_q + length_q) % 96
        end = time(end_q // 4, end_q % 4 * 15)
        minutes = set()
        for begin, finish in weekly_minutes(frozenset({day}), start, end):
            minutes |= {m % (7 * 1440) for m in range(begin, finish)}
        sets.append((weekly_minutes(frozenset({day}), start, end), minutes))
    assert weekly_overlap(sets[0][0], sets[1][0]) == bool(sets[0][1] & sets[1][1])
