"""Reports on the contact log: known answers on a small hand-built set, in chapter time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from hotline.logs.contacts import list_contacts
from hotline.logs.models import Call, CallKind, CallLeg, LegOutcome, LegStatus, Outcome, Phase
from hotline.logs.reports import (
    AnswerTimes,
    BadRange,
    Place,
    build_report,
    local_span,
    offset_spans,
)
from hotline.roster.models import Chapter, Shift, Volunteer
from hotline.runtime import Runtime

NY = ZoneInfo("America/New_York")
_serial = iter(range(1, 10_000))


def local(day: date, hh: int, mm: int = 0, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY, fold=fold).astimezone(UTC)


def chapter(db: Session, slug: str) -> Place:
    row = Chapter(slug=slug, name=slug.title(), timezone="America/New_York")
    db.add(row)
    db.flush()
    return Place(row.id, row.slug, row.name, row.timezone)


def add_call(db: Session, place: Place, at: datetime, outcome: Outcome | None, *,
             wait: int | None = None, taken_by: Volunteer | None = None,
             offered: tuple[Volunteer, ...] = (), kind: CallKind = CallKind.INBOUND) -> Call:
    n = next(_serial)
    call = Call(call_sid=f"CA{n:032d}", kind=kind, chapter_id=place.id,
                to_number="+16175550100", caller_hint="***0199", caller_hash=f"h{n}",
                started_at=at, outcome=outcome,
                phase=Phase.HOLDING if outcome is None else Phase.FINISHED,
                answered_at=at + timedelta(seconds=wait) if wait is not None else None)
    db.add(call)
    db.flush()
    for volunteer in offered:
        won = volunteer is taken_by
        leg = CallLeg(call_id=call.id, volunteer_id=volunteer.id, volunteer_name=volunteer.name,
                      status=LegStatus.COMPLETED, created_at=at,
                      outcome=LegOutcome.ANSWERED if won else LegOutcome.NO_ANSWER)
        db.add(leg)
        db.flush()
        if won:
            call.answered_leg_id = leg.id
    return call


MON = date(2026, 2, 2)          # a week of winter time in New York (UTC-5)
SUN = MON + timedelta(days=6)


@pytest.fixture
def week(runtime: Runtime) -> tuple[Runtime, Place]:
    """Boston's week: 5 answered (10, 20, 30, 40, 100 s), 3 missed, 1 rejected, 1 live."""
    with runtime.transaction() as db:
        here, there = chapter(db, "boston"), chapter(db, "elsewhere")
        vee = Volunteer(name="Vee", phone="+16175550141")
        wes = Volunteer(name="Wes", phone="+16175550142")
        db.add_all([vee, wes])
        db.flush()
        db.add(Shift(chapter_id=here.id, volunteer_id=vee.id, days="mon,tue,wed,thu,fri,sat,sun",
                     start="09:00", end="17:00", tier=1))
        tue, wed, thu, fri = (MON + timedelta(days=n) for n in (1, 2, 3, 4))
        add_call(db, here, local(MON, 10), Outcome.ANSWERED, wait=10, taken_by=vee,
                 offered=(wes, vee))
        add_call(db, here, local(MON, 11), Outcome.ANSWERED, wait=20, taken_by=vee, offered=(vee,))
        add_call(db, here, local(MON, 12), Outcome.ANSWERED, wait=30, taken_by=vee, offered=(vee,))
        add_call(db, here, local(tue, 10), Outcome.ANSWERED, wait=40, taken_by=vee, offered=(vee,))
        add_call(db, here, local(tue, 23, 30), Outcome.VOICEMAIL)       # Wednesday in UTC
        add_call(db, here, local(wed, 23, 10), Outcome.ABANDONED)
        add_call(db, here, local(wed, 23, 40), Outcome.NO_ONE_ON_CALL)
        add_call(db, here, local(thu, 9), Outcome.REJECTED)
        add_call(db, here, local(fri, 8), None)
        add_call(db, here, local(fri, 12), Outcome.ANSWERED, wait=100, taken_by=vee,
                 offered=(vee,))
        # Not counted: another chapter, an attempt of ours, the days either side of the range.
        add_call(db, there, local(MON, 10), Outcome.ABANDONED)
        add_call(db, here, local(MON, 13), Outcome.ANSWERED, wait=5, kind=CallKind.CALLBACK)
        add_call(db, here, local(MON, 0) - timedelta(seconds=1), Outcome.ABANDONED)
        add_call(db, here, local(SUN + timedelta(days=1), 0), Outcome.ABANDONED)
    return runtime, here


def test_counts_rate_and_answer_times(week: tuple[Runtime, Place]) -> None:
    runtime, here = week
    with runtime.transaction() as db:
        report = build_report(db, [here], MON, SUN)
    total = report.total
    assert (total.calls, total.answered, total.missed, total.turned_away, total.live) == (
        10, 5, 3, 1, 1)
    assert total.answer_rate == 5 / 8
    days = dict(report.days)
    assert len(days) == 7 and days[SUN].calls == 0
    assert (days[MON].calls, days[MON].answered) == (3, 3)
    assert (days[MON + timedelta(days=1)].answered, days[MON + timedelta(days=1)].missed) == (
        1, 1)                                       # 23:30 local is Tuesday, not Wednesday
    assert report.weeks == ((MON, total),)
    assert report.times.histogram == ((10, 1), (20, 1), (30, 1), (40, 1), (100, 1))
    assert (report.times.median, report.times.p90) == (30, 100)


def test_missed_by_hour_of_the_week_in_chapter_time(week: tuple[Runtime, Place]) -> None:
    runtime, here = week
    with runtime.transaction() as db:
        heat = build_report(db, [here], MON, SUN).missed_by_hour
    assert heat[1][23] == 1 and heat[2][23] == 2
    assert sum(map(sum, heat)) == 3


def test_fairness_hours_on_call_against_calls_taken(week: tuple[Runtime, Place]) -> None:
    runtime, here = week
    with runtime.transaction() as db:
        rows = {row.name: row for row in build_report(db, [here], MON, SUN).fairness}
    assert (rows["Vee"].hours_on_call, rows["Vee"].offered, rows["Vee"].taken) == (56.0, 5, 5)
    # Offered a call but not on this rota: still a row, so calls taken add up.
    assert (rows["Wes"].hours_on_call, rows["Wes"].offered, rows["Wes"].taken) == (0.0, 1, 0)


def test_counts_match_the_contact_export(week: tuple[Runtime, Place]) -> None:
    runtime, here = week
    with runtime.transaction() as db:
        report = build_report(db, [here], MON, SUN)
        start, end = local_span(NY, MON, SUN)
        exported = list_contacts(db, chapter_id=here.id, since=start, until=end)
    assert report.total.calls == len(exported)
    assert report.total.answered == sum(1 for c in exported if c.outcome is Outcome.ANSWERED)
    assert report.times.answered == sum(1 for c in exported if c.seconds_to_answer is not None)
    assert sum(row.taken for row in report.fairness) == report.total.answered


def test_a_spring_forward_day_has_23_hours_and_a_fall_back_day_25(runtime: Runtime) -> None:
    spring, autumn = date(2026, 3, 8), date(2026, 11, 1)
    with runtime.transaction() as db:
        here = chapter(db, "dst")
        for at in (local(spring, 0, 10), local(spring, 1, 30), local(spring, 3, 30),
                   local(spring, 23, 30),                    # 03:30 UTC the next day
                   local(autumn, 1, 30), local(autumn, 1, 30, fold=1), local(autumn, 23, 59)):
            add_call(db, here, at, Outcome.VOICEMAIL)
        assert local(autumn, 1, 30, fold=1) - local(autumn, 1, 30) == timedelta(hours=1)
        report = build_report(db, [here], spring, autumn)
    days = dict(report.days)
    assert days[spring].missed == 4 and days[autumn].missed == 3
    assert sum(c.calls for c in days.values()) == 7
    sunday = report.missed_by_hour[6]
    assert (sunday[0], sunday[1], sunday[2], sunday[3], sunday[23]) == (1, 3, 0, 1, 2)


def test_offsets_change_at_the_instant_of_the_change() -> None:
    start, end = local_span(NY, date(2026, 3, 7), date(2026, 3, 9))
    spans = offset_spans(NY, start, end)
    assert spans == [(datetime(2026, 3, 8, 7, tzinfo=UTC), -5 * 3600), (end, -4 * 3600)]


def test_percentiles_are_nearest_rank() -> None:
    times = AnswerTimes(((5, 9), (60, 1)))
    assert (times.median, times.p90, times.percentile(1.0)) == (5, 5, 60)
    assert AnswerTimes(()).median is None


def test_an_empty_range_and_bad_ranges(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here = chapter(db, "empty")
        report = build_report(db, [here], MON, MON)
        assert report.total.calls == 0 and report.total.answer_rate is None
        assert report.times.median is None
        with pytest.raises(BadRange):
            build_report(db, [here], SUN, MON)
        with pytest.raises(BadRange):
            build_report(db, [here], MON, MON + timedelta(days=500))
